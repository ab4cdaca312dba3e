import { encodeCommand } from '../../src/registry/command-codec.ts';
import type { ApplyResult, Command, CommandBody } from '../../src/registry/commands.ts';
import { Registry, type RegistryOptions } from '../../src/registry/registry.ts';
import type { Registration } from '../../src/registry/types.ts';

/** A valid registration, to mutate in tests. */
export const baseRegistration: Registration = {
  id: 'api-1',
  name: 'api',
  address: '127.0.0.1',
  port: 3001,
};

/** A registry driven like the RaftServer drives it: increasing indexes, a leader clock. */
export class Driver {
  readonly registry: Registry;
  index = 0;
  now = 1_000;

  constructor(options: RegistryOptions = {}) {
    this.registry = new Registry(options);
  }

  /** Applies a command at the next index. */
  apply(body: CommandBody, extra: { clientId?: string; seq?: number; now?: number } = {}): ApplyResult {
    const command = { ...body, now: extra.now ?? this.now, ...session(extra) } as Command;
    return this.applyBytes(encodeCommand(command));
  }

  /** Applies raw bytes at the next index. */
  applyBytes(bytes: Uint8Array): ApplyResult {
    this.index += 1;
    return this.registry.apply(bytes, this.index);
  }
}

function session(extra: { clientId?: string; seq?: number }): { clientId?: string; seq?: number } {
  return extra.clientId === undefined ? {} : { clientId: extra.clientId, seq: extra.seq ?? 1 };
}

/** `fc.assert` parameters from the environment (`FC_SEED`, `FC_PATH`), for replaying a failure. */
export function fcParams(defaultSeed: number): { seed: number; path?: string } {
  const seed = Number(process.env.FC_SEED ?? defaultSeed);
  const path = process.env.FC_PATH;
  return path === undefined ? { seed } : { seed, path };
}
