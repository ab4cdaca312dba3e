/**
 * The wire format of one Raft message: a single msgpack value, one per binary
 * ws frame. Plain msgpack (no msgpackr records, no extensions) so a frame is
 * self-contained and any msgpack reader can decode it. Binary fields travel as
 * msgpack `bin` and come back as plain `Uint8Array`s (see message-schema.ts).
 */

import { Packr } from 'msgpackr';
import type { Message } from '../core/types.ts';
import { type ShapeResult, toMessage } from './message-schema.ts';

// useRecords: false keeps frames stateless; moreTypes: false keeps them standard msgpack.
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Encodes a message as one frame. */
export function encodeMessage(m: Message): Uint8Array {
  return packr.pack(m);
}

/** Decodes and validates one frame; never throws, whatever the bytes. */
export function decodeMessage(frame: Uint8Array): ShapeResult {
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (err) {
    return { ok: false, reason: `not msgpack: ${err instanceof Error ? err.message : String(err)}` };
  }
  return toMessage(value);
}
