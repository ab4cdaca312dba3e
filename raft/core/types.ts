/**
 * The data the Raft core exchanges with its caller. Everything here is plain
 * data (no classes, no functions) so it can be persisted and sent with msgpackr
 * unchanged, and compared structurally in tests.
 */

/** A server's identity, unique within a cluster and stable across restarts. */
export type NodeId = string;

/** "No node": used for `vote` and `leader` when there is none. */
export const NONE: NodeId = '';

/**
 * The membership of the cluster. Voters elect leaders and form quorums;
 * learners receive the log but never vote and never campaign (§4.2.1 of the
 * thesis: new servers join without votes until they have caught up).
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Learners the leader promotes to voters once they have caught up. Subset of `learners`. */
  readonly promoting: readonly NodeId[];
}

/** One log entry. `normal` carries user data (empty data = the leader's no-op), `conf` a whole new ConfState. */
export type Entry = NormalEntry | ConfEntry;

export interface NormalEntry {
  readonly type: 'normal';
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

export interface ConfEntry {
  readonly type: 'conf';
  readonly index: number;
  readonly term: number;
  /** The complete configuration from this entry on (not a delta), so a log suffix is self-describing. */
  readonly conf: ConfState;
}

/** What must be durable before any message of the same Ready is sent (§5.1, Figure 2 "Persistent state"). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** Identifies a snapshot: the last index and term it covers and the configuration at that index. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

/** A state-machine snapshot: the FSM's bytes at `meta.index`. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** A membership change, one server at a time (§4.1 of the thesis). */
export type ConfChange =
  | { readonly type: 'add-learner'; readonly node: NodeId; readonly promote?: boolean }
  | { readonly type: 'promote'; readonly node: NodeId }
  | { readonly type: 'remove'; readonly node: NodeId };

/** A role as the outside world sees it. */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state worth reporting when it changes. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
  readonly term: number;
}

/** The answer to a ReadIndex request: once `index` is applied, a read tagged `ctx` is linearizable. */
export interface ReadState {
  readonly ctx: string;
  readonly index: number;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** RequestVote (§5.2) and its pre-vote twin (§9.6 of the thesis); pre-vote `term` is the term the sender would campaign in. */
export interface VoteRequest extends MessageBase {
  readonly type: 'vote' | 'pre-vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when campaigning because of TimeoutNow: voters skip the leader-lease check (§3.10). */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'vote-resp' | 'pre-vote-resp';
  readonly granted: boolean;
}

/** AppendEntries (§5.3). */
export interface AppendRequest extends MessageBase {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends MessageBase {
  readonly type: 'append-resp';
  readonly success: boolean;
  /** On success the highest index known to match the leader; on reject the `prevIndex` that was rejected. */
  readonly index: number;
  /** On reject: the term of the follower's entry at `prevIndex` (0 if the follower's log is shorter)… */
  readonly hintTerm: number;
  /** …and the first index the follower holds for `hintTerm` (or its last index + 1 when `hintTerm` is 0). */
  readonly hintIndex: number;
}

/** Leader heartbeat (§5.2). `ctx` is the latest ReadIndex round to confirm (§6.4). */
export interface HeartbeatRequest extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly ctx: string;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeat-resp';
  readonly ctx: string;
}

/** One chunk of InstallSnapshot (§7, Figure 13). */
export interface SnapshotRequest extends MessageBase {
  readonly type: 'snapshot';
  readonly meta: SnapshotMeta;
  /** Total size of the snapshot data in bytes. */
  readonly size: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
  /** Numbers the chunks of one transfer; the answer echoes it so stale and duplicate answers are ignored. */
  readonly seq: number;
}

/** Acknowledges snapshot chunks: `offset` is how many bytes the follower holds of the snapshot `index`/`snapTerm`. */
export interface SnapshotResponse extends MessageBase {
  readonly type: 'snapshot-resp';
  readonly index: number;
  readonly snapTerm: number;
  readonly offset: number;
  /** The `seq` of the chunk this answers. */
  readonly seq: number;
}

/** Tells the transfer target to campaign at once (§3.10). */
export interface TimeoutNow extends MessageBase {
  readonly type: 'timeout-now';
}

/** A follower asks the leader for a read index on behalf of its client (§6.4). */
export interface ReadIndexRequest extends MessageBase {
  readonly type: 'read-index';
  readonly ctx: string;
}

export interface ReadIndexResponse extends MessageBase {
  readonly type: 'read-index-resp';
  readonly ctx: string;
  /** The read index, or -1 when the leader refused (e.g. it is stepping down). */
  readonly index: number;
}

/** Every message the core sends or accepts. */
export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | SnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

/**
 * One batch of work for the caller. Handle it in this order, then call
 * `advance(ready)`:
 * 1. persist `snapshot` (if any), `entries` (replacing any stored entry at the
 *    same or a later index) and `hardState` (if any) — one durable write;
 * 2. send `messages` (never before step 1 is durable, except those for which
 *    `maySendBeforePersist` holds: they may leave while step 1 runs);
 * 3. restore the FSM from `snapshot` (if any), then apply `committed` in order;
 * 4. serve `readStates` once their index is applied.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** ReadIndex requests that will never be answered (leadership lost, no leader known). */
  readonly droppedReads: readonly string[];
  /**
   * The term and vote in force were already durable before this Ready (it
   * changes neither). Absent means false: every message waits for step 1.
   */
  readonly termDurable?: boolean;
}

/**
 * Whether `m` may be sent before its Ready is durable: a leader's replication
 * traffic in a term it has durably recorded. The thesis (§10.2.1) lets the
 * leader write to its own disk in parallel with replicating, because the
 * leader counts itself toward a commit quorum only for entries that are
 * durable (RaftCore.advance); a follower still acknowledges only what it has
 * persisted. The term must be durable, or a leader that crashes before its
 * write could reappear in the same term with a different log (a single voter
 * with learners wins its election within one Ready).
 */
export function maySendBeforePersist(rd: Ready, m: Message): boolean {
  return rd.termDurable === true && (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot');
}

/** The source of the only randomness the core uses: election timeout jitter. */
export interface Rng {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/** What a node loaded from its storage at start. Empty for a brand-new node. */
export interface PersistedState {
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  /** Entries after the snapshot (or from index 1), in order and contiguous. */
  readonly entries: readonly Entry[];
}
