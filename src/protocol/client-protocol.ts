/**
 * The client protocol (DESIGN.md "Client API and SDK"): what the SDK and a
 * node say to each other over one WebSocket at `CLIENT_PATH`, on the same
 * port as the peers and HTTP. Every frame is one binary msgpack value
 * (frame-codec.ts).
 *
 * - The client sends a {@link RequestFrame} `{ id, op, args, clientId?, seq? }`;
 *   `id` is the client's, unique among its requests in flight on the connection.
 * - The node answers each with one {@link ResponseFrame}: `{ id, result }` or
 *   `{ id, error }`. Answers may come out of order.
 * - A `watch` request is answered once (`{ watchId, revision }`) and then
 *   streams {@link WatchFrame}s `{ watch: id, … }` until cancelled or ended.
 *
 * This file is the contract: the server implements it, the SDK speaks it.
 */

import type { TrafficReport } from '../deploy/traffic-window.ts';
import type { ChangeEvent } from '../registry/change-history.ts';
import type { CommandArgs, ClientWriteOp as WriteOp } from '../registry/commands.ts';
import type { ErrorInfo } from '../registry/errors.ts';
import type { KvGetResult, ServiceSummary } from '../registry/registry.ts';
import type { Deployment, Health, Instance, KvValue, RoutingPolicy } from '../registry/types.ts';

/** The upgrade path of the client WebSocket. (Peers use `/raft`.) */
export const CLIENT_PATH = '/v1/client';

/** Read consistency: `linearizable` (ReadIndex through the leader; the default) or `stale` (local state). */
export type Consistency = 'linearizable' | 'stale';

export type { WriteOp };

/** Options every read takes. */
export interface ReadArgs {
  readonly consistency?: Consistency;
}

/** Which changes a watch delivers. Absent fields do not filter. */
export interface WatchFilter {
  /** Only these kinds of change. */
  readonly kinds?: readonly ChangeEvent['kind'][];
  /** Instance, deployment and routing changes of this service only. */
  readonly service?: string;
  /** kv changes of keys starting with this prefix only. */
  readonly keyPrefix?: string;
}

/** The state a resync replaces the watcher's view with: every entry the filter matches. */
export interface ResyncState {
  readonly instances: readonly Instance[];
  readonly kv: readonly { readonly key: string; readonly value: KvValue; readonly modRevision: number }[];
  readonly deployments: readonly Deployment[];
  readonly routing: readonly { readonly service: string; readonly policy: RoutingPolicy }[];
}

/** What one node reports about itself (`node.status`, and `GET /v1/status`). */
export interface NodeStatus {
  readonly nodeId: string;
  readonly address: string;
  readonly role: 'follower' | 'candidate' | 'pre-candidate' | 'leader';
  readonly term: number;
  /** Empty when no leader is known. */
  readonly leaderId: string;
  readonly leaderAddress: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** The registry's revision (log index of its last change). */
  readonly revision: number;
  /** The voters and learners of the configuration this node knows. */
  readonly members: readonly {
    readonly id: string;
    readonly address: string | null;
    readonly voter: boolean;
  }[];
}

/**
 * A member of the cluster's configuration. `address` is where clients reach
 * it (`null` when no node knows); `peerAddress` where the other nodes dial
 * it, when that differs. Learners (`voter: false`) receive the log without
 * voting; one added by `member.add` is promoted once it has caught up.
 */
export interface MemberInfo {
  readonly id: string;
  readonly address: string | null;
  readonly peerAddress?: string;
  readonly voter: boolean;
}

/** What every membership operation answers: the configuration as the answering node knows it. */
export interface MemberList {
  readonly members: readonly MemberInfo[];
  /** Empty when no leader is known. */
  readonly leaderId: string;
}

/** The result of every write: the revision it made (or the current one when it changed nothing). */
export interface WriteResult {
  readonly revision: number;
  readonly replaced?: boolean;
  readonly deleted?: boolean;
  readonly changed?: boolean;
  readonly succeeded?: boolean;
  /** `deployment.create` and the other rollout commands: the deployment's id. */
  readonly id?: string;
}

