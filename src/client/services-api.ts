/**
 * `client.services`: registering instances, their health and drain, and
 * finding them again (the Consul catalog/agent calls, over the registry).
 */

import type { Consistency, WriteResult } from '../protocol/client-protocol.ts';
import type { ServiceSummary } from '../registry/registry.ts';
import type { Health, Instance, Registration, RoutingPolicy } from '../registry/types.ts';
import { type CallOptions, defined, type Requester } from './requester.ts';
import type { WatchOptions, WatchStream } from './watch-stream.ts';

/** Options of reads. */
export interface ReadOptions extends CallOptions {
  /** `linearizable` (the default: as fresh as the leader) or `stale` (the answering node's state). */
  readonly consistency?: Consistency;
}

/** Options of `services.discover`. */
export interface DiscoverOptions extends ReadOptions {
  /** Only instances that are `passing` and `active`. */
  readonly healthyOnly?: boolean;
  /** With `healthyOnly`: `warning` instances count as healthy too. */
  readonly includeWarning?: boolean;
}

/** What `services.discover` answers. */
export interface DiscoverResult {
  readonly instances: Instance[];
  readonly revision: number;
  /** The leader the answering node knows (`''` when none). */
  readonly leaderId: string;
}

/** What `services.list` answers. */
export interface ServiceListResult {
  readonly services: ServiceSummary[];
  readonly revision: number;
  readonly leaderId: string;
}

/** `client.services`. */
export class ServicesApi {
  constructor(private readonly c: Requester) {}

  /** Registers (or replaces) an instance. */
  register(registration: Registration, options?: CallOptions): Promise<WriteResult> {
    return this.c.request('service.register', registration, options);
  }

  /** Removes an instance (`deleted` false when it was not registered). */
  deregister(id: string, options?: CallOptions): Promise<WriteResult> {
    return this.c.request('service.deregister', { id }, options);
  }

  /**
   * Keeps the instance's ttl checks passing for another `ttlMs` (send one at
   * least every ttlMs). The leader keeps the heartbeats; only the health
   * transitions they cause go through Raft.
   */
  heartbeat(id: string, options?: CallOptions): Promise<{ id: string; health: Health; ttlMs: number }> {
    return this.c.request('instance.heartbeat', { id }, options);
  }

  /**
   * Stops new traffic to an instance while it finishes its work; the leader
   * deregisters it `timeoutMs` later (default: the node's drain timeout, 30 s).
   */
  drain(id: string, options: CallOptions & { readonly timeoutMs?: number } = {}): Promise<WriteResult> {
    const { timeoutMs, ...call } = options;
    return this.c.request('instance.drain', defined({ id, timeoutMs }), call);
  }

  /** One instance by id, or `null` when it is not registered. */
  async get(id: string, options: ReadOptions = {}): Promise<Instance | null> {
    const { consistency, ...call } = options;
    return (await this.c.request('instance.get', defined({ id, consistency }), call)).instance;
  }

  /** Whether the instance is draining (false when it is not registered: it takes no traffic either way). */
  async isDraining(id: string, options: ReadOptions = {}): Promise<boolean> {
    return (await this.get(id, options))?.state === 'draining';
  }

  setHealth(id: string, health: Health, options?: CallOptions): Promise<WriteResult> {
    return this.c.request('instance.health', { id, health }, options);
  }

  /** The instances of service `name`. */
  async discover(name: string, options: DiscoverOptions = {}): Promise<DiscoverResult> {
    const { healthyOnly, includeWarning, consistency, ...call } = options;
    const r = await this.c.request(
      'service.get',
      defined({ name, healthyOnly, includeWarning, consistency }),
      call,
    );
    return { instances: r.instances, revision: r.revision, leaderId: r.leaderId };
  }

  /** Every service with its instance counts. */
  async list(options: ReadOptions = {}): Promise<ServiceListResult> {
    const { consistency, ...call } = options;
    const r = await this.c.request('service.list', defined({ consistency }), call);
    return { services: r.services, revision: r.revision, leaderId: r.leaderId };
  }

  /** Sets the routing policy of a service (strategy, concurrency limit and queue, version weights). */
  setPolicy(name: string, policy: RoutingPolicy, options?: CallOptions): Promise<WriteResult> {
    return this.c.request('routing.set', { service: name, policy }, options);
  }

  /** The routing policy of a service, or `null` when it has none (the router then uses round-robin). */
  async getPolicy(name: string, options: ReadOptions = {}): Promise<RoutingPolicy | null> {
    const { consistency, ...call } = options;
    return (await this.c.request('routing.get', defined({ service: name, consistency }), call)).policy;
  }

  /** Removes the routing policy of a service. */
  deletePolicy(name: string, options?: CallOptions): Promise<WriteResult> {
    return this.c.request('routing.delete', { service: name }, options);
  }

  /** Instance changes of service `name` (every service when `undefined`). */
  watch(name: string | undefined, options: WatchOptions = {}): WatchStream {
    return this.c.watch(defined({ kinds: ['instance'] as const, service: name }), options);
  }
}
