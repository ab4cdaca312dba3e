/** Shared test data for the router: instances, a seeded rng, a manual clock, pick counting. */

import { seededRng } from '../../raft/index.ts';
import type { Instance } from '../../src/registry/types.ts';
import { type RouteRequest, RoutingTable, type ServiceRouter } from '../../src/router/index.ts';
import type { RouterOptions } from '../../src/router/router-options.ts';

/** An instance of service `api` with the given overrides. */
export function inst(id: string, over: Partial<Instance> = {}): Instance {
  return {
    id,
    name: 'api',
    version: '1.0.0',
    address: '127.0.0.1',
    port: 3000,
    tags: [],
    meta: {},
    weight: 1,
    zone: null,
    checks: [],
    state: 'active',
    health: 'passing',
    healthSince: 0,
    modRevision: 1,
    ...over,
  };
}

/** A seeded generator (raft's mulberry32), so distributions are the same on every run. */
export function seeded(seed: number): () => number {
  return seededRng(seed).next;
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public t = 1_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A router for `api` over `instances`, with `options` (seeded rng by default). */
export function routerOf(
  instances: readonly Instance[],
  policy: Parameters<ServiceRouter['update']>[1] = null,
  options: RouterOptions = {},
): ServiceRouter {
  const table = new RoutingTable({ random: seeded(42), ...options });
  table.load('api', instances, policy, 1);
  return table.router('api')!;
}

/** Picks `n` times and counts the picks per instance id (`none` for no pick). */
export function countPicks(
  router: ServiceRouter,
  n: number,
  request: (i: number) => RouteRequest = () => ({}),
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = router.pick(request(i))?.id ?? 'none';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
