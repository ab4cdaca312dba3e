import { describe, expect, it } from 'vitest';
import type { CommandBody } from '../../src/registry/commands.ts';
import { Registry } from '../../src/registry/registry.ts';
import { decodeSnapshot, encodeSnapshot } from '../../src/registry/snapshot-codec.ts';
import type { Instance } from '../../src/registry/types.ts';
import { baseRegistration, Driver } from './helpers.ts';

function populated(): Driver {
  const d = new Driver();
  d.apply({ op: 'service.register', args: { ...baseRegistration, tags: ['a'], meta: { team: 'x' } } });
  d.apply({ op: 'service.register', args: { ...baseRegistration, id: 'api-2', checks: [{ type: 'tcp' }] } });
  d.apply({ op: 'instance.drain', args: { id: 'api-1' } }, { clientId: 'c1', seq: 1 });
  d.apply({ op: 'kv.put', args: { key: 'bin', value: new Uint8Array([0, 255]) } });
  d.apply(
    { op: 'kv.put', args: { key: 'json', value: { a: [1, 'b', null, 2.5] } } },
    { clientId: 'c2', seq: 7 },
  );
  d.apply({
    op: 'deployment.put',
    args: {
      id: 'd1',
      service: 'api',
      strategy: 'blue-green',
      from: 'blue',
      to: 'green',
      weights: { blue: 100 },
      steps: [],
      status: 'pending',
    },
  });
  d.apply({ op: 'routing.set', args: { service: 'api', policy: { strategy: 'least-request' } } });
  return d;
}

describe('snapshot and restore', () => {
  it('restore gives an equal registry: reads, revision, sessions and the same snapshot bytes', () => {
    const d = populated();
    const bytes = d.registry.snapshot();
    const copy = new Registry();
    copy.restore(bytes);
    const a = d.registry;
    expect(copy.revision).toBe(a.revision);
    expect(copy.appliedIndex).toBe(a.appliedIndex);
    expect(copy.listServices()).toEqual(a.listServices());
    expect(copy.getService('api')).toEqual(a.getService('api'));
    expect(copy.kvGet('bin')).toEqual(a.kvGet('bin'));
    expect(Object.getPrototypeOf(copy.kvGet('bin').value)).toBe(Uint8Array.prototype);
    expect(copy.kvGet('json')).toEqual(a.kvGet('json'));
    expect(copy.listDeployments()).toEqual(a.listDeployments());
    expect(copy.getRoutingPolicy('api')).toEqual(a.getRoutingPolicy('api'));
    expect(copy.getSession('c2')).toEqual(a.getSession('c2'));
    // Buffer copies: msgpackr caches a `dataView` property on the bytes it decodes.
    expect(Buffer.from(copy.snapshot())).toEqual(Buffer.from(bytes));
  });

  it('sessions survive a restore: a retry after it is still answered from the session', () => {
    const d = populated();
    const copy = new Driver();
    copy.registry.restore(d.registry.snapshot());
    copy.index = d.index;
    const retry = copy.apply(
      { op: 'kv.put', args: { key: 'json', value: 'again' } },
      { clientId: 'c2', seq: 7 },
    );
    expect(retry).toEqual({ ok: true, revision: 5 });
    expect(copy.registry.kvGet('json').value).toEqual({ a: [1, 'b', null, 2.5] });
  });

  it('restore replaces everything held before', () => {
    const target = populated();
    target.registry.restore(new Registry().snapshot());
    expect(target.registry.listServices()).toEqual([]);
    expect(target.registry.kvKeys()).toEqual([]);
    expect(target.registry.revision).toBe(0);
    expect(target.registry.getSession('c1')).toBeUndefined();
  });

  it('refuses bytes that are not a registry snapshot', () => {
    expect(() => new Registry().restore(new Uint8Array([0x80]))).toThrow(/registry snapshot/);
  });

  it('determinism: the same command bytes in the same order give byte-identical snapshots', () => {
    const a = populated();
    const b = populated();
    expect(b.registry.snapshot()).toEqual(a.registry.snapshot());
  });

  it('a restored registry stays byte-identical to the original through further commands', () => {
    const a = populated();
    a.apply({ op: 'service.register', args: { ...baseRegistration, id: 'web-1', name: 'web' } });
    a.apply({
      op: 'service.register',
      args: { ...baseRegistration, id: 'web-2', name: 'web', tags: [], meta: {}, checks: [] },
    });
    a.apply({ op: 'instance.drain', args: { id: 'web-1', timeoutMs: 5_000 } });
    const b = new Driver();
    b.registry.restore(a.registry.snapshot());
    b.index = a.index;
    const more: CommandBody[] = [
      { op: 'instance.health', args: { id: 'web-1', health: 'warning' } },
      { op: 'instance.drain', args: { id: 'web-2' } },
      { op: 'instance.health', args: { id: 'api-2', health: 'passing' } },
      { op: 'service.register', args: { ...baseRegistration, id: 'web-1', name: 'api', tags: ['moved'] } },
      { op: 'service.register', args: { ...baseRegistration, id: 'new-1', name: 'web' } },
    ];
    for (const body of more) expect(b.apply(body)).toEqual(a.apply(body));
    for (const name of ['api', 'web'])
      expect(b.registry.getService(name)).toEqual(a.registry.getService(name));
    expect(Buffer.from(b.registry.snapshot())).toEqual(Buffer.from(a.registry.snapshot()));
  });

  it('explicit empty tags, meta and checks store what omitting them stores', () => {
    const omitted = new Driver();
    omitted.apply({ op: 'service.register', args: baseRegistration });
    const empty = new Driver();
    empty.apply({ op: 'service.register', args: { ...baseRegistration, tags: [], meta: {}, checks: [] } });
    expect(empty.registry.getService('api')).toEqual(omitted.registry.getService('api'));
    expect(Buffer.from(empty.registry.snapshot())).toEqual(Buffer.from(omitted.registry.snapshot()));
  });

  it('an instance stored with its fields in another order is restored and re-encoded as it was', () => {
    const d = populated();
    const snap = decodeSnapshot(d.registry.snapshot());
    const reordered = snap.instances.map((i) => {
      const { id, ...rest } = i;
      return { ...rest, id } as Instance;
    });
    const bytes = encodeSnapshot({ ...snap, instances: reordered });
    const copy = new Registry();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot())).toEqual(Buffer.from(bytes));
  });
});
