/**
 * Commands as bytes in the Raft log: one plain msgpack value (no msgpackr
 * records or extensions), so every node decodes exactly what the leader encoded.
 */

import { Packr } from 'msgpackr';
import type { Command } from './commands.ts';
import { FlotillaError } from './errors.ts';
import { validateCommand } from './validate-command.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Validates a command and encodes it for `propose`. Throws `INVALID_ARGUMENT` naming the field. */
export function encodeCommand(command: Command): Uint8Array {
  return packr.pack(validateCommand(command));
}

/**
 * Decodes and validates a command. Throws `INVALID_ARGUMENT` (field `command`
 * when the bytes are not msgpack at all); never anything else.
 */
export function decodeCommand(bytes: Uint8Array): Command {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw new FlotillaError('INVALID_ARGUMENT', 'command: not msgpack', {
      details: { field: 'command' },
      cause,
    });
  }
  return validateCommand(value);
}
