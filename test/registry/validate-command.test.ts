import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../../src/registry/command-codec.ts';
import type { Command } from '../../src/registry/commands.ts';
import { FlotillaError } from '../../src/registry/errors.ts';
import { validateCommand } from '../../src/registry/validate-command.ts';
import { MAX_KV_VALUE_BYTES } from '../../src/registry/validate-kv.ts';
import { baseRegistration } from './helpers.ts';

function fieldOf(input: unknown): string | undefined {
  try {
    validateCommand(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(FlotillaError);
    expect((err as FlotillaError).code).toBe('INVALID_ARGUMENT');
    return String((err as FlotillaError).details.field);
  }
}

const deployment = {
  id: 'd1',
  service: 'api',
  strategy: 'canary',
  from: '1.0.0',
  to: '1.1.0',
  weights: { '1.0.0': 90, '1.1.0': 10 },
  steps: [{ weight: 10, pauseMs: 60_000 }, { weight: 100 }],
  status: 'running',
};
const c = (op: string, args: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  op,
  args,
  now: 1,
  ...extra,
});

describe('validateCommand: envelope and arguments', () => {
  const bad: [string, unknown, string][] = [
    ['not an object', 5, 'command'],
    ['unknown op', c('service.nuke', {}), 'op'],
    ['unknown envelope field', c('kv.delete', { key: 'k' }, { x: 1 }), 'command.x'],
    ['missing now', { op: 'kv.delete', args: { key: 'k' } }, 'now'],
    ['negative now', c('kv.delete', { key: 'k' }, { now: -1 }), 'now'],
    ['clientId without seq', c('kv.delete', { key: 'k' }, { clientId: 'c' }), 'seq'],
    ['seq without clientId', c('kv.delete', { key: 'k' }, { seq: 1 }), 'clientId'],
    ['seq 0', c('kv.delete', { key: 'k' }, { clientId: 'c', seq: 0 }), 'seq'],
    ['bad clientId', c('kv.delete', { key: 'k' }, { clientId: 'a b', seq: 1 }), 'clientId'],
    ['args not object', c('kv.delete', 'k'), 'args'],
    ['register bad port', c('service.register', { ...baseRegistration, port: 0 }), 'port'],
    ['deregister extra field', c('service.deregister', { id: 'a', x: 1 }), 'x'],
    ['health bad value', c('instance.health', { id: 'a', health: 'ok' }), 'health'],
    ['drain missing id', c('instance.drain', {}), 'id'],
    ['kv empty key', c('kv.put', { key: '', value: 1 }), 'key'],
    ['kv key too long', c('kv.put', { key: 'k'.repeat(513), value: 1 }), 'key'],
    ['kv null value', c('kv.put', { key: 'k', value: null }), 'value'],
    ['kv missing value', c('kv.put', { key: 'k' }), 'value'],
    ['kv infinite', c('kv.put', { key: 'k', value: Number.POSITIVE_INFINITY }), 'value'],
    ['kv date', c('kv.put', { key: 'k', value: new Date(0) }), 'value'],
    ['kv bytes too big', c('kv.put', { key: 'k', value: new Uint8Array(MAX_KV_VALUE_BYTES + 1) }), 'value'],
    ['kv json too big', c('kv.put', { key: 'k', value: 'x'.repeat(MAX_KV_VALUE_BYTES) }), 'value'],
    ['kv too deep', c('kv.put', { key: 'k', value: nest(40) }), 'value'],
    ['cas missing expected', c('kv.cas', { key: 'k', value: 1 }), 'expected'],
    ['cas bad expected', c('kv.cas', { key: 'k', expected: Number.NaN, value: 1 }), 'expected'],
    ['deployment bad strategy', c('deployment.put', { ...deployment, strategy: 'yolo' }), 'strategy'],
    ['deployment same versions', c('deployment.put', { ...deployment, to: '1.0.0' }), 'to'],
    ['deployment weights sum', c('deployment.put', { ...deployment, weights: { '1.0.0': 50 } }), 'weights'],
    ['deployment weight range', c('deployment.put', { ...deployment, weights: { a: 101 } }), 'weights.a'],
    [
      'deployment step weight',
      c('deployment.put', { ...deployment, steps: [{ weight: 200 }] }),
      'steps[0].weight',
    ],
    ['deployment status', c('deployment.put', { ...deployment, status: 'done' }), 'status'],
    ['deployment history given', c('deployment.put', { ...deployment, history: [] }), 'history'],
    [
      'routing bad balancer',
      c('routing.set', { service: 'api', policy: { strategy: 'x' } }),
      'policy.strategy',
    ],
    [
      'routing empty weights',
      c('routing.set', { service: 'api', policy: { strategy: 'random', versionWeights: {} } }),
      'policy.versionWeights',
    ],
    [
      'routing weight range',
      c('routing.set', { service: 'api', policy: { strategy: 'random', versionWeights: { v1: 1001 } } }),
      'policy.versionWeights.v1',
    ],
    [
      'routing hashKey without consistent-hash',
      c('routing.set', { service: 'api', policy: { strategy: 'random', hashKey: 'path' } }),
      'policy.hashKey',
    ],
    [
      'routing bad hashKey',
      c('routing.set', { service: 'api', policy: { strategy: 'consistent-hash', hashKey: 'body' } }),
      'policy.hashKey',
    ],
    [
      'routing queue without maxConcurrent',
      c('routing.set', { service: 'api', policy: { strategy: 'random', queue: 5 } }),
      'policy.maxConcurrent',
    ],
    [
      'routing maxConcurrent 0',
      c('routing.set', { service: 'api', policy: { strategy: 'random', maxConcurrent: 0 } }),
      'policy.maxConcurrent',
    ],
    ['routing delete bad service', c('routing.delete', { service: '' }), 'service'],
  ];
  it.each(bad)('%s → INVALID_ARGUMENT on %s', (_label, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  const good: [string, unknown][] = [
    [
      'routing with limits and hashing',
      c('routing.set', {
        service: 'api',
        policy: {
          strategy: 'consistent-hash',
          hashKey: 'header:x-user',
          maxConcurrent: 10,
          queue: 20,
          queueTimeoutMs: 500,
        },
      }),
    ],
    ['register with session', c('service.register', baseRegistration, { clientId: 'c1', seq: 3 })],
    ['kv bytes', c('kv.put', { key: 'a/b', value: new Uint8Array([1, 2]) })],
    ['kv json', c('kv.put', { key: 'a/b', value: { on: true, list: [1, 'x', null] } })],
    ['cas absent', c('kv.cas', { key: 'k', expected: null, value: 'v' })],
    ['deployment', c('deployment.put', deployment)],
    [
      'routing',
      c('routing.set', {
        service: 'api',
        policy: { strategy: 'round-robin', versionWeights: { v1: 1 } },
      }),
    ],
  ];
  it.each(good)('%s is accepted', (_label, input) => {
    expect(fieldOf(input)).toBeUndefined();
  });
});

describe('command codec', () => {
  it('round-trips a command, bytes as plain Uint8Array', () => {
    const cmd: Command = {
      op: 'kv.put',
      args: { key: 'k', value: new Uint8Array([7, 8]) },
      now: 5,
      clientId: 'c',
      seq: 2,
    };
    const back = decodeCommand(encodeCommand(cmd));
    expect(back).toEqual(cmd);
    expect(Object.getPrototypeOf((back.args as { value: Uint8Array }).value)).toBe(Uint8Array.prototype);
  });

  it('encodes into bytes of their own, which decoding leaves untouched (log entries keep them)', () => {
    const bytes = encodeCommand({ op: 'kv.delete', args: { key: 'k' }, now: 1 });
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    decodeCommand(bytes);
    expect(Object.getOwnPropertyNames(bytes).filter((p) => !/^\d+$/.test(p))).toEqual([]);
  });

  it('refuses to encode an invalid command', () => {
    expect(() => encodeCommand({ op: 'kv.delete', args: { key: '' }, now: 1 })).toThrow(FlotillaError);
  });

  it.each([
    ['empty', new Uint8Array()],
    ['truncated', encodeCommand({ op: 'kv.delete', args: { key: 'k' }, now: 1 }).subarray(0, 5)],
    ['a number', new Uint8Array([0x05])],
  ])('decoding %s bytes throws INVALID_ARGUMENT', (_label, bytes) => {
    try {
      decodeCommand(bytes);
      expect.unreachable();
    } catch (err) {
      expect((err as FlotillaError).code).toBe('INVALID_ARGUMENT');
    }
  });
});

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
