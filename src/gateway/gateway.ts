/**
 * The gateway (DESIGN.md: "a gateway routes real HTTP traffic by that
 * state"): an HTTP/1.1 reverse proxy whose routing table follows the
 * registry through watches, and which keeps routing on its last table when
 * the whole cluster is unreachable.
 *
 * Its own endpoint: `GET /_flotilla/healthz` (everything under `/_flotilla/`
 * is reserved), and `GET /healthz` as well unless a route claims that path,
 * so that routed traffic is never shadowed. Both answer JSON: `status` is
 * `ok`, `degraded` (cluster unreachable — still routing, on the last table)
 * or `starting` (some routed service not loaded yet). Degraded answers 200:
 * a load balancer that pulled every gateway whenever the control plane was
 * down would turn a control-plane outage into a data-plane one. Starting
 * answers 503: such a gateway cannot route yet.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveOptions } from '../client/client-options.ts';
import { FlotillaClient } from '../client/flotilla-client.ts';
import type { Requester } from '../client/requester.ts';
import { RoutingTable } from '../router/routing-table.ts';
import type { ServiceRouterStatus } from '../router/service-router.ts';
import { AdmissionQueue } from './admission-queue.ts';
import { type ClusterReachability, ClusterView } from './cluster-view.ts';
import {
  type GatewayOptions,
  RESERVED_PREFIX,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './gateway-options.ts';
import { type ProxyContext, proxy, sendError } from './proxy-handler.ts';
import { RetryBudget } from './retry-budget.ts';
import { RouteMap } from './route-map.ts';
import { TrafficReporter } from './traffic-reporter.ts';
import { upstreamAgent } from './upstream.ts';

/** The gateway's health endpoint, always served. */
export const HEALTH_PATH = `${RESERVED_PREFIX}/healthz`;

/** A response the gateway sends itself instead of proxying. */
interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

/** One routed service as `/healthz` reports it. */
export interface ServiceHealth extends ServiceRouterStatus {
  readonly loaded: boolean;
  readonly revision: number;
  readonly queued: number;
}

/** What `/healthz` answers. */
export interface GatewayHealth {
  readonly status: 'ok' | 'degraded' | 'starting';
  readonly cluster: ClusterReachability;
  readonly services: Readonly<Record<string, ServiceHealth>>;
}

export class Gateway implements AsyncDisposable {
  readonly table: RoutingTable;
  readonly routes: RouteMap;
  private readonly view: ClusterView;
  private readonly admission = new Map<string, AdmissionQueue>();
  private readonly ctx: ProxyContext;
  private readonly server: Server;
  private readonly reporter: TrafficReporter;
  private active = 0;
  private closing = false;
  private closed: Promise<void> | undefined;

  private constructor(
    readonly options: Readonly<ResolvedGatewayOptions>,
    private readonly client: Requester,
    private readonly ownsClient: boolean,
  ) {
    this.routes = new RouteMap(options.routes);
    this.table = new RoutingTable({ random: options.random, ...options.router }, options.strategies);
    const services = this.routes.services();
    for (const s of services) this.admission.set(s, new AdmissionQueue());
    // A policy change applies to the queue at once, not only when the next request arrives.
    this.table.subscribe((s) => this.admission.get(s)?.configure(this.table.router(s)!.policy));
    this.view = new ClusterView(client, this.table, services, {
      probeIntervalMs: options.probeIntervalMs,
      probeTimeoutMs: options.clusterTimeoutMs,
      random: options.random,
      log: options.log,
    });
    this.reporter = new TrafficReporter(client, options.reportIntervalMs, options.clusterTimeoutMs);
    this.ctx = {
      options,
      agent: upstreamAgent(options.maxSocketsPerUpstream),
      budget: new RetryBudget(options.budget, options.clock),
      record: (service, version, error) => this.reporter.record(service, version, error),
    };
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.maxConnections = options.maxConnections;
  }

