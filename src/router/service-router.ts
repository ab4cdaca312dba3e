/**
 * The router of one service: given its instances and routing policy, it
 * picks the instance for each request and learns from how requests end.
 *
 * A pick, in order:
 *  1. active instances only — draining ones get no new requests (those in
 *     flight are not touched: they finish);
 *  2. of those, the eligible: health passing or warning, not ejected by the
 *     outlier detector, breaker letting requests through; if fewer than
 *     the panic threshold are eligible, every active instance is (panic);
 *  3. instances already tried by this request are skipped when others remain;
 *  4. with `versionWeights`, one version by weight (version-split.ts);
 *  5. the strategy picks among what is left.
 *
 * Pure: no timers, no I/O; time and chance come from the options.
 */

import type { Instance, RoutingPolicy, RoutingStrategy } from '../registry/types.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { ConsistentHash } from './consistent-hash.ts';
import { hash32 } from './hash.ts';
import { LeastRequest } from './least-request.ts';
import type { Outcome } from './outcome.ts';
import { OutlierDetector } from './outlier-detector.ts';
import { RandomStrategy } from './random-strategy.ts';
import { RoundRobin } from './round-robin.ts';
import { type RouteRequest, requestKey } from './route-request.ts';
import type { ResolvedRouterOptions } from './router-options.ts';
import { type CustomStrategy, customStrategy, type PickContext, type Strategy } from './strategy.ts';
import { splitByVersion } from './version-split.ts';
import { WeightedRoundRobin } from './weighted-round-robin.ts';

/** The policy of a service that has none stored. */
export const DEFAULT_POLICY: RoutingPolicy = { strategy: 'round-robin' };

/** Options of one pick. */
export interface PickOptions {
  /** Instances this request already tried (a retry): avoided while others are eligible. */
  readonly exclude?: ReadonlySet<string>;
  /** Overrides the policy's strategy for this pick. */
  readonly strategy?: CustomStrategy;
}

/** A request the router has started on an instance; `finish` it exactly once (later calls are ignored). */
export interface InFlight {
  readonly instance: Instance;
  finish(outcome: Outcome): void;
}

/** What the router thinks of the service right now (for /healthz and tests). */
export interface ServiceRouterStatus {
  readonly instances: number;
  readonly active: number;
  /** Active instances that pass health, ejection and breaker (in panic, fewer than the threshold). */
  readonly eligible: number;
  readonly panic: boolean;
  readonly ejected: readonly string[];
  readonly breakerOpen: readonly string[];
  readonly inFlight: number;
}

/** Per-instance bookkeeping. Entries live while the instance is in the service or has requests in flight. */
interface Stats {
  inFlight: number;
  readonly breaker: CircuitBreaker | undefined;
}

function createStrategy(name: RoutingStrategy, ringPoints: number): Strategy {
  switch (name) {
    case 'round-robin':
      return new RoundRobin();
    case 'weighted-round-robin':
      return new WeightedRoundRobin();
    case 'random':
      return new RandomStrategy();
    case 'least-request':
      return new LeastRequest();
    case 'consistent-hash':
      return new ConsistentHash(ringPoints);
  }
}

export class ServiceRouter {
  /** Sorted by id, so strategies see a stable order. */
  private list: readonly Instance[] = [];
  private current: RoutingPolicy = DEFAULT_POLICY;
  private strategy: Strategy;
  private readonly stats = new Map<string, Stats>();
  private readonly outliers: OutlierDetector | undefined;
  private readonly custom: Strategy | undefined;

  constructor(
    readonly service: string,
    private readonly o: Readonly<ResolvedRouterOptions>,
    custom?: CustomStrategy,
  ) {
    this.strategy = createStrategy(this.current.strategy, o.ringPoints);
    this.outliers = o.outlier === undefined ? undefined : new OutlierDetector(o.outlier);
    this.custom = custom === undefined ? undefined : customStrategy(custom);
  }

  get instances(): readonly Instance[] {
    return this.list;
  }

  get policy(): RoutingPolicy {
    return this.current;
  }

