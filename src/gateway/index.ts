/**
 * The HTTP gateway (issue #7 item 3): a reverse proxy that routes by the
 * registry through the router, with retries under a budget, per-service
 * concurrency limits with a bounded queue, and a routing table that
 * survives the cluster being down. Start it with {@link Gateway.start} or
 * `flotilla gateway`.
 */

export {
  type Admission,
  type AdmissionLimits,
  AdmissionQueue,
  DEFAULT_QUEUE_TIMEOUT_MS,
} from './admission-queue.ts';
export type { ClusterReachability } from './cluster-view.ts';
export { Gateway, type GatewayHealth, HEALTH_PATH, type ServiceHealth } from './gateway.ts';
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_LISTEN,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_SOCKETS_PER_UPSTREAM,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type GatewayOptions,
  parseListen,
  RESERVED_PREFIX,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './gateway-options.ts';
export { INSTANCE_HEADER } from './http-headers.ts';
export { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
export { checkRoute, type GatewayRoute, parseRoute, RouteMap } from './route-map.ts';
