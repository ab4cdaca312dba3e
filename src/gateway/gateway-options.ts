/**
 * What `Gateway.start()` takes, its defaults, and the pure check that
 * resolves it (STYLE §5): `DEFAULT_*` constants, fields validated against
 * each other, input never mutated.
 */

import type { Requester } from '../client/requester.ts';
import { invalidArgument } from '../registry/errors.ts';
import type { RouterOptions } from '../router/router-options.ts';
import type { CustomStrategy } from '../router/strategy.ts';
import { DEFAULT_RETRY_BUDGET, type RetryBudgetOptions } from './retry-budget.ts';
import { checkRoute, type GatewayRoute, parseRoute } from './route-map.ts';

/** Where the gateway listens unless told otherwise. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';
/** Attempts per request, the first included (so 2 retries). */
export const DEFAULT_ATTEMPTS = 3;
/** Full-jitter backoff between attempts: the cap starts here and doubles… */
export const DEFAULT_RETRY_BASE_MS = 25;
/** …up to this. */
export const DEFAULT_RETRY_MAX_MS = 250;
/** An upstream socket idle this long (no response bytes) fails the attempt with 504. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
/** How often the gateway checks that the cluster answers (a linearizable read). */
export const DEFAULT_PROBE_INTERVAL_MS = 1000;
/** Downstream connections at once; beyond it the OS backlog holds new ones. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Sockets per upstream instance (the agent queues requests beyond it, bounded by the connections above). */
export const DEFAULT_MAX_SOCKETS_PER_UPSTREAM = 256;
/** How long `close()` lets requests in flight finish before it cuts their connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** How often the gateway reports per-version request and error counts to the leader (deployment gates). */
export const DEFAULT_REPORT_INTERVAL_MS = 500;
/** The gateway's own paths live under this prefix, which routes must not claim. */
export const RESERVED_PREFIX = '/_flotilla';

export interface GatewayOptions {
  /** `host:port` to listen on (port 0: any free port). */
  readonly listen?: string;
  /** Routes as objects or as `PREFIX=SERVICE` strings. At least one. */
  readonly routes: readonly (GatewayRoute | string)[];
  /** Nodes of the cluster; the gateway opens (and closes) its own client. */
  readonly endpoints?: readonly string[];
  /** Or a client to use (not closed by the gateway). Exactly one of `endpoints` and `client`. */
  readonly client?: Requester;
  /** Deadline of the gateway client's calls (and of each reachability probe). */
  readonly clusterTimeoutMs?: number;
  readonly router?: RouterOptions;
  /** Custom strategies by service, overriding the policy's strategy. */
  readonly strategies?: Readonly<Record<string, CustomStrategy>>;
  readonly retry?: {
    readonly attempts?: number;
    readonly baseMs?: number;
    readonly maxMs?: number;
    readonly budget?: Partial<RetryBudgetOptions>;
    /**
     * Which upstream answers an idempotent request is retried on (on another
     * instance): `5xx` (default) — any server error, so a failing canary's
     * GETs are served by the stable version — or `gateway` (502/503 only).
     */
    readonly on?: '5xx' | 'gateway';
  };
  /** Per-version traffic reports to the leader, for the deployments' error gate; 0 turns them off. */
  readonly reportIntervalMs?: number;
  readonly upstreamTimeoutMs?: number;
  readonly probeIntervalMs?: number;
  readonly maxConnections?: number;
  readonly maxSocketsPerUpstream?: number;
  readonly shutdownGraceMs?: number;
  /** Told one line per notable event (cluster lost or back). Default: silent. */
  readonly log?: (line: string) => void;
  /** Milliseconds since the epoch; drives the retry budget. */
  readonly clock?: () => number;
  readonly random?: () => number;
}

export interface ResolvedGatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly GatewayRoute[];
  readonly endpoints: readonly string[] | undefined;
  readonly client: Requester | undefined;
  readonly clusterTimeoutMs: number;
  readonly router: RouterOptions;
  readonly strategies: Readonly<Record<string, CustomStrategy>>;
  readonly attempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly budget: RetryBudgetOptions;
  readonly retryOn: '5xx' | 'gateway';
  readonly reportIntervalMs: number;
  readonly upstreamTimeoutMs: number;
  readonly probeIntervalMs: number;
  readonly maxConnections: number;
  readonly maxSocketsPerUpstream: number;
  readonly shutdownGraceMs: number;
  readonly log: (line: string) => void;
  readonly clock: () => number;
  readonly random: () => number;
}

