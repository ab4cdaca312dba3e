/**
 * The SDK's client: `connect()` and the object it returns. It wires the
 * parts together (connection pool, write lanes, retry loop, watches) and
 * owns their lifecycle; the behaviour lives in those parts.
 */

import { setMaxListeners } from 'node:events';
import {
  type ArgsOf,
  type ClientOp,
  QUERY_OPS,
  type QueryOp,
  type ResultOf,
  type WatchFilter,
} from '../protocol/client-protocol.ts';
import { OPS } from '../registry/commands.ts';
import { FlotillaError, invalidArgument } from '../registry/errors.ts';
import type { Instance } from '../registry/types.ts';
import { isPlainObject } from '../registry/validate-primitives.ts';
import type { RouteRequest } from '../router/route-request.ts';
import { backoffDelay, pause, type RandomSource } from './backoff.ts';
import {
  type ConnectOptions,
  callTimeout,
  DEFAULT_WATCH_BUFFER,
  type ResolvedClientOptions,
  resolveOptions,
} from './client-options.ts';
import { ClusterApi } from './cluster-api.ts';
import { type ClusterStatus, clusterStatus } from './cluster-status.ts';
import { ConnectionPool } from './connection-pool.ts';
import { Deadline } from './deadline.ts';
import { DeploymentsApi } from './deployments-api.ts';
import { Invoker } from './invoker.ts';
import { KvApi } from './kv-api.ts';
import { type CallOptions, defined, type Requester } from './requester.ts';
import { ClientRouter, type RouteOptions } from './route.ts';
import { ServicesApi } from './services-api.ts';
import { type WatchOptions, type WatchStream, WatchStreamImpl } from './watch-stream.ts';
import { clockSeqBase, WriteLanes } from './write-lanes.ts';

const WRITE_OPS: ReadonlySet<string> = new Set(OPS);

/** Control operations that change the cluster and go to the leader; no session dedupes them, so sent once. */
const LEADER_CONTROL_OPS: ReadonlySet<string> = new Set(['leader.transfer', 'member.add', 'member.remove']);
/** Kept in the leader's memory, not Raft writes: TTL heartbeats and traffic reports. */
const LEADER_MEMORY_OPS: ReadonlySet<string> = new Set(['instance.heartbeat', 'deployment.report']);

/** Test seams: where jitter and the first seq of a lane come from. */
export interface ClientInternals {
  readonly random?: RandomSource;
  readonly seqBase?: () => number;
}

/** A connected client. Create it with {@link connect}; `close()` it (or `await using`) when done. */
export class FlotillaClient implements Requester, AsyncDisposable {
  readonly services: ServicesApi;
  readonly kv: KvApi;
  readonly deployments: DeploymentsApi;
  readonly cluster: ClusterApi;
  private readonly pool: ConnectionPool;
  private readonly lanes: WriteLanes;
  private readonly invoker: Invoker;
  private readonly random: RandomSource;
  /** Aborted by close(): retries stop waiting, new calls are refused. */
  private readonly closing = new AbortController();
  private readonly watches = new Set<WatchStreamImpl>();
  /** Created on the first `route()`: most clients never route. */
  private router: ClientRouter | undefined;
  private closed: Promise<void> | undefined;

  /** Prefer {@link connect}, which also waits for a first connection. */
  constructor(
    readonly options: Readonly<ResolvedClientOptions>,
    internals: ClientInternals = {},
  ) {
    // Every backoff in flight listens to this signal: hundreds at once are normal, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.random = internals.random ?? Math.random;
    this.pool = new ConnectionPool(options.endpoints, options.timeoutMs, options.tls);
    this.lanes = new WriteLanes(options.clientId, options.maxWriteLanes, internals.seqBase ?? clockSeqBase);
    this.invoker = new Invoker({
      pool: this.pool,
      lanes: this.lanes,
      retry: options.retry,
      random: this.random,
      closing: this.closing.signal,
    });
    this.services = new ServicesApi(this);
    this.kv = new KvApi(this);
    this.deployments = new DeploymentsApi(this);
    this.cluster = new ClusterApi(this, () => this.status());
  }

  /** The prefix of this client's write sessions. */
  get clientId(): string {
    return this.options.clientId;
  }