/** Every read-side and control operation: its arguments and its result. */
export interface QueryOps {
  'service.get': {
    args: ReadArgs & {
      readonly name: string;
      readonly healthyOnly?: boolean;
      readonly includeWarning?: boolean;
    };
    result: { readonly instances: Instance[]; readonly revision: number; readonly leaderId: string };
  };
  'service.list': {
    args: ReadArgs;
    result: { readonly services: ServiceSummary[]; readonly revision: number; readonly leaderId: string };
  };
  'kv.get': {
    args: ReadArgs & { readonly key: string };
    result: KvGetResult & { readonly leaderId: string };
  };
  'kv.list': {
    args: ReadArgs & { readonly prefix?: string };
    result: { readonly keys: string[]; readonly revision: number; readonly leaderId: string };
  };
  'deployment.get': {
    args: ReadArgs & { readonly id: string };
    result: { readonly deployment: Deployment | null; readonly revision: number };
  };
  'deployment.list': {
    args: ReadArgs & { readonly service?: string };
    result: { readonly deployments: Deployment[]; readonly revision: number };
  };
  /** One instance by id (`null` when not registered): its state shows a drain (`draining`, `drainingSince`). */
  'instance.get': {
    args: ReadArgs & { readonly id: string };
    result: { readonly instance: Instance | null; readonly revision: number };
  };
  /**
   * Leader only (else NOT_LEADER): a gateway's per-version request and error
   * counts since its last report, for the error gate of deployments. Kept in
   * the leader's memory over a sliding window; not a Raft write, never resent.
   */
  'deployment.report': {
    args: { readonly reports: readonly TrafficReport[] };
    result: { readonly accepted: number };
  };
  'routing.get': {
    args: ReadArgs & { readonly service: string };
    result: { readonly policy: RoutingPolicy | null; readonly revision: number };
  };
  'node.status': { args: Record<string, never>; result: NodeStatus };
  /**
   * Leader only (else NOT_LEADER): keeps an instance's ttl checks passing for
   * another `ttlMs`. Not a Raft write: only the health transitions it causes are.
   */
  'instance.heartbeat': {
    args: { readonly id: string };
    result: { readonly id: string; readonly health: Health; readonly ttlMs: number };
  };
  /** Leader only (else NOT_LEADER): hands leadership to `to`, or to the most caught-up voter. */
  'leader.transfer': {
    args: { readonly to?: string };
    result: { readonly from: string; readonly to: string; readonly term: number };
  };
  /** The voters and learners of the configuration, with their addresses (any node). */
  'member.list': { args: ReadArgs; result: MemberList };
  /**
   * Leader only (else NOT_LEADER): adds a node as a learner, to be promoted to
   * voter by the leader once it has caught up. Answers once the learner is in
   * the committed configuration; start the node (with `--join`) before or
   * after. CONFLICT when the id or an address is a member's already, or
   * while another membership change is in progress.
   */
  'member.add': {
    args: { readonly id: string; readonly address: string; readonly peerAddress?: string };
    result: MemberList & { readonly added: MemberInfo };
  };
  /**
   * Leader only (else NOT_LEADER): removes a voter or learner (NOT_FOUND when
   * it is neither). The leader removing itself first hands leadership to the
   * most caught-up voter and answers NOT_LEADER naming it; the SDK follows
   * and the new leader removes the old one.
   */
  'member.remove': { args: { readonly id: string }; result: MemberList & { readonly removed: string } };
  /**
   * Opens a watch. Delivers changes with revision > `fromRevision` (absent:
   * from now). Answered once with the watch id (= the request id), then
   * WatchFrames follow.
   */
  watch: {
    args: { readonly filter?: WatchFilter; readonly fromRevision?: number };
    result: { readonly watchId: number; readonly revision: number };
  };
  'watch.cancel': { args: { readonly watchId: number }; result: { readonly cancelled: boolean } };
}

export type QueryOp = keyof QueryOps;

/** Every operation a request may name. */
export type ClientOp = WriteOp | QueryOp;

export const QUERY_OPS: readonly QueryOp[] = [
  'service.get',
  'service.list',
  'kv.get',
  'kv.list',
  'deployment.get',
  'deployment.list',
  'instance.get',
  'deployment.report',
  'routing.get',
  'node.status',
  'instance.heartbeat',
  'leader.transfer',
  'member.list',
  'member.add',
  'member.remove',
  'watch',
  'watch.cancel',
];

/** Arguments of any operation. */
export type ArgsOf<K extends ClientOp> = K extends WriteOp
  ? CommandArgs[K]
  : K extends QueryOp
    ? QueryOps[K]['args']
    : never;

/** Result of any operation. */
export type ResultOf<K extends ClientOp> = K extends WriteOp
  ? WriteResult
  : K extends QueryOp
    ? QueryOps[K]['result']
    : never;

/** A request. Writes carry `clientId` and `seq` (both or neither) so a retry applies once. */
export interface RequestFrame {
  readonly id: number;
  readonly op: string;
  readonly args?: unknown;
  readonly clientId?: string;
  readonly seq?: number;
}

/**
 * An error on the wire. `leaderId`/`leaderAddress` come with NOT_LEADER when
 * the node knows the leader; `maybeApplied` is true when the node cannot tell
 * whether a write it proposed took effect (leadership lost, timeout).
 */
export interface WireError extends ErrorInfo {
  readonly leaderId?: string;
  readonly leaderAddress?: string;
  readonly maybeApplied?: boolean;
}

/** A request's answer. `id` 0 answers a frame too broken to carry an id. */
export type ResponseFrame =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: WireError };

/**
 * A watch's stream. `events`: changes in revision order, each revision once.
 * `resync`: the history no longer holds every change after the revision the
 * watch resumed from; `state` replaces everything the watcher knew, as of
 * `revision`. `end`: the watch is over (overflow, node closing); resume from
 * the last revision delivered.
 */
export type WatchFrame =
  | {
      readonly watch: number;
      readonly type: 'events';
      readonly revision: number;
      readonly events: readonly ChangeEvent[];
    }
  | {
      readonly watch: number;
      readonly type: 'resync';
      readonly revision: number;
      readonly state: ResyncState;
    }
  | { readonly watch: number; readonly type: 'end'; readonly error: WireError };

/** Anything a node sends to a client. */
export type ServerFrame = ResponseFrame | WatchFrame;
