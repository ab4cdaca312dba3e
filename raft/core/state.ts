import { members } from './conf-change.ts';
import type { RaftConfig } from './config.ts';
import { Progress } from './progress.ts';
import { RaftLog } from './raft-log.ts';
import { ReadOnlyQueue } from './read-only.ts';
import type { ConfState, HardState, Message, NodeId, ReadState, Role, Snapshot, SoftState } from './types.ts';
import { NONE } from './types.ts';

/** Distributes Omit over the message union so each variant keeps its own fields. */
export type Outgoing = Message extends infer M
  ? M extends Message
    ? Omit<M, 'from' | 'term'>
    : never
  : never;

/** A snapshot being received chunk by chunk from the leader. */
export interface IncomingSnapshot {
  readonly meta: Snapshot['meta'];
  readonly size: number;
  readonly chunks: Uint8Array[];
  received: number;
}

/**
 * All of one node's Raft state, with the transitions every role shares.
 * Role-specific handling lives in step-*.ts and replication.ts; the public
 * API in raft.ts. Nothing here performs I/O: outputs accumulate in `msgs`,
 * `readStates` and the log's unpersisted/applicable ranges until `ready()`.
 */
export class RaftState {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  readonly log = new RaftLog();

  term = 0;
  vote: NodeId = NONE;
  role: Role = 'follower';
  leader: NodeId = NONE;
  conf: ConfState;

  /** Leader only: one Progress per member, this node included. */
  prs = new Map<NodeId, Progress>();
  /** Candidate and pre-candidate: who answered, and how. */
  votes = new Map<NodeId, boolean>();

  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** In [electionTicks, 2*electionTicks): redrawn on every reset (§5.2). */
  randomizedElectionTimeout = 0;

  /** Leader only: the node we are handing leadership to (§3.10). */
  leadTransferee: NodeId = NONE;
  readOnly = new ReadOnlyQueue();
  /** Leader only: reads that arrived before an entry of this term was committed (§6.4 step 1). */
  readsAwaitingCommit: { ctx: string; from: NodeId }[] = [];
  /**
   * Follower only: reads forwarded to the leader and not yet answered, with
   * the ticks they have waited. Dropped when the term or leader changes, or
   * after two election timeouts (the request or its answer was lost).
   */
  forwardedReads = new Map<string, number>();
  /** Set when a heartbeat round must carry a new ReadIndex ctx. */
  readHeartbeatPending = false;
  /** Set when followers should hear about new entries or a new commit index at the next ready(). */
  appendPending = false;
  commitChanged = false;

  /** The latest snapshot: made locally by compact() or received from a leader. */
  snapshot: Snapshot | undefined;
  /** A received snapshot the caller has not yet persisted and restored. */
  pendingSnapshot: Snapshot | undefined;
  incomingSnapshot: IncomingSnapshot | undefined;

  msgs: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: string[] = [];
  /** What the caller last received, to emit only changes. */
  prevHardState: HardState;
  prevSoftState: SoftState;

  constructor(cfg: RaftConfig, conf: ConfState) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.conf = conf;
    this.prevHardState = { term: 0, vote: NONE, commit: 0 };
    this.prevSoftState = { leader: NONE, role: 'follower', term: 0 };
    this.resetRandomizedElectionTimeout();
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.leader, role: this.role, term: this.term };
  }

  /** Whether the hard state differs from what the caller last received (no allocation: hasReady is hot). */
  hardStateChanged(): boolean {
    const p = this.prevHardState;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.log.committed;
  }

  softStateChanged(): boolean {
    const p = this.prevSoftState;
    return p.leader !== this.leader || p.role !== this.role || p.term !== this.term;
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.conf.voters.includes(id);
  }

  send(m: Outgoing): void {
    this.msgs.push({ ...m, from: this.id, term: this.term } as Message);
  }

  /** Like `send` but with an explicit term: pre-vote messages carry the term they are about. */
  sendWithTerm(m: Outgoing, term: number): void {
    this.msgs.push({ ...m, from: this.id, term } as Message);
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.rng.int(this.cfg.electionTicks);
  }

  /** Common part of every role change. Keeps the vote unless the term moves (§5.2: one vote per term). */
  reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.votes.clear();
    this.prs.clear();
    this.appendPending = false;
    this.commitChanged = false;
    this.readHeartbeatPending = false;
    this.dropPendingReads();
  }

  /** Leadership or the leader changed: every read we were confirming or waiting for is dropped. */
  private dropPendingReads(): void {
    const waiting = [...this.readOnly.drain(), ...this.readsAwaitingCommit];
    this.readsAwaitingCommit = [];
    for (const ctx of this.forwardedReads.keys()) this.droppedReads.push(ctx);
    this.forwardedReads.clear();
    for (const r of waiting) {
      if (r.from === this.id) this.droppedReads.push(r.ctx);
      else this.send({ type: 'read-index-resp', to: r.from, ctx: r.ctx, index: -1 });
    }
  }

  becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  /** Pre-vote (§9.6 of the thesis): ask whether we could win before disturbing anyone's term. */
  becomePreCandidate(): void {
    const term = this.term;
    this.reset(term);
    this.role = 'pre-candidate';
  }

  becomeCandidate(): void {
    this.reset(this.term + 1);
    this.role = 'candidate';
    this.vote = this.id;
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const next = this.log.lastIndex() + 1;
    for (const id of members(this.conf)) this.addProgress(id, next, false);
    const self = this.prs.get(this.id);
    if (self !== undefined) {
      self.match = this.log.stable;
      self.becomeReplicate();
      self.next = next;
    }
    // §5.4.2 / §8: a no-op of the new term lets us commit everything before it.
    this.log.append([{ type: 'normal', index: next, term: this.term, data: new Uint8Array(0) }]);
    this.appendPending = true;
  }

  /**
   * Tracks a member. `active` seeds check-quorum: a new leader must hear from
   * a majority within its first election timeout, while a member added by a
   * configuration change gets that timeout as grace.
   */
  addProgress(id: NodeId, next: number, active: boolean): void {
    const pr = new Progress(next, this.cfg.maxInflight, !this.conf.voters.includes(id));
    pr.recentActive = active || id === this.id;
    this.prs.set(id, pr);
  }

  /**
   * Brings role and progress tracking in line with the log's configuration,
   * which changes when a conf entry is appended, truncated or restored.
   */
  syncConf(): void {
    const conf = this.log.conf();
    if (conf === this.conf) return;
    this.conf = conf;
    if (this.role === 'leader') {
      const all = new Set(members(conf));
      for (const id of [...this.prs.keys()]) if (!all.has(id)) this.prs.delete(id);
      for (const id of all) {
        const pr = this.prs.get(id);
        if (pr === undefined) this.addProgress(id, this.log.lastIndex() + 1, true);
        else pr.isLearner = !conf.voters.includes(id);
      }
      if (this.leadTransferee !== NONE && !conf.voters.includes(this.leadTransferee))
        this.leadTransferee = NONE;
    } else if (this.role !== 'follower' && !this.isVoter()) {
      this.becomeFollower(this.term, NONE);
    }
  }
}
