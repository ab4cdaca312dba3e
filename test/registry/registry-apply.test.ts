import { describe, expect, it } from 'vitest';
import type { ApplyOk } from '../../src/registry/commands.ts';
import { FlotillaError } from '../../src/registry/errors.ts';
import { unwrapResult } from '../../src/registry/registry.ts';
import { decodeSnapshot } from '../../src/registry/snapshot-codec.ts';
import { baseRegistration, Driver } from './helpers.ts';

const register = (over: Record<string, unknown> = {}) =>
  ({ op: 'service.register', args: { ...baseRegistration, ...over } }) as const;

function ok(result: ReturnType<Driver['apply']>): ApplyOk {
  return unwrapResult(result);
}

describe('services and instances', () => {
  it('registers an instance with defaults resolved, at the revision of its index', () => {
    const d = new Driver();
    const r = ok(d.apply(register()));
    expect(r).toEqual({ ok: true, revision: 1, replaced: false });
    expect(d.registry.getService('api')).toEqual([
      {
        ...baseRegistration,
        version: null,
        tags: [],
        meta: {},
        weight: 1,
        zone: null,
        checks: [],
        state: 'active',
        health: 'passing',
        healthSince: 1000,
        modRevision: 1,
      },
    ]);
    expect(d.registry.revision).toBe(1);
    expect(d.registry.listServices()).toEqual([{ name: 'api', instances: 1, healthy: 1 }]);
  });

  it('re-register of the same id replaces it, and moves it when the name changes', () => {
    const d = new Driver();
    d.apply(register());
    expect(ok(d.apply(register({ port: 4000 }))).replaced).toBe(true);
    expect(d.registry.getService('api').map((i) => i.port)).toEqual([4000]);
    d.apply(register({ name: 'web' }));
    expect(d.registry.getService('api')).toEqual([]);
    expect(d.registry.listServices().map((s) => s.name)).toEqual(['web']);
    expect(d.registry.getInstance('api-1')?.name).toBe('web');
  });

  it('an instance with checks starts critical; healthyOnly filters critical and draining', () => {
    const d = new Driver();
    d.apply(register({ id: 'a', checks: [{ type: 'ttl', ttlMs: 5000 }] }));
    d.apply(register({ id: 'b' }));
    d.apply(register({ id: 'c' }));
    d.apply({ op: 'instance.drain', args: { id: 'c' } });
    expect(d.registry.getService('api').map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(d.registry.getService('api', { healthyOnly: true }).map((i) => i.id)).toEqual(['b']);
    expect(ok(d.apply({ op: 'instance.health', args: { id: 'a', health: 'passing' } })).changed).toBe(true);
    expect(d.registry.getService('api', { healthyOnly: true }).map((i) => i.id)).toEqual(['a', 'b']);
    expect(d.registry.getInstance('a')?.modRevision).toBe(5);
  });

  it('health and drain: unchanged values make no revision; unknown ids answer NOT_FOUND', () => {
    const d = new Driver();
    d.apply(register());
    expect(ok(d.apply({ op: 'instance.health', args: { id: 'api-1', health: 'passing' } }))).toEqual({
      ok: true,
      revision: 1,
      changed: false,
    });
    expect(ok(d.apply({ op: 'instance.health', args: { id: 'api-1', health: 'warning' } })).revision).toBe(3);
    expect(ok(d.apply({ op: 'instance.drain', args: { id: 'api-1' } })).revision).toBe(4);
    expect(ok(d.apply({ op: 'instance.drain', args: { id: 'api-1' } }))).toEqual({
      ok: true,
      revision: 4,
      changed: false,
    });
    expect(d.registry.getInstance('api-1')).toMatchObject({ health: 'warning', state: 'draining' });
    for (const body of [
      { op: 'instance.health', args: { id: 'nope', health: 'passing' } },
      { op: 'instance.drain', args: { id: 'nope' } },
    ] as const) {
      const r = d.apply(body);
      expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'NOT_FOUND' }) });
    }
    expect(d.registry.revision).toBe(4);
  });

  it('deregister removes the instance and the empty service; twice answers deleted: false', () => {
    const d = new Driver();
    d.apply(register());
    expect(ok(d.apply({ op: 'service.deregister', args: { id: 'api-1' } }))).toEqual({
      ok: true,
      revision: 2,
      deleted: true,
    });
    expect(ok(d.apply({ op: 'service.deregister', args: { id: 'api-1' } }))).toEqual({
      ok: true,
      revision: 2,
      deleted: false,
    });
    expect(d.registry.listServices()).toEqual([]);
  });
});

