/**
 * What the request handlers of one node share: the Raft server, the
 * registry it applies to, how to reach other members, limits and metrics.
 * Handlers take this instead of the whole FlotillaNode so each can be read
 * (and tested) on its own.
 */

import type { Logger, RaftServer } from '../../raft/index.ts';
import type { TrafficReport } from '../deploy/traffic-window.ts';
import type { WireError } from '../protocol/client-protocol.ts';
import type { ApplyResult } from '../registry/commands.ts';
import type { Registry } from '../registry/registry.ts';
import type { Health } from '../registry/types.ts';
import type { Membership } from './membership.ts';
import type { NodeMetrics } from './metrics.ts';
import type { AddressOf } from './wire-errors.ts';

/** Per-connection limits of the client API. Exceeding one answers LIMIT_EXCEEDED, or closes a frame too big to read. */
export interface ClientLimits {
  /** Largest request frame answered; larger ones (up to 4×) get LIMIT_EXCEEDED, beyond that the socket closes (1009). */
  readonly maxRequestBytes: number;
  /** Requests one connection may have in flight (watches excluded). */
  readonly maxInFlight: number;
  /** Watches one connection may hold open. */
  readonly maxWatches: number;
  /** Bytes a connection may have queued unsent before its watches are ended with WATCH_OVERFLOW. */
  readonly maxWatchBacklogBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = Object.freeze({
  maxRequestBytes: 1024 * 1024,
  maxInFlight: 1024,
  maxWatches: 256,
  maxWatchBacklogBytes: 16 * 1024 * 1024,
});

/** A request refused or failed with a wire error (the dispatcher sends it as is). */
export class RequestFailed extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

/** The leader's keeper of ttl heartbeats (src/health). */
export interface HeartbeatSink {
  heartbeat(id: string): { id: string; health: Health; ttlMs: number };
}

/** The leader's sink of gateway traffic reports (src/deploy). */
export interface TrafficSink {
  report(reports: readonly TrafficReport[]): void;
}

export interface NodeContext {
  readonly id: string;
  readonly raft: RaftServer<ApplyResult>;
  readonly registry: Registry;
  /** Where clients reach a member: the replicated address book, else the cluster file. */
  readonly addressOf: AddressOf;
  /** The longest a proposal or read barrier may take before TIMEOUT. */
  readonly requestTimeoutMs: number;
  readonly limits: ClientLimits;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  readonly health: HeartbeatSink;
  readonly traffic: TrafficSink;
  readonly membership: Membership;
}
