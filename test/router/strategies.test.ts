import { describe, expect, it } from 'vitest';
import type { Instance } from '../../src/registry/types.ts';
import { RoutingTable, requestKey } from '../../src/router/index.ts';
import { countPicks, inst, routerOf, seeded } from './helpers.ts';

const three = [inst('a'), inst('b'), inst('c')];

describe('round-robin', () => {
  it('alternates over the instances in id order', () => {
    const r = routerOf([inst('b'), inst('a')]);
    expect(Array.from({ length: 6 }, () => r.pick()?.id)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('is the strategy of a service without a policy', () => {
    const r = routerOf(three);
    expect(r.policy.strategy).toBe('round-robin');
    expect([...countPicks(r, 300).values()]).toEqual([100, 100, 100]);
  });
});

describe('weighted-round-robin', () => {
  it('gives each instance its weight over 10,000 picks (within 1 %)', () => {
    const r = routerOf([inst('a', { weight: 5 }), inst('b', { weight: 3 }), inst('c', { weight: 2 })], {
      strategy: 'weighted-round-robin',
    });
    const counts = countPicks(r, 10_000);
    expect(counts.get('a')! / 10_000).toBeCloseTo(0.5, 2);
    expect(counts.get('b')! / 10_000).toBeCloseTo(0.3, 2);
    expect(counts.get('c')! / 10_000).toBeCloseTo(0.2, 2);
  });

  it('is smooth: weights 5,1,1 interleave as nginx does', () => {
    const r = routerOf([inst('a', { weight: 5 }), inst('b', { weight: 1 }), inst('c', { weight: 1 })], {
      strategy: 'weighted-round-robin',
    });
    expect(Array.from({ length: 7 }, () => r.pick()?.id).join('')).toBe('aabacaa');
  });

  it('sends nothing to weight 0 unless every weight is 0', () => {
    const r = routerOf([inst('a', { weight: 0 }), inst('b', { weight: 2 })], {
      strategy: 'weighted-round-robin',
    });
    expect(countPicks(r, 100).get('a')).toBeUndefined();
    const zero = routerOf([inst('a', { weight: 0 }), inst('b', { weight: 0 })], {
      strategy: 'weighted-round-robin',
    });
    expect([...countPicks(zero, 100).values()]).toEqual([50, 50]);
  });
});

describe('random', () => {
  it('draws from the injected rng, uniformly within 5 % over 10,000 picks', () => {
    const r = routerOf(three, { strategy: 'random' }, { random: seeded(7) });
    for (const n of countPicks(r, 10_000).values())
      expect(Math.abs(n / 10_000 - 1 / 3)).toBeLessThan(0.05 / 3);
    const pinned = routerOf(three, { strategy: 'random' }, { random: () => 0.99 });
    expect(pinned.pick()?.id).toBe('c');
  });
});

describe('least-request (power of two choices)', () => {
  it('prefers the idle instances: the busiest is never picked, an idle one wins every pair it is in', () => {
    const r = routerOf(three, { strategy: 'least-request' }, { random: seeded(3) });
    const busy = [r.start(three[0]!), r.start(three[0]!), r.start(three[1]!)];
    const counts = countPicks(r, 3000);
    expect(counts.get('a')).toBeUndefined();
    // c (idle) wins both pairs it is drawn in: about 2/3 of the picks; b only the pair (a, b).
    expect(counts.get('c')! / 3000).toBeCloseTo(2 / 3, 1);
    for (const h of busy) h.finish('success');
    expect(r.inFlight('a')).toBe(0);
  });

  it('with two instances always takes the one with fewer requests in flight', () => {
    const pair = [inst('a'), inst('b')];
    const r = routerOf(pair, { strategy: 'least-request' });
    const held = r.start(pair[1]!);
    expect(countPicks(r, 100).get('a')).toBe(100);
    held.finish('success');
    const counts = countPicks(r, 1000);
    expect(counts.get('a')! + counts.get('b')!).toBe(1000);
  });

  it('spreads load when picks are started: no instance gets more than 2 in flight above the others', () => {
    const ten = Array.from({ length: 10 }, (_, i) => inst(`i${i}`));
    const r = routerOf(ten, { strategy: 'least-request' });
    for (let k = 0; k < 200; k++) r.start(r.pick()!);
    const loads = ten.map((i) => r.inFlight(i.id));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(3);
  });
});

describe('consistent-hash', () => {
  const ten = Array.from({ length: 10 }, (_, i) => inst(`node-${i}`));
  const keys = Array.from({ length: 20_000 }, (_, i) => `/users/${i}`);
  const assign = (instances: readonly Instance[]) => {
    const r = routerOf(instances, { strategy: 'consistent-hash', hashKey: 'path' });
    return keys.map((k) => r.pick({ path: k })!.id);
  };

  it('keeps ≥ 90 % of keys on their instance when one of ten leaves (every key not on it stays)', () => {
    const before = assign(ten);
    let kept = 0;
    let movedNeedlessly = 0;
    for (const leaving of ten) {
      const after = assign(ten.filter((i) => i !== leaving));
      keys.forEach((_, k) => {
        if (after[k] === before[k]) kept++;
        else if (before[k] !== leaving.id) movedNeedlessly++;
      });
    }
    expect(movedNeedlessly).toBe(0);
    // Averaged over which instance leaves: exactly the share not on the leaving one, i.e. 90 %.
    expect(kept / (keys.length * ten.length)).toBeGreaterThanOrEqual(0.9);
  });

  it('spreads keys evenly: every instance within 30 % of its fair share', () => {
    const counts = new Map<string, number>();
    for (const id of assign(ten)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const n of counts.values()) expect(Math.abs(n / (keys.length / 10) - 1)).toBeLessThan(0.3);
  });

  it('is stable across router instances and input order', () => {
    expect(assign([...ten].reverse())).toEqual(assign(ten));
  });

  it('hashes by header, query parameter or cookie as the policy names', () => {
    expect(requestKey('header:X-User', { headers: { 'x-user': 'u1' } })).toBe('u1');
    expect(requestKey('query:user', { path: '/a?user=u2&x=1' })).toBe('u2');
    expect(requestKey('cookie:sid', { headers: { cookie: 'a=1; sid=s3' } })).toBe('s3');
    expect(requestKey(undefined, { path: '/p?q=1' })).toBe('/p');
    expect(requestKey('header:x-user', { key: 'explicit' })).toBe('explicit');
    expect(requestKey('header:x-user', {})).toBeUndefined();
    const r = routerOf(ten, { strategy: 'consistent-hash', hashKey: 'header:x-user' });
    const first = r.pick({ headers: { 'x-user': 'alice' } })!.id;
    for (let i = 0; i < 20; i++)
      expect(r.pick({ headers: { 'x-user': 'alice' }, path: `/${i}` })!.id).toBe(first);
  });

  it('answers with the current copy of an instance whose address changed', () => {
    const table = new RoutingTable();
    table.load('api', [inst('a')], { strategy: 'consistent-hash' }, 1);
    expect(table.router('api')!.pick({ path: '/x' })!.port).toBe(3000);
    table.apply({ revision: 2, kind: 'instance', type: 'put', instance: inst('a', { port: 4000 }) });
    expect(table.router('api')!.pick({ path: '/x' })!.port).toBe(4000);
  });
});

describe('custom strategy', () => {
  it('gets the eligible instances and the request, and may refuse', () => {
    const table = new RoutingTable({}, { api: (xs, req) => xs.find((x) => x.id === req.key) });
    table.load('api', [...three, inst('d', { state: 'draining' })], null, 1);
    const r = table.router('api')!;
    expect(r.pick({ key: 'b' })?.id).toBe('b');
    expect(r.pick({ key: 'd' })).toBeUndefined();
  });

  it('can be given per pick, and must answer one of the candidates', () => {
    const r = routerOf(three);
    expect(r.pick({}, { strategy: (xs) => xs[2] })?.id).toBe('c');
    expect(() => r.pick({}, { strategy: () => inst('zz') })).toThrow(/not one of the eligible/);
  });
});