function int(value: number | undefined, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidArgument(field, `must be an integer from ${min} to ${max}`);
  return value;
}

function retryOn(value: string | undefined): '5xx' | 'gateway' {
  if (value === undefined) return '5xx';
  if (value !== '5xx' && value !== 'gateway') throw invalidArgument('retry.on', 'must be 5xx or gateway');
  return value;
}

/** Splits `host:port` (IPv6 as `[::1]:8080`). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (m === null || port > 65535)
    throw invalidArgument('listen', `${JSON.stringify(listen)} is not host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Fills in defaults and checks every field; INVALID_ARGUMENT names the bad one. */
export function resolveGatewayOptions(o: GatewayOptions): Readonly<ResolvedGatewayOptions> {
  const { host, port } = parseListen(o.listen ?? DEFAULT_LISTEN);
  if (o.routes.length === 0) throw invalidArgument('routes', 'must name at least one PREFIX=SERVICE');
  const routes = o.routes.map((r) => (typeof r === 'string' ? parseRoute(r) : checkRoute(r)));
  for (const r of routes)
    if (r.prefix === RESERVED_PREFIX || r.prefix.startsWith(`${RESERVED_PREFIX}/`))
      throw invalidArgument('routes', `${r.prefix} is reserved for the gateway's own paths`);
  if ((o.endpoints === undefined) === (o.client === undefined))
    throw invalidArgument('endpoints', 'give either endpoints or a client');
  const retryBaseMs = int(o.retry?.baseMs, 'retry.baseMs', DEFAULT_RETRY_BASE_MS, 0, 60_000);
  const budget = { ...DEFAULT_RETRY_BUDGET, ...o.retry?.budget };
  int(budget.percent, 'retry.budget.percent', 0, 0, 1000);
  int(budget.minPerSecond, 'retry.budget.minPerSecond', 0, 0, 1_000_000);
  int(budget.windowMs, 'retry.budget.windowMs', 0, 1000, 600_000);
  return {
    host,
    port,
    routes,
    endpoints: o.endpoints,
    client: o.client,
    clusterTimeoutMs: int(o.clusterTimeoutMs, 'clusterTimeoutMs', 2000, 10, 600_000),
    router: o.router ?? {},
    strategies: o.strategies ?? {},
    attempts: int(o.retry?.attempts, 'retry.attempts', DEFAULT_ATTEMPTS, 1, 10),
    retryBaseMs,
    retryMaxMs: int(
      o.retry?.maxMs,
      'retry.maxMs',
      Math.max(DEFAULT_RETRY_MAX_MS, retryBaseMs),
      retryBaseMs,
      600_000,
    ),
    budget,
    retryOn: retryOn(o.retry?.on),
    reportIntervalMs: int(o.reportIntervalMs, 'reportIntervalMs', DEFAULT_REPORT_INTERVAL_MS, 0, 600_000),
    upstreamTimeoutMs: int(
      o.upstreamTimeoutMs,
      'upstreamTimeoutMs',
      DEFAULT_UPSTREAM_TIMEOUT_MS,
      1,
      86_400_000,
    ),
    probeIntervalMs: int(o.probeIntervalMs, 'probeIntervalMs', DEFAULT_PROBE_INTERVAL_MS, 10, 600_000),
    maxConnections: int(o.maxConnections, 'maxConnections', DEFAULT_MAX_CONNECTIONS, 1, 1_000_000),
    maxSocketsPerUpstream: int(
      o.maxSocketsPerUpstream,
      'maxSocketsPerUpstream',
      DEFAULT_MAX_SOCKETS_PER_UPSTREAM,
      1,
      100_000,
    ),
    shutdownGraceMs: int(o.shutdownGraceMs, 'shutdownGraceMs', DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000),
    log: o.log ?? (() => {}),
    clock: o.clock ?? Date.now,
    random: o.random ?? Math.random,
  };
}
