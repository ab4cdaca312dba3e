import { describe, expect, it } from 'vitest';
import { RoutingTable, splitByVersion } from '../../src/router/index.ts';
import { countPicks, inst, routerOf, seeded } from './helpers.ts';

describe('eligibility and panic threshold', () => {
  it('routes only to active instances that are passing or warning', () => {
    const r = routerOf([
      inst('a'),
      inst('b', { health: 'warning' }),
      inst('c', { health: 'critical' }),
      inst('d', { state: 'draining' }),
      inst('e'),
    ]);
    expect([...countPicks(r, 300).keys()].sort()).toEqual(['a', 'b', 'e']);
    expect(r.status()).toMatchObject({ instances: 5, active: 4, eligible: 3, panic: false });
  });

  it('below the threshold routes to every active instance, healthy or not, but never to draining ones', () => {
    const instances = [
      inst('a'),
      inst('b', { health: 'critical' }),
      inst('c', { health: 'critical' }),
      inst('d', { state: 'draining' }),
    ];
    const r = routerOf(instances, null, { panicThresholdPercent: 50 });
    expect(r.status()).toMatchObject({ active: 3, eligible: 1, panic: true });
    expect([...countPicks(r, 300).entries()].sort()).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 100],
    ]);
    // At exactly the threshold it is not in panic.
    const half = routerOf([inst('a'), inst('b', { health: 'critical' })], null, {
      panicThresholdPercent: 50,
    });
    expect(half.status().panic).toBe(false);
    expect([...countPicks(half, 10).keys()]).toEqual(['a']);
  });

  it('with the threshold at 0 never panics: all critical means no instance', () => {
    const r = routerOf([inst('a', { health: 'critical' })], null, { panicThresholdPercent: 0 });
    expect(r.pick()).toBeUndefined();
    expect(routerOf([inst('d', { state: 'draining' })]).pick()).toBeUndefined();
    expect(routerOf([]).pick()).toBeUndefined();
  });

  it('a retry avoids the instances it tried while others are eligible', () => {
    const r = routerOf([inst('a'), inst('b'), inst('c')]);
    for (let i = 0; i < 20; i++) expect(r.pick({}, { exclude: new Set(['a', 'b']) })?.id).toBe('c');
    expect(r.pick({}, { exclude: new Set(['a', 'b', 'c']) })).toBeDefined();
  });
});

describe('version weights (canary and blue-green splits)', () => {
  const v = (id: string, version: string) => inst(id, { version });
  const fleet = [v('s1', '1.0.0'), v('s2', '1.0.0'), v('s3', '1.0.0'), v('c1', '2.0.0'), v('o1', '0.9.0')];

  it('splits traffic by version within 2 % over 10,000 picks, and unnamed versions get none', () => {
    const r = routerOf(
      fleet,
      { strategy: 'round-robin', versionWeights: { '1.0.0': 900, '2.0.0': 100 } },
      {
        random: seeded(11),
      },
    );
    const counts = countPicks(r, 10_000);
    const stable = counts.get('s1')! + counts.get('s2')! + counts.get('s3')!;
    expect(stable / 10_000).toBeGreaterThan(0.88);
    expect(stable / 10_000).toBeLessThan(0.92);
    expect(counts.get('c1')! / 10_000).toBeCloseTo(0.1, 1);
    expect(counts.get('o1')).toBeUndefined();
    // The strategy still spreads within the version.
    expect(Math.abs(counts.get('s1')! - counts.get('s2')!)).toBeLessThan(100);
  });

  it('blue-green: all traffic to the one weighted version; a version without instances gives its share away', () => {
    const green = routerOf(fleet, { strategy: 'random', versionWeights: { '1.0.0': 0, '2.0.0': 1000 } });
    expect([...countPicks(green, 100).keys()]).toEqual(['c1']);
    const canaryDown = routerOf(
      fleet.map((i) => (i.id === 'c1' ? { ...i, health: 'critical' as const } : i)),
      { strategy: 'round-robin', versionWeights: { '1.0.0': 500, '2.0.0': 500 } },
    );
    expect(countPicks(canaryDown, 300).get('c1')).toBeUndefined();
    const none = routerOf(fleet, { strategy: 'round-robin', versionWeights: { '3.0.0': 1 } });
    expect(none.pick()).toBeUndefined();
  });

  it('under consistent-hash a key keeps its version', () => {
    const r = routerOf(fleet, {
      strategy: 'consistent-hash',
      hashKey: 'header:x-user',
      versionWeights: { '1.0.0': 500, '2.0.0': 500 },
    });
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5']) {
      const first = r.pick({ headers: { 'x-user': user } })!.id;
      for (let i = 0; i < 10; i++) expect(r.pick({ headers: { 'x-user': user } })!.id).toBe(first);
    }
    expect(splitByVersion(fleet, { '2.0.0': 1 }, 0.5)?.map((i) => i.id)).toEqual(['c1']);
  });
});

describe('routing table', () => {
  it('applies instance and routing changes of tracked services only, and resyncs', () => {
    const t = new RoutingTable();
    t.track('api');
    t.apply({ revision: 3, kind: 'instance', type: 'put', instance: inst('a') });
    t.apply({ revision: 4, kind: 'instance', type: 'put', instance: inst('x', { name: 'web' }) });
    t.apply({ revision: 5, kind: 'routing', type: 'put', service: 'api', policy: { strategy: 'random' } });
    t.apply({ revision: 6, kind: 'kv', type: 'put', key: 'k', value: 1 });
    expect(t.services()).toEqual(['api']);
    expect(t.router('api')!.instances.map((i) => i.id)).toEqual(['a']);
    expect(t.router('api')!.policy.strategy).toBe('random');
    expect(t.revision('api')).toBe(5);
    t.apply({ revision: 7, kind: 'instance', type: 'delete', instance: inst('a') });
    t.apply({ revision: 8, kind: 'routing', type: 'delete', service: 'api' });
    expect(t.router('api')!.instances).toEqual([]);
    expect(t.router('api')!.policy.strategy).toBe('round-robin');
    t.resync(
      {
        instances: [inst('b'), inst('y', { name: 'web' })],
        routing: [{ service: 'api', policy: { strategy: 'least-request' } }],
      },
      20,
    );
    expect(t.router('api')!.instances.map((i) => i.id)).toEqual(['b']);
    expect(t.router('api')!.policy.strategy).toBe('least-request');
    expect(t.revision('api')).toBe(20);
    t.forget('api');
    expect(t.router('api')).toBeUndefined();
  });

  it('keeps per-instance state bounded: a removed instance is forgotten once its requests finish', () => {
    const t = new RoutingTable();
    t.load('api', [inst('a'), inst('b')], { strategy: 'least-request' }, 1);
    const r = t.router('api')!;
    const held = r.start(inst('a'));
    t.apply({ revision: 2, kind: 'instance', type: 'delete', instance: inst('a') });
    expect(r.inFlight('a')).toBe(1);
    held.finish('success');
    held.finish('success'); // a second finish is ignored
    expect(r.inFlight('a')).toBe(0);
    expect(r.status().inFlight).toBe(0);
  });
});
