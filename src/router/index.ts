/**
 * The router (DESIGN.md layout: "routing strategies, canary/blue-green
 * weighting, circuit breaker, concurrency limits"): pure code that turns a
 * service's instances and routing policy into a pick per request. The
 * gateway and the SDK's `client.route` both build on {@link RoutingTable}.
 */

export {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  DEFAULT_BREAKER,
} from './circuit-breaker.ts';
export { ConsistentHash, DEFAULT_RING_POINTS } from './consistent-hash.ts';
export { hash32 } from './hash.ts';
export { LeastRequest } from './least-request.ts';
export { isFailure, type Outcome } from './outcome.ts';
export { DEFAULT_OUTLIER, OutlierDetector, type OutlierOptions } from './outlier-detector.ts';
export { RandomStrategy } from './random-strategy.ts';
export { RoundRobin } from './round-robin.ts';
export { type RouteRequest, requestKey } from './route-request.ts';
export {
  DEFAULT_PANIC_THRESHOLD_PERCENT,
  type ResolvedRouterOptions,
  type RouterOptions,
  resolveRouterOptions,
} from './router-options.ts';
export { type RoutingState, RoutingTable } from './routing-table.ts';
export {
  DEFAULT_POLICY,
  type InFlight,
  type PickOptions,
  ServiceRouter,
  type ServiceRouterStatus,
} from './service-router.ts';
export type { CustomStrategy, PickContext, Random, Strategy } from './strategy.ts';
export { splitByVersion } from './version-split.ts';
export { WeightedRoundRobin } from './weighted-round-robin.ts';
