/**
 * The Flotilla client SDK (DESIGN.md "Client API and SDK"): `connect()` to
 * any nodes, then write through the leader and read from any node, with
 * leader discovery, retries that apply at most once, and resumable watches.
 */

export type {
  ArgsOf,
  ClientOp,
  Consistency,
  MemberInfo,
  MemberList,
  NodeStatus,
  QueryOp,
  ResultOf,
  ResyncState,
  WatchFilter,
  WriteOp,
  WriteResult,
} from '../protocol/client-protocol.ts';
export { FlotillaError } from '../registry/errors.ts';
export type { RouteRequest } from '../router/route-request.ts';
export type { CustomStrategy } from '../router/strategy.ts';
export {
  type ClientTlsOptions,
  type ConnectOptions,
  DEFAULT_MAX_WRITE_LANES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WATCH_BUFFER,
  type ResolvedClientOptions,
  resolveOptions,
} from './client-options.ts';
export type { ClusterApi, NewMember } from './cluster-api.ts';
export { type ClusterStatus, type MemberStatus, STATUS_TIMEOUT_MS } from './cluster-status.ts';
export type {
  CanaryOptions,
  DeploymentList,
  DeploymentsApi,
  RolloutOptions,
} from './deployments-api.ts';
export { connect, FlotillaClient } from './flotilla-client.ts';
export type { KvApi, KvGetResponse } from './kv-api.ts';
export type { CallOptions } from './requester.ts';
export {
  ClientRouter,
  type ClientRouterOptions,
  DEFAULT_ROUTE_CACHE_SERVICES,
  type FeedOptions,
  type RouteOptions,
  ServiceFeed,
} from './route.ts';
export type {
  DiscoverOptions,
  DiscoverResult,
  ReadOptions,
  ServiceListResult,
  ServicesApi,
} from './services-api.ts';
export type { WatchEvent, WatchOptions, WatchStream } from './watch-stream.ts';