  /** Validates `options`, starts following the cluster and listens. Resolves once listening. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const o = resolveGatewayOptions(options);
    const owned = o.client === undefined;
    const client =
      o.client ??
      new FlotillaClient(resolveOptions({ endpoints: o.endpoints!, timeoutMs: o.clusterTimeoutMs }));
    const g = new Gateway(o, client, owned);
    g.view.start();
    try {
      await new Promise<void>((resolve, reject) => {
        g.server.once('error', reject);
        g.server.listen(o.port, o.host, () => {
          g.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await g.close();
      throw err;
    }
    return g;
  }

  /** Where it listens (the real port when started with port 0). */
  get address(): { readonly host: string; readonly port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  get url(): string {
    const { host, port } = this.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Resolves once every routed service's table has been loaded from the cluster. */
  ready(): Promise<void> {
    return this.view.ready();
  }

  health(): GatewayHealth {
    const services: Record<string, ServiceHealth> = {};
    let allLoaded = true;
    for (const name of this.routes.services()) {
      const s = this.table.router(name)!.status();
      const loaded = this.view.loaded(name);
      allLoaded &&= loaded;
      const q = this.admission.get(name)!;
      services[name] = { loaded, revision: this.table.revision(name) ?? 0, ...s, queued: q.queued };
    }
    const cluster = this.view.reachability();
    const status = !allLoaded ? 'starting' : cluster.reachable ? 'ok' : 'degraded';
    return { status, cluster, services };
  }

  /**
   * Stops accepting, lets requests in flight finish (up to `shutdownGraceMs`,
   * then cuts them), stops watching and closes upstream sockets. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    res.once('close', () => {
      this.active--;
      if (this.closing && this.active === 0) this.server.closeAllConnections();
    });
    const refusal = this.dispatch(req, res);
    if (refusal !== undefined) sendError(res, refusal.status, refusal.code, refusal.message, refusal.headers);
  }

  /** Serves `/healthz` or starts the proxy; answers the refusal to send instead, if any. */
  private dispatch(req: IncomingMessage, res: ServerResponse): Refusal | undefined {
    const url = req.url ?? '/';
    if (!url.startsWith('/'))
      return { status: 400, code: 'BAD_REQUEST', message: 'the request target must be a path' };
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === HEALTH_PATH || (path === '/healthz' && this.routes.match(path) === undefined)) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return {
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
          message: 'use GET',
          headers: { allow: 'GET, HEAD' },
        };
      this.healthz(req, res);
      return undefined;
    }
    const route = path.startsWith(`${RESERVED_PREFIX}/`) ? undefined : this.routes.match(path);
    if (route === undefined) return { status: 404, code: 'NO_ROUTE', message: `no route for ${path}` };
    const router = this.table.router(route.service);
    if (router === undefined || !this.view.loaded(route.service))
      return {
        status: 503,
        code: 'NOT_READY',
        message: `routing table of ${route.service} not loaded yet`,
        headers: { 'retry-after': '1' },
      };
    proxy(this.ctx, req, res, route.service, router, this.admission.get(route.service)!).catch(() => {
      // proxy() handles its own failures; anything left is a bug, and the client must not hang on it.
      res.destroy();
    });
    return undefined;
  }

  private healthz(req: IncomingMessage, res: ServerResponse): void {
    const h = this.health();
    const body = JSON.stringify(h);
    res.writeHead(h.status === 'starting' ? 503 : 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.active === 0) this.server.closeAllConnections();
    const grace = setTimeout(() => this.server.closeAllConnections(), this.options.shutdownGraceMs);
    await stopped;
    clearTimeout(grace);
    const watching = this.view.close();
    const reporting = this.reporter.close();
    this.ctx.agent.destroy();
    // Closing the client first ends a probe still waiting on an unreachable cluster at once.
    if (this.ownsClient) await (this.client as FlotillaClient).close();
    await watching;
    await reporting;
  }
}
