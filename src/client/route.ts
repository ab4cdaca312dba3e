/**
 * Routing from the SDK's watched cache: `client.route(name, request)` picks
 * an instance of a service with the router (src/router) and the service's
 * replicated routing policy, without a round trip per call.
 *
 * {@link ServiceFeed} keeps one service of a {@link RoutingTable} current: a
 * linearizable read of its instances, policy and deployments, then a watch
 * of their changes from the read's revision. The watch resumes
 * across node failures by itself (watch-stream.ts); when it ends anyway
 * (overflow, an error) the feed opens a new one from the last revision it
 * applied, so the table never misses a change, and while the cluster is
 * unreachable the table keeps its last state. The gateway uses the same feed.
 */

import { FlotillaError } from '../registry/errors.ts';
import type { Instance } from '../registry/types.ts';
import type { RouteRequest } from '../router/route-request.ts';
import type { RouterOptions } from '../router/router-options.ts';
import { RoutingTable } from '../router/routing-table.ts';
import type { CustomStrategy } from '../router/strategy.ts';
import { backoffDelay, pause, type RandomSource } from './backoff.ts';
import type { Requester } from './requester.ts';

/** Options of a {@link ServiceFeed}. */
export interface FeedOptions {
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly random?: RandomSource;
  /**
   * Keep retrying the first read until it succeeds (a gateway that starts
   * before its cluster) instead of failing `ready` with its error (the SDK,
   * whose caller is waiting).
   */
  readonly retryFirstLoad: boolean;
}

/** Keeps `service` of `table` in step with the registry until closed. */
export class ServiceFeed {
  /** Settles once: resolved after the first load, or rejected with its error (unless retryFirstLoad). */
  readonly ready: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private readonly stopping = new AbortController();
  private loaded = false;
  /** When the feed last heard from the cluster (a load or a watch event), ms since the epoch. */
  lastContact = 0;

  constructor(
    private readonly c: Requester,
    private readonly table: RoutingTable,
    readonly service: string,
    private readonly o: FeedOptions,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A rejection nobody awaits (the feed was closed first) must not crash the process.
    this.ready.catch(() => {});
    table.track(service);
  }

  /** Whether the first load has completed. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  start(): void {
    this.run().catch((cause: unknown) =>
      this.settle.reject(new FlotillaError('INTERNAL', `routing feed failed: ${String(cause)}`, { cause })),
    );
  }

  /** Stops watching. The table keeps what it has. Idempotent. */
  close(): void {
    this.stopping.abort();
    this.settle.reject(new FlotillaError('CLOSED', 'routing feed closed'));
  }

  private async run(): Promise<void> {
    let attempt = 0;
    const backoff = () => pause(backoffDelay(attempt++, this.o.retry, this.o.random), this.stopping.signal);
    while (!this.stopping.signal.aborted) {
      if (!this.loaded) {
        try {
          await this.load();
          attempt = 0;
        } catch (err) {
          if (!this.o.retryFirstLoad || isClosed(err)) {
            this.settle.reject(err);
            return;
          }
          await backoff();
          continue;
        }
      }
      try {
        await this.watch();
      } catch (err) {
        if (isClosed(err)) return;
      }
      if (this.stopping.signal.aborted) return;
      await backoff();
    }
  }

  /** The initial read. The watch starts from the older of its two revisions: replaying is harmless. */
  private async load(): Promise<void> {
    const consistency = 'linearizable' as const;
    const [instances, routing, deployments] = await Promise.all([
      this.c.request('service.get', { name: this.service, consistency }),
      this.c.request('routing.get', { service: this.service, consistency }),
      this.c.request('deployment.list', { service: this.service, consistency }),
    ]);
    if (this.stopping.signal.aborted) return;
    this.table.load(
      this.service,
      instances.instances,
      routing.policy,
      Math.min(instances.revision, routing.revision, deployments.revision),
      deployments.deployments,
    );
    this.loaded = true;
    this.lastContact = Date.now();
    this.settle.resolve();
  }

  /** One watch, until it ends or throws. */
  private async watch(): Promise<void> {
    const fromRevision = this.table.revision(this.service) ?? 0;
    const stream = this.c.watch(
      { kinds: ['instance', 'routing', 'deployment'], service: this.service },
      { fromRevision, signal: this.stopping.signal },
    );
    for await (const e of stream) {
      this.lastContact = Date.now();
      if (e.kind === 'resync') this.table.resync(e.state, e.revision, [this.service]);
      else this.table.apply(e);
    }
  }
}