describe('deployments and routing policies (data only)', () => {
  const deployment = {
    id: 'd1',
    service: 'api',
    strategy: 'canary',
    from: '1.0.0',
    to: '1.1.0',
    weights: { '1.0.0': 90, '1.1.0': 10 },
    steps: [{ weight: 10 }, { weight: 100 }],
    status: 'running',
  } as const;

  it('stores a deployment and appends history on status changes only, stamped with command time', () => {
    const d = new Driver();
    d.apply({ op: 'deployment.put', args: deployment }, { now: 10 });
    d.apply(
      { op: 'deployment.put', args: { ...deployment, weights: { '1.0.0': 50, '1.1.0': 50 } } },
      { now: 20 },
    );
    d.apply({ op: 'deployment.put', args: { ...deployment, status: 'promoted' } }, { now: 30 });
    const stored = d.registry.getDeployment('d1');
    expect(stored?.history).toEqual([
      { at: 10, status: 'running', revision: 1 },
      { at: 30, status: 'promoted', revision: 3 },
    ]);
    expect(stored?.modRevision).toBe(3);
    expect(d.registry.listDeployments('api').map((x) => x.id)).toEqual(['d1']);
    expect(ok(d.apply({ op: 'deployment.delete', args: { id: 'd1' } })).deleted).toBe(true);
    expect(d.registry.getDeployment('d1')).toBeUndefined();
  });

  it('sets and deletes a routing policy', () => {
    const d = new Driver();
    const policy = { strategy: 'round-robin', versionWeights: { '1.0.0': 9, '1.1.0': 1 } } as const;
    expect(ok(d.apply({ op: 'routing.set', args: { service: 'api', policy } })).revision).toBe(1);
    expect(d.registry.getRoutingPolicy('api')).toEqual(policy);
    expect(ok(d.apply({ op: 'routing.delete', args: { service: 'api' } })).deleted).toBe(true);
    expect(ok(d.apply({ op: 'routing.delete', args: { service: 'api' } })).deleted).toBe(false);
    expect(d.registry.getRoutingPolicy('api')).toBeUndefined();
  });
});

describe('kv', () => {
  it('put, get, delete with revisions; bytes come back as a copy', () => {
    const d = new Driver();
    expect(d.registry.kvGet('k')).toEqual({ value: null, revision: 0, modRevision: 0 });
    d.apply({ op: 'kv.put', args: { key: 'k', value: new Uint8Array([1, 2]) } });
    const got = d.registry.kvGet('k');
    expect(got).toEqual({ value: new Uint8Array([1, 2]), revision: 1, modRevision: 1 });
    (got.value as Uint8Array)[0] = 9;
    expect(d.registry.kvGet('k').value).toEqual(new Uint8Array([1, 2]));
    d.apply({ op: 'kv.put', args: { key: 'j', value: { on: true } } });
    expect(d.registry.kvGet('k')).toEqual({ value: new Uint8Array([1, 2]), revision: 2, modRevision: 1 });
    expect(d.registry.kvKeys()).toEqual(['j', 'k']);
    expect(ok(d.apply({ op: 'kv.delete', args: { key: 'k' } }))).toEqual({
      ok: true,
      revision: 3,
      deleted: true,
    });
    expect(ok(d.apply({ op: 'kv.delete', args: { key: 'k' } }))).toEqual({
      ok: true,
      revision: 3,
      deleted: false,
    });
  });

  it('cas: null expects absence; structural equality; bytes never equal JSON; failure changes nothing', () => {
    const d = new Driver();
    const cas = (expected: unknown, value: unknown) =>
      ok(d.apply({ op: 'kv.cas', args: { key: 'k', expected, value } } as never));
    expect(cas(null, { a: [1, 2] })).toEqual({ ok: true, revision: 1, succeeded: true });
    expect(cas(null, 'x')).toEqual({ ok: true, revision: 1, succeeded: false });
    expect(cas({ a: [1, 3] }, 'x')).toEqual({ ok: true, revision: 1, succeeded: false });
    expect(cas({ a: [1, 2] }, new Uint8Array([1]))).toEqual({ ok: true, revision: 4, succeeded: true });
    expect(cas([1], 'y').succeeded).toBe(false);
    expect(cas(new Uint8Array([1]), 'on')).toEqual({ ok: true, revision: 6, succeeded: true });
    expect(cas('on', 'off').succeeded).toBe(true);
    expect(d.registry.kvGet('k')).toEqual({ value: 'off', revision: 7, modRevision: 7 });
  });
});

describe('invalid commands apply as errors and change nothing', () => {
  it.each([
    ['garbage bytes', new Uint8Array([0xc1, 0xff, 0x00])],
    ['empty', new Uint8Array([0x80])],
  ])('%s', (_label, bytes) => {
    const d = new Driver();
    d.apply(register());
    const before = decodeSnapshot(d.registry.snapshot());
    const r = d.applyBytes(bytes);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    // Only the applied index moves.
    expect(decodeSnapshot(d.registry.snapshot())).toEqual({ ...before, appliedIndex: 2 });
    expect(d.registry.revision).toBe(1);
  });

  it('a command that bypassed validation (e.g. a bad port) is refused inside apply', async () => {
    const { Packr } = await import('msgpackr');
    const bytes = new Packr({ useRecords: false }).pack({
      op: 'service.register',
      args: { ...baseRegistration, port: 70_000 },
      now: 1,
    });
    const d = new Driver();
    const r = d.applyBytes(bytes);
    expect(r).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.any(String), details: { field: 'port' } },
    });
    expect(d.registry.listServices()).toEqual([]);
    expect(() => unwrapResult(r)).toThrow(FlotillaError);
  });

  it('apply refuses a non-increasing index (a runtime bug)', () => {
    const d = new Driver();
    d.apply(register());
    expect(() => d.registry.apply(new Uint8Array([0x80]), 1)).toThrow(/index 1 after 1/);
  });
});
