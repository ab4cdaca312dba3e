/**
 * Model-based test: random command sequences (with sessions and retries) are
 * applied to the registry and to a plain-Map model; every result and the
 * resulting state must agree. Replay a failure with FC_SEED / FC_PATH.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/registry/command-codec.ts';
import type { ApplyResult, Command, CommandBody } from '../../src/registry/commands.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Health, KvValue } from '../../src/registry/types.ts';
import { kvValuesEqual } from '../../src/registry/validate-kv.ts';
import { fcParams } from './helpers.ts';

const IDS = ['a', 'b', 'c'];
const NAMES = ['api', 'web'];
const KEYS = ['k1', 'k2'];
const VALUES: KvValue[] = [1, 2, 'x', { on: true }, new Uint8Array([1]), new Uint8Array([2])];

const bodyArb: fc.Arbitrary<CommandBody> = fc.oneof(
  fc
    .record({
      id: fc.constantFrom(...IDS),
      name: fc.constantFrom(...NAMES),
      port: fc.integer({ min: 1, max: 3 }),
    })
    .map(
      ({ id, name, port }): CommandBody => ({
        op: 'service.register',
        args: { id, name, port, address: '10.0.0.1' },
      }),
    ),
  fc.constantFrom(...IDS).map((id): CommandBody => ({ op: 'service.deregister', args: { id } })),
  fc
    .tuple(fc.constantFrom(...IDS), fc.constantFrom<Health>('passing', 'warning', 'critical'))
    .map(([id, health]): CommandBody => ({ op: 'instance.health', args: { id, health } })),
  fc.constantFrom(...IDS).map((id): CommandBody => ({ op: 'instance.drain', args: { id } })),
  fc
    .tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES))
    .map(([key, value]): CommandBody => ({ op: 'kv.put', args: { key, value } })),
  fc.constantFrom(...KEYS).map((key): CommandBody => ({ op: 'kv.delete', args: { key } })),
  fc
    .tuple(
      fc.constantFrom(...KEYS),
      fc.constantFrom<KvValue | null>(null, ...VALUES),
      fc.constantFrom(...VALUES),
    )
    .map(([key, expected, value]): CommandBody => ({ op: 'kv.cas', args: { key, expected, value } })),
);

/** A step: a command, maybe under a session, maybe a retry of that client's last seq. */
const stepArb = fc.record({
  body: bodyArb,
  client: fc.constantFrom(undefined, 'c1', 'c2'),
  retry: fc.boolean(),
});

interface ModelInstance {
  name: string;
  health: Health;
  state: 'active' | 'draining';
}

/** The obvious implementation, with none of the registry's structure. */
class Model {
  readonly instances = new Map<string, ModelInstance>();
  readonly kv = new Map<string, KvValue>();
  readonly sessions = new Map<string, { seq: number; result: ApplyResult }>();
  revision = 0;

  apply(c: Command, index: number): ApplyResult {
    if (c.clientId !== undefined && c.seq !== undefined) {
      const s = this.sessions.get(c.clientId);
      if (s !== undefined && s.seq === c.seq) return s.result;
      const result = this.run(c, index);
      this.sessions.set(c.clientId, { seq: c.seq, result });
      return result;
    }
    return this.run(c, index);
  }

  private run(c: CommandBody, index: number): ApplyResult {
    const done = (extra: object, changed: boolean): ApplyResult => {
      if (changed) this.revision = index;
      return { ok: true, revision: this.revision, ...extra };
    };
    switch (c.op) {
      case 'service.register': {
        const replaced = this.instances.has(c.args.id);
        this.instances.set(c.args.id, { name: c.args.name, health: 'passing', state: 'active' });
        return done({ replaced }, true);
      }
      case 'service.deregister': {
        const deleted = this.instances.delete(c.args.id);
        return done({ deleted }, deleted);
      }
      case 'instance.health':
      case 'instance.drain': {
        const i = this.instances.get(c.args.id);
        if (i === undefined) {
          const message = `instance ${c.args.id} is not registered`;
          return { ok: false, error: { code: 'NOT_FOUND', message, details: { field: 'id' } } };
        }
        const next: ModelInstance =
          c.op === 'instance.drain' ? { ...i, state: 'draining' } : { ...i, health: c.args.health };
        const changed = next.health !== i.health || next.state !== i.state;
        this.instances.set(c.args.id, next);
        return done({ changed }, changed);
      }
      case 'kv.put':
        this.kv.set(c.args.key, c.args.value);
        return done({}, true);
      case 'kv.delete': {
        const deleted = this.kv.delete(c.args.key);
        return done({ deleted }, deleted);
      }
      case 'kv.cas': {
        const current = this.kv.get(c.args.key);
        const { expected } = c.args;
        const succeeded =
          expected === null
            ? current === undefined
            : current !== undefined && kvValuesEqual(current, expected);
        if (succeeded) this.kv.set(c.args.key, c.args.value);
        return done({ succeeded }, succeeded);
      }
      default:
        throw new Error(`model does not cover ${c.op}`);
    }
  }
}

function compareState(registry: Registry, model: Model): void {
  expect(registry.revision).toBe(model.revision);
  for (const key of KEYS) expect(registry.kvGet(key).value).toEqual(model.kv.get(key) ?? null);
  for (const name of NAMES) {
    const actual = registry.getService(name).map((i) => [i.id, i.health, i.state]);
    const expected = [...model.instances]
      .filter(([, i]) => i.name === name)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, i]) => [id, i.health, i.state]);
    expect(actual).toEqual(expected);
  }
}

describe('registry against a plain model', () => {
  it('agrees on every result and state; snapshot/restore mid-way changes nothing, bytes identical', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.nat(60), (steps, cut) => {
        const registry = new Registry();
        const twin = new Registry(); // same bytes, restored from a snapshot at `cut`
        const model = new Model();
        const lastSeq = new Map<string, number>();
        steps.forEach((step, i) => {
          const index = i + 1;
          let command: Command = { ...step.body, now: 1000 + i };
          if (step.client !== undefined) {
            const last = lastSeq.get(step.client) ?? 0;
            const seq = step.retry && last > 0 ? last : last + 1;
            lastSeq.set(step.client, seq);
            command = { ...command, clientId: step.client, seq };
          }
          const bytes = encodeCommand(command);
          const result = registry.apply(bytes, index);
          expect(result).toEqual(model.apply(command, index));
          if (i === cut) twin.restore(registry.snapshot());
          else expect(twin.apply(bytes, index)).toEqual(result);
          compareState(registry, model);
        });
        expect(twin.snapshot()).toEqual(registry.snapshot());
      }),
      { ...fcParams(0x5e61), numRuns: 300 },
    );
  });
});