function isClosed(err: unknown): boolean {
  return err instanceof FlotillaError && err.code === 'CLOSED';
}

/** Options of `client.route`. */
export interface RouteOptions {
  /** Picks among the eligible instances instead of the policy's strategy. */
  readonly strategy?: CustomStrategy;
}

/** Services whose feeds the SDK keeps by default; the least recently routed one is dropped beyond it. */
export const DEFAULT_ROUTE_CACHE_SERVICES = 256;

/** Options of the SDK's router. */
export interface ClientRouterOptions extends FeedOptions {
  readonly router?: RouterOptions;
  readonly maxServices?: number;
}

/** The SDK's router: a feed per service routed to, started on first use, at most `maxServices` of them. */
export class ClientRouter {
  readonly table: RoutingTable;
  /** By service, least recently used first. */
  private readonly feeds = new Map<string, ServiceFeed>();
  private closed = false;

  constructor(
    private readonly c: Requester,
    private readonly o: ClientRouterOptions,
  ) {
    this.table = new RoutingTable({
      ...(o.random === undefined ? {} : { random: o.random }),
      ...o.router,
    });
  }

  /**
   * The instance of `name` to send `request` to. Rejects NOT_FOUND when the
   * service has no instances, UNAVAILABLE when none is eligible (all
   * draining or failing) or the cluster cannot be reached for the first read.
   */
  async route(name: string, request: RouteRequest = {}, options: RouteOptions = {}): Promise<Instance> {
    if (this.closed) throw new FlotillaError('CLOSED', 'client is closed');
    const feed = this.feedOf(name);
    try {
      await feed.ready;
    } catch (err) {
      if (this.feeds.get(name) === feed) this.drop(name);
      throw unreachable(name, err);
    }
    const router = this.table.router(name);
    // Evicted by other services while this call waited (more than maxServices routed at once).
    if (router === undefined)
      throw new FlotillaError('UNAVAILABLE', `routing cache for ${name} was evicted; retry`, {
        details: { service: name },
      });
    if (router.instances.length === 0)
      throw new FlotillaError('NOT_FOUND', `service ${name} has no instances`, {
        details: { service: name },
      });
    const picked = router.pick(request, options.strategy === undefined ? {} : { strategy: options.strategy });
    if (picked === undefined) {
      const s = router.status();
      throw new FlotillaError(
        'UNAVAILABLE',
        `no eligible instance of ${name}: ${s.instances} registered, ${s.active} active, ${s.eligible} healthy`,
        { details: { service: name, instances: s.instances, active: s.active, eligible: s.eligible } },
      );
    }
    return picked;
  }

  /** Stops every feed. */
  close(): void {
    this.closed = true;
    for (const name of [...this.feeds.keys()]) this.drop(name);
  }

  private feedOf(name: string): ServiceFeed {
    const known = this.feeds.get(name);
    if (known !== undefined) {
      // Move to the most recently used end.
      this.feeds.delete(name);
      this.feeds.set(name, known);
      return known;
    }
    const max = this.o.maxServices ?? DEFAULT_ROUTE_CACHE_SERVICES;
    while (this.feeds.size >= max) this.drop(this.feeds.keys().next().value!);
    const feed = new ServiceFeed(this.c, this.table, name, this.o);
    this.feeds.set(name, feed);
    feed.start();
    return feed;
  }

  private drop(name: string): void {
    this.feeds.get(name)?.close();
    this.feeds.delete(name);
    this.table.forget(name);
  }
}

/** The error of a failed first read, as `route` reports it: UNAVAILABLE unless the caller's input was wrong. */
function unreachable(name: string, err: unknown): FlotillaError {
  if (err instanceof FlotillaError && (err.code === 'INVALID_ARGUMENT' || err.code === 'CLOSED')) return err;
  return new FlotillaError(
    'UNAVAILABLE',
    `cannot load the routing state of ${name}: ${err instanceof Error ? err.message : String(err)}`,
    {
      cause: err,
      details: { service: name },
    },
  );
}
