/**
 * The routing state of the services a gateway or a client routes to: each
 * service's instances and policy, and the {@link ServiceRouter} built from
 * them. It is fed from outside — an initial read, then watch events and
 * resyncs — and holds only the services it was told to track, so its size
 * is bounded by its owner (the gateway's routes, the SDK's service cache).
 *
 * A service's deployments (src/deploy) decide its version split: the
 * `weights` of the most recently created deployment replace the policy's
 * `versionWeights` (a finished one keeps governing, so a rollback keeps all
 * traffic on `from` and a success on `to`, until the next deployment or its
 * deletion). A canary step, a blue-green switch or a rollback is therefore
 * one replicated change, and the table applies it in one synchronous
 * `apply`: no request routed by this table sees half of it.
 *
 * Applying is idempotent: an instance put carries the whole instance and a
 * delete removes it, so replaying events the table already reflects (a watch
 * resumed from a slightly older revision) leaves it as it was.
 */

import type { ChangeEvent } from '../registry/change-history.ts';
import type { Deployment, Instance, RoutingPolicy } from '../registry/types.ts';
import { type ResolvedRouterOptions, type RouterOptions, resolveRouterOptions } from './router-options.ts';
import { DEFAULT_POLICY, ServiceRouter } from './service-router.ts';
import type { CustomStrategy } from './strategy.ts';

/** The part of a watch resync the table uses (the protocol's `ResyncState` fits). */
export interface RoutingState {
  readonly instances: readonly Instance[];
  readonly routing: readonly { readonly service: string; readonly policy: RoutingPolicy }[];
  readonly deployments?: readonly Deployment[];
}

interface Entry {
  readonly instances: Map<string, Instance>;
  policy: RoutingPolicy | null;
  /** The service's deployment records, by id. */
  readonly deployments: Map<string, Deployment>;
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
    this.entries.set(service, {
      instances: new Map(),
      policy: null,
      deployments: new Map(),
      router,
      revision: 0,
    });
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
    deployments: readonly Deployment[] = [],
  ): void {
    this.track(service);
    const e = this.entries.get(service)!;
    e.instances.clear();
    for (const i of instances) if (i.name === service) e.instances.set(i.id, i);
    e.policy = policy;
    e.deployments.clear();
    for (const d of deployments) if (d.service === service) e.deployments.set(d.id, d);
    e.revision = Math.max(e.revision, revision);
    this.refresh(e);
    this.notify(service);
  }

  /** The deployment whose weights split the service's traffic now, if any. */
  governing(service: string): Deployment | undefined {
    const e = this.entries.get(service);
    return e === undefined ? undefined : governingOf(e);
  }

  /** Calls `listener` with the service's name after each change to a tracked service; returns the unsubscribe. */
  subscribe(listener: (service: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies one change; changes of untracked services and of other kinds are ignored. */
  apply(event: ChangeEvent): void {
    if (event.kind === 'kv') return;
    const service =
      event.kind === 'instance'
        ? event.instance.name
        : event.kind === 'deployment' && event.type === 'put'
          ? event.deployment.service
          : event.service;
    const e = this.entries.get(service);
    if (e === undefined) return;
    if (event.kind === 'instance') {
      if (event.type === 'put') e.instances.set(event.instance.id, event.instance);
      else e.instances.delete(event.instance.id);
    } else if (event.kind === 'deployment') {
      if (event.type === 'put') e.deployments.set(event.deployment.id, event.deployment);
      else e.deployments.delete(event.id);
    } else {
      e.policy = event.type === 'put' ? event.policy : null;
    }
    e.revision = Math.max(e.revision, event.revision);
    this.refresh(e);
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
      this.load(service, state.instances, policy, revision, state.deployments ?? []);
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

  /** Hands the router the instances and the effective policy (the governing deployment's split). */
  private refresh(e: Entry): void {
    e.router.update(e.instances.values(), effectivePolicy(e.policy, governingOf(e)));
  }

  private notify(service: string): void {
    for (const l of this.listeners) l(service);
  }
}

function governingOf(e: Entry): Deployment | undefined {
  let best: Deployment | undefined;
  for (const d of e.deployments.values())
    if (best === undefined || d.createRevision > best.createRevision) best = d;
  return best;
}

/** The policy with the governing deployment's weights as its version split. */
export function effectivePolicy(
  policy: RoutingPolicy | null,
  d: Deployment | undefined,
): RoutingPolicy | null {
  if (d === undefined) return policy;
  return { ...(policy ?? DEFAULT_POLICY), versionWeights: d.weights };
}