  /**
   * Any operation of the protocol, typed by op. Writes go to the leader with
   * a `(session, seq)` and are retried until the deadline; reads go to any
   * node. Rejects with a {@link FlotillaError}.
   */
  async request<K extends ClientOp>(op: K, args: ArgsOf<K>, options: CallOptions = {}): Promise<ResultOf<K>> {
    if (this.closing.signal.aborted) throw new FlotillaError('CLOSED', 'client is closed');
    const deadline = new Deadline(callTimeout(options.timeoutMs, this.options.timeoutMs));
    const attemptMs = this.options.attemptTimeoutMs;
    const wire: unknown = isPlainObject(args) ? defined(args) : args;
    if (WRITE_OPS.has(op)) return (await this.invoker.write(op, wire, deadline, attemptMs)) as ResultOf<K>;
    if (op === 'watch' || op === 'watch.cancel') throw invalidArgument('op', 'use client.watch() to watch');
    if (!QUERY_OPS.includes(op as QueryOp)) throw invalidArgument('op', `unknown operation ${String(op)}`);
    const control = LEADER_CONTROL_OPS.has(op);
    // Traffic counts add up in the leader's memory: resent after an unknown fate, they could count twice.
    const report = op === 'deployment.report';
    const r = await this.invoker.call({
      op,
      args: wire,
      routing: control || LEADER_MEMORY_OPS.has(op) ? 'leader' : 'read',
      // A transfer or membership change alters the cluster but carries no session to dedupe it:
      // sent once, never resent after an unknown fate.
      mutating: control,
      resendable: !control && !report,
      deadline,
      attemptMs,
    });
    // It just handed leadership away; the next write finds the new leader.
    if (op === 'leader.transfer') this.pool.leader = undefined;
    return r as ResultOf<K>;
  }

  /** Changes matching `filter`, from `fromRevision` (absent: from now); see watch-stream.ts. */
  watch(filter: WatchFilter, options: WatchOptions = {}): WatchStream {
    if (this.closing.signal.aborted) throw new FlotillaError('CLOSED', 'client is closed');
    const stream = new WatchStreamImpl(
      {
        pool: this.pool,
        retry: this.options.retry,
        random: this.random,
        timeoutMs: this.options.attemptTimeoutMs,
        defaultMaxBuffered: DEFAULT_WATCH_BUFFER,
        onEnd: (w) => this.watches.delete(w),
      },
      filter,
      options,
    );
    this.watches.add(stream);
    stream.start();
    return stream;
  }

  /**
   * The instance of service `name` to send `request` to, picked by the
   * service's routing policy (strategy, version weights) among its active,
   * healthy instances — from a cache kept current by a watch, started on the
   * first call for each service. Rejects NOT_FOUND when the service has no
   * instances, UNAVAILABLE when none is eligible or the cluster cannot be
   * reached for the first read (see route.ts).
   */
  route(name: string, request?: RouteRequest, options?: RouteOptions): Promise<Instance> {
    if (this.closing.signal.aborted) return Promise.reject(new FlotillaError('CLOSED', 'client is closed'));
    this.router ??= new ClientRouter(this, {
      retry: this.options.retry,
      random: this.random,
      retryFirstLoad: false,
    });
    return this.router.route(name, request, options);
  }

  /**
   * Closes the client: pending calls reject CLOSED (`maybeApplied` true for
   * a write that was sent), watches end, sockets close. Idempotent: every
   * call returns the same promise.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Resolves once one endpoint's socket is open, dialing all of them in
   * parallel and again after a backoff until `timeoutMs`; rejects UNAVAILABLE
   * naming them all. A cluster still starting is thus waited for, not refused.
   */
  async waitForConnection(): Promise<void> {
    const { endpoints, timeoutMs, retry } = this.options;
    const deadline = new Deadline(timeoutMs);
    const reasons = new Map<string, string>();
    for (let attempt = 0; !deadline.expired && !this.closing.signal.aborted; attempt++) {
      const dials = endpoints.map(async (e) => {
        const d = await this.pool.connect(e, deadline);
        if (d.conn === undefined) {
          reasons.set(e, d.reason);
          throw new Error(d.reason);
        }
      });
      try {
        return await Promise.any(dials);
      } catch {
        await pause(
          Math.min(backoffDelay(attempt, retry, this.random), deadline.remaining()),
          this.closing.signal,
        );
      }
    }
    if (this.closing.signal.aborted) throw new FlotillaError('CLOSED', 'client is closed');
    throw new FlotillaError(
      'UNAVAILABLE',
      `no endpoint answered within ${timeoutMs} ms: ${endpoints.join(', ')} (${[...reasons.values()].join('; ')})`,
      { details: { endpoints: endpoints.join(','), timeoutMs } },
    );
  }

  private status(): Promise<ClusterStatus> {
    if (this.closing.signal.aborted) return Promise.reject(new FlotillaError('CLOSED', 'client is closed'));
    return clusterStatus(
      this.options.endpoints,
      (address, deadline) => this.invoker.once(address, 'node.status', {}, deadline),
      this.options.timeoutMs,
    );
  }

  /** Reverse order of construction; every step runs even if one throws. */
  private async shutdown(): Promise<void> {
    this.closing.abort();
    const steps: (() => unknown)[] = [
      () => this.router?.close(),
      () => {
        for (const w of [...this.watches]) w.cancel();
      },
      () => this.lanes.close(),
      () => this.pool.close(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch {
        // Keep tearing down: a failed step must not leave sockets open.
      }
    }
  }
}

/**
 * Validates `options` (INVALID_ARGUMENT naming the field), then resolves
 * once a connection to some endpoint is open (UNAVAILABLE listing the
 * endpoints when none opens within `timeoutMs`).
 */
export async function connect(options: ConnectOptions, internals?: ClientInternals): Promise<FlotillaClient> {
  const client = new FlotillaClient(resolveOptions(options), internals);
  try {
    await client.waitForConnection();
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}