  /** Replaces the instances and the policy (`null`: the default, round-robin). */
  update(instances: Iterable<Instance>, policy: RoutingPolicy | null): void {
    this.list = [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const next = policy ?? DEFAULT_POLICY;
    if (next.strategy !== this.current.strategy)
      this.strategy = createStrategy(next.strategy, this.o.ringPoints);
    this.current = next;
    const live = new Set(this.list.map((i) => i.id));
    for (const [id, s] of this.stats) if (!live.has(id) && s.inFlight === 0) this.stats.delete(id);
    this.strategy.retain(live);
    this.outliers?.retain(live);
  }

  /** Picks the instance for `request`, or `undefined` when none may take it. */
  pick(request: RouteRequest = {}, options: PickOptions = {}): Instance | undefined {
    let candidates = this.eligible().candidates;
    if (candidates.length === 0) return undefined;
    const exclude = options.exclude;
    if (exclude !== undefined && exclude.size > 0) {
      const fresh = candidates.filter((c) => !exclude.has(c.id));
      if (fresh.length > 0) candidates = fresh;
    }
    const weights = this.current.versionWeights;
    if (weights !== undefined) {
      const split = splitByVersion(candidates, weights, this.versionPoint(request));
      if (split === undefined) return undefined;
      candidates = split;
    }
    const ctx: PickContext = {
      request,
      random: this.o.random,
      inFlight: (id) => this.stats.get(id)?.inFlight ?? 0,
      hashKey: this.current.hashKey,
    };
    const strategy =
      options.strategy === undefined ? (this.custom ?? this.strategy) : customStrategy(options.strategy);
    return strategy.pick(candidates, ctx);
  }

  /** Counts a request as in flight on `instance` until the handle's `finish`. */
  start(instance: Instance): InFlight {
    const now = this.o.clock();
    const s = this.statsOf(instance.id);
    s.inFlight++;
    const probe = s.breaker?.onStart(now) ?? false;
    let done = false;
    return {
      instance,
      finish: (outcome) => {
        if (done) return;
        done = true;
        const at = this.o.clock();
        s.inFlight--;
        s.breaker?.onFinish(outcome, probe, at);
        this.outliers?.record(instance.id, outcome, at, this.list.length);
        if (s.inFlight === 0 && !this.list.some((i) => i.id === instance.id)) this.stats.delete(instance.id);
      },
    };
  }

  inFlight(id: string): number {
    return this.stats.get(id)?.inFlight ?? 0;
  }

  status(): ServiceRouterStatus {
    const now = this.o.clock();
    const { active, healthy, panic } = this.eligible();
    let inFlight = 0;
    for (const s of this.stats.values()) inFlight += s.inFlight;
    return {
      instances: this.list.length,
      active,
      eligible: healthy,
      panic,
      ejected: this.list.filter((i) => this.outliers?.isEjected(i.id, now) === true).map((i) => i.id),
      breakerOpen: this.list
        .filter((i) => this.stats.get(i.id)?.breaker?.allows(now) === false)
        .map((i) => i.id),
      inFlight,
    };
  }

  /** Steps 1 and 2 of a pick (see the file comment). */
  private eligible(): { candidates: readonly Instance[]; active: number; healthy: number; panic: boolean } {
    const now = this.o.clock();
    const active = this.list.filter((i) => i.state === 'active');
    const healthy = active.filter(
      (i) =>
        i.health !== 'critical' &&
        this.outliers?.isEjected(i.id, now) !== true &&
        this.stats.get(i.id)?.breaker?.allows(now) !== false,
    );
    const panic = healthy.length * 100 < this.o.panicThresholdPercent * active.length;
    return { candidates: panic ? active : healthy, active: active.length, healthy: healthy.length, panic };
  }

  /**
   * Where a request falls in the version split: by its hash key under
   * consistent-hash (so a user keeps their version as well as their
   * instance), else at random.
   */
  private versionPoint(request: RouteRequest): number {
    if (this.current.strategy === 'consistent-hash') {
      const key = requestKey(this.current.hashKey, request);
      if (key !== undefined) return hash32(`version:${key}`) / 2 ** 32;
    }
    return this.o.random();
  }

  private statsOf(id: string): Stats {
    let s = this.stats.get(id);
    if (s === undefined) {
      s = {
        inFlight: 0,
        breaker: this.o.breaker === undefined ? undefined : new CircuitBreaker(this.o.breaker),
      };
      this.stats.set(id, s);
    }
    return s;
  }
}
