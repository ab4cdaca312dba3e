/**
 * The routing state of the services a gateway or a client routes to: each
 * service's instances and policy, and the {@link ServiceRouter} built from
 * them. It is fed from outside — an initial read, then watch events and
 * resyncs — and holds only the services it was told to track, so its size
 * is bounded by its owner (the gateway's routes, the SDK's service cache).
 *
 * Applying is idempotent: an instance put carries the whole instance and a
 * delete removes it, so replaying events the table already reflects (a watch
 * resumed from a slightly older revision) leaves it as it was.
 */

import type { ChangeEvent } from '../registry/change-history.ts';
import type { Instance, RoutingPolicy } from '../registry/types.ts';
import { type ResolvedRouterOptions, type RouterOptions, resolveRouterOptions } from './router-options.ts';
import { ServiceRouter } from './service-router.ts';
import type { CustomStrategy } from './strategy.ts';

/** The part of a watch resync the table uses (the protocol's `ResyncState` fits). */
export interface RoutingState {
  readonly instances: readonly Instance[];
  readonly routing: readonly { readonly service: string; readonly policy: RoutingPolicy }[];
}

interface Entry {
  readonly instances: Map<string, Instance>;
  policy: RoutingPolicy | null;
  readonly router: ServiceRouter;
  /** Highest revision applied to this service (0: not loaded yet). */
  revision: number;
}

export class RoutingTable {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(service: string) => void>();
  readonly options: Readonly<ResolvedRouterOptions>;

  /** `strategies`: custom strategies by service name, overriding their policies' strategy. */
  constructor(
    options: RouterOptions = {},
    private readonly strategies: Readonly<Record<string, CustomStrategy>> = {},
  ) {
    this.options = resolveRouterOptions(options);
  }

  /** Starts tracking `service` (empty until loaded). Idempotent. */
  track(service: string): void {
    if (this.entries.has(service)) return;
    const router = new ServiceRouter(service, this.options, this.strategies[service]);
    this.entries.set(service, { instances: new Map(), policy: null, router, revision: 0 });
  }

  /** Stops tracking `service` and drops its state. */
  forget(service: string): void {
    this.entries.delete(service);
  }

  /** Replaces what the table knows of `service` with a read taken at `revision`. */
  load(
    service: string,
    instances: readonly Instance[],
    policy: RoutingPolicy | null,
    revision: number,
  ): void {
    this.track(service);
    const e = this.entries.get(service)!;
    e.instances.clear();
    for (const i of instances) if (i.name === service) e.instances.set(i.id, i);
    e.policy = policy;
    e.revision = Math.max(e.revision, revision);
    e.router.update(e.instances.values(), e.policy);
    this.notify(service);
  }

  /** Calls `listener` with the service's name after each change to a tracked service; returns the unsubscribe. */
  subscribe(listener: (service: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies one change; changes of untracked services and of other kinds are ignored. */
  apply(event: ChangeEvent): void {
    if (event.kind !== 'instance' && event.kind !== 'routing') return;
    const service = event.kind === 'instance' ? event.instance.name : event.service;
    const e = this.entries.get(service);
    if (e === undefined) return;
    if (event.kind === 'instance') {
      if (event.type === 'put') e.instances.set(event.instance.id, event.instance);
      else e.instances.delete(event.instance.id);
    } else {
      e.policy = event.type === 'put' ? event.policy : null;
    }
    e.revision = Math.max(e.revision, event.revision);
    e.router.update(e.instances.values(), e.policy);
    this.notify(service);
  }

  /**
   * Replaces the state of every tracked service the resync covers (`services`,
   * default: all tracked) with what `state` holds — a service absent from it
   * has no instances and no policy any more.
   */
  resync(state: RoutingState, revision: number, services?: Iterable<string>): void {
    for (const service of services ?? [...this.entries.keys()]) {
      if (!this.entries.has(service)) continue;
      const policy = state.routing.find((r) => r.service === service)?.policy ?? null;
      this.load(service, state.instances, policy, revision);
    }
  }

  /** The router of a tracked service. */
  router(service: string): ServiceRouter | undefined {
    return this.entries.get(service)?.router;
  }

  /** The highest revision applied to `service` (0 before its first load; undefined if untracked). */
  revision(service: string): number | undefined {
    return this.entries.get(service)?.revision;
  }

  /** Every tracked service. */
  services(): string[] {
    return [...this.entries.keys()];
  }

  private notify(service: string): void {
    for (const l of this.listeners) l(service);
  }
}
