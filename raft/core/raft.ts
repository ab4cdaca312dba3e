import { EMPTY_CONF, type RaftOptions, resolveConfig } from './config.ts';
import { handleVoteRequest, hup, inLease } from './election.ts';
import { RaftError } from './errors.ts';
import type { ProgressState } from './progress.ts';
import { broadcastHeartbeat, flushAppends } from './replication.ts';
import { RaftState } from './state.ts';
import { stepCandidate, stepFollower } from './step-follower.ts';
import {
  commitAsLeader,
  handleReadRequest,
  propose,
  proposeConfChange,
  stepLeader,
  tickLeader,
  transferLeadership,
} from './step-leader.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  PersistedState,
  Ready,
  Role,
  SnapshotMeta,
} from './types.ts';
import { NONE } from './types.ts';

/** What a leader knows of one member's replication. */
export interface PeerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly learner: boolean;
}

/** A point-in-time view of a node, for status pages, metrics and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly role: Role;
  readonly leader: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly conf: ConfState;
  /** Leader only: every member's progress. */
  readonly progress: Readonly<Record<NodeId, PeerStatus>>;
}

/** Gives up on forwarded reads whose request or answer was lost. */
function expireForwardedReads(r: RaftState): void {
  for (const [ctx, waited] of r.forwardedReads) {
    if (waited + 1 >= 2 * r.cfg.electionTicks) {
      r.forwardedReads.delete(ctx);
      r.droppedReads.push(ctx);
    } else {
      r.forwardedReads.set(ctx, waited + 1);
    }
  }
}

/**
 * One Raft node as a pure state machine, in the style of etcd's RawNode.
 * Inputs: tick, step, propose, proposeConfChange, readIndex,
 * transferLeadership, compact. Outputs: a Ready batch the caller persists,
 * sends and applies, then acknowledges with advance. No I/O, no timers, no
 * hidden randomness: the same inputs always produce the same outputs.
 */
export class RaftCore {
  private readonly r: RaftState;

  /** Builds a node from what its storage holds (nothing, for a brand-new node). */
  constructor(options: RaftOptions, persisted: PersistedState = { entries: [] }) {
    const cfg = resolveConfig(options);
    const r = new RaftState(cfg, EMPTY_CONF);
    this.r = r;
    const { hardState, snapshot } = persisted;
    const log = r.log;
    if (snapshot !== undefined) {
      log.restore(snapshot.meta);
      log.appliedTo(snapshot.meta.index);
      r.snapshot = snapshot;
    }
    const entries = persisted.entries.filter((e) => e.index > log.snapIndex);
    for (let k = 0; k < entries.length; k++) {
      if (entries[k]!.index !== log.snapIndex + 1 + k) {
        throw new RaftError(
          'INVALID_ARGUMENT',
          `persisted log is not contiguous: expected index ${log.snapIndex + 1 + k}, found ${entries[k]!.index}`,
        );
      }
    }
    log.append(entries);
    log.stable = log.lastIndex();
    log.persisting = log.lastIndex();
    if (hardState !== undefined) {
      if (hardState.commit > log.lastIndex()) {
        throw new RaftError(
          'INVALID_ARGUMENT',
          `hard state commit ${hardState.commit} is beyond the last persisted index ${log.lastIndex()}`,
        );
      }
      r.term = hardState.term;
      r.vote = hardState.vote;
      log.commitTo(Math.max(hardState.commit, log.snapIndex));
      r.prevHardState = hardState;
    } else if (snapshot === undefined && entries.length === 0 && cfg.bootstrap !== undefined) {
      // A founding member: every founder writes the same first entry, so their logs agree from the start.
      log.append([
        { type: 'conf', index: 1, term: 1, conf: { voters: cfg.bootstrap, learners: [], promoting: [] } },
      ]);
      r.term = 1;
      log.commitTo(1);
    }
    r.syncConf();
    r.prevSoftState = { leader: NONE, role: 'follower', term: r.term };
  }

  get id(): NodeId {
    return this.r.id;
  }
  get term(): number {
    return this.r.term;
  }
  get vote(): NodeId {
    return this.r.vote;
  }
  get role(): Role {
    return this.r.role;
  }
  /** The leader this node knows of, or '' (NONE). */
  get leader(): NodeId {
    return this.r.leader;
  }
  get commitIndex(): number {
    return this.r.log.committed;
  }
  get appliedIndex(): number {
    return this.r.log.applied;
  }
  get firstIndex(): number {
    return this.r.log.firstIndex();
  }
  get lastIndex(): number {
    return this.r.log.lastIndex();
  }
  /** The configuration in force: the latest in the log, committed or not. */
  get conf(): ConfState {
    return this.r.conf;
  }
  get snapshotMeta(): SnapshotMeta | undefined {
    return this.r.snapshot?.meta;
  }

  /** Term of the entry at `index` (the snapshot's last index included); undefined when compacted or beyond the end. */
  termAt(index: number): number | undefined {
    return this.r.log.term(index);
  }

  /** Entries in [lo, hi) still in memory. */
  entries(lo: number, hi: number): Entry[] {
    return this.r.log.slice(lo, hi);
  }

  status(): RaftStatus {
    const r = this.r;
    const progress: Record<NodeId, PeerStatus> = {};
    for (const [id, pr] of r.prs) {
      progress[id] = { match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner };
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      role: r.role,
      leader: r.leader,
      commitIndex: r.log.committed,
      appliedIndex: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      conf: r.conf,
      progress,
    };
  }

  /** Advances logical time by one tick: elections, heartbeats, check-quorum. */
  tick(): void {
    const r = this.r;
    if (r.role === 'leader') {
      tickLeader(r);
      return;
    }
    r.electionElapsed++;
    expireForwardedReads(r);
    if (r.isVoter() && r.electionElapsed >= r.randomizedElectionTimeout) {
      r.electionElapsed = 0;
      hup(r);
    }
  }

  /**
   * The runtime saw its open connection with `id` close. A leader stops
   * pipelining to it and probes it afresh. A peer whose process
   * dies closes its sockets, so when `id` is the leader we follow this comes
   * long before an election timeout: stop honouring its lease (so we grant
   * pre-votes) and campaign, through pre-vote, after 1 + 2·rank ticks, rank
   * ordering the other voters by id so the survivors do not split their
   * votes. A flapping link causes this too: a heartbeat from the leader in
   * the meantime cancels it, and voters that still hear from the leader
   * refuse the pre-vote, so a healthy leader is never deposed by it. Safety
   * never depends on when a node campaigns.
   */
  peerLost(id: NodeId): void {
    const r = this.r;
    if (r.role === 'leader') {
      // Whatever was in flight to it is lost with the connection: stop pipelining and probe it
      // afresh, so it gets one AppendEntries when it is back rather than a flood (etcd's ReportUnreachable).
      const pr = r.prs.get(id);
      if (id !== r.id && pr?.state === 'replicate') pr.becomeProbe();
      return;
    }
    // Without pre-vote an early campaign would bump terms and could depose a healthy leader.
    if (!r.cfg.preVote || r.role !== 'follower' || r.leader !== id || id === NONE || !r.isVoter()) return;
    r.becomeFollower(r.term, NONE);
    const rank = r.conf.voters
      .filter((v) => v !== id)
      .sort()
      .indexOf(r.id);
    r.randomizedElectionTimeout = 1 + 2 * rank;
  }

  /** Feeds one message from a peer. Messages addressed to another node are ignored. */
  step(m: Message): void {
    const r = this.r;
    if (m.to !== r.id || m.from === r.id) return;
    if (m.term > r.term) {
      if (inLease(r, m)) return;
      // A pre-vote (or a grant of ours) is about a future term: it moves no one's term.
      const keepsTerm = m.type === 'pre-vote' || (m.type === 'pre-vote-resp' && m.granted);
      if (!keepsTerm) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        r.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < r.term) {
      if ((r.cfg.checkQuorum || r.cfg.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A deposed leader that never hears a higher term would keep its followers'
        // pre-votes failing forever; tell it our term so it steps down.
        r.send({ type: 'append-resp', to: m.from, success: false, index: 0, hintTerm: 0, hintIndex: 0 });
      } else if (m.type === 'pre-vote') {
        r.send({ type: 'pre-vote-resp', to: m.from, granted: false });
      } else if (m.type === 'read-index') {
        // The asker follows a leader of an old term: refuse, and our term tells it to move on.
        r.send({ type: 'read-index-resp', to: m.from, ctx: m.ctx, index: -1 });
      }
      return;
    }
    if (m.type === 'vote' || m.type === 'pre-vote') {
      handleVoteRequest(r, m);
      return;
    }
    if (r.role === 'leader') stepLeader(r, m);
    else if (r.role === 'follower') stepFollower(r, m);
    else stepCandidate(r, m);
  }

  /**
   * Appends `data` to the leader's log. Returns where it will commit if it
   * commits: an entry later committed at that index with another term means
   * this proposal was lost. Throws RaftError NOT_LEADER (with the known
   * leader), TRANSFER_IN_PROGRESS or PROPOSAL_DROPPED.
   */
  propose(data: Uint8Array): { index: number; term: number } {
    return propose(this.r, data);
  }

  /** Proposes one membership change (§4.1 of the thesis). Also CONF_CHANGE_PENDING, INVALID_CONF_CHANGE. */
  proposeConfChange(change: ConfChange): { index: number; term: number } {
    return proposeConfChange(this.r, change);
  }

  /**
   * Starts a linearizable read (§6.4): the answer comes as a ReadState in a
   * later Ready (or in droppedReads). Throws NOT_LEADER when no leader is known.
   */
  readIndex(ctx: string): void {
    const r = this.r;
    if (r.role === 'leader') {
      handleReadRequest(r, ctx, r.id);
    } else if (r.role === 'follower' && r.leader !== NONE) {
      r.forwardedReads.set(ctx, 0);
      r.send({ type: 'read-index', to: r.leader, ctx });
    } else {
      throw new RaftError('NOT_LEADER', `node ${r.id} knows no leader to confirm a read`, { leaderId: NONE });
    }
  }

  /** Hands leadership to `to` (§3.10): catch it up, then TimeoutNow. Abandoned after an election timeout. */
  transferLeadership(to: NodeId): void {
    transferLeadership(this.r, to);
  }

  /**
   * Records the caller's FSM snapshot at an applied `index` and drops the
   * log up to it. Followers that need those entries get the snapshot.
   */
  compact(index: number, data: Uint8Array): void {
    const log = this.r.log;
    if (index <= log.snapIndex) return;
    if (index > log.applied) {
      throw new RaftError('INVALID_ARGUMENT', `cannot snapshot at ${index}: only ${log.applied} is applied`);
    }
    const meta: SnapshotMeta = { index, term: log.term(index)!, conf: log.confAt(index) };
    log.compact(index);
    this.r.snapshot = { meta, data };
  }

  hasReady(): boolean {
    const r = this.r;
    return (
      r.msgs.length > 0 ||
      (r.role === 'leader' && (r.appendPending || r.commitChanged || r.readHeartbeatPending)) ||
      r.log.hasUnpersisted() ||
      r.log.hasApplicable() ||
      r.pendingSnapshot !== undefined ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0 ||
      r.hardStateChanged() ||
      r.softStateChanged()
    );
  }

  /**
   * Collects everything the caller must do now (see Ready for the order).
   * Readies must be handled one at a time: persist, send and apply this one
   * and call advance before handling the next.
   */
  ready(): Ready {
    const r = this.r;
    if (r.role === 'leader') {
      if (r.appendPending || r.commitChanged) flushAppends(r);
      if (r.readHeartbeatPending) broadcastHeartbeat(r);
    }
    // The previous Ready was persisted before this call (one at a time), so prevHardState is durable.
    const termDurable = r.prevHardState.term === r.term && r.prevHardState.vote === r.vote;
    const hardState = r.hardStateChanged() ? r.hardState() : undefined;
    const softState = r.softStateChanged() ? r.softState() : undefined;
    const snapshot = r.pendingSnapshot;
    const rd: Ready = {
      entries: r.log.takeUnpersisted(),
      messages: r.msgs,
      committed: r.log.takeApplicable(r.cfg.maxCommittedPerReady),
      readStates: r.readStates,
      droppedReads: r.droppedReads,
      termDurable,
      ...(hardState === undefined ? {} : { hardState }),
      ...(softState === undefined ? {} : { softState }),
      ...(snapshot === undefined ? {} : { snapshot }),
    };
    if (hardState !== undefined) r.prevHardState = hardState;
    if (softState !== undefined) r.prevSoftState = softState;
    r.pendingSnapshot = undefined;
    r.msgs = [];
    r.readStates = [];
    r.droppedReads = [];
    return rd;
  }

  /** The caller has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    const r = this.r;
    const log = r.log;
    if (rd.snapshot !== undefined) log.appliedTo(rd.snapshot.meta.index);
    const last = rd.entries.at(-1);
    if (last !== undefined) log.stableTo(last.index, last.term);
    const applied = rd.committed.at(-1);
    if (applied !== undefined) log.appliedTo(applied.index);
    if (r.role === 'leader') {
      const self = r.prs.get(r.id);
      // The leader's own vote for its entries counts only once they are durable.
      if (self?.maybeUpdate(log.stable)) commitAsLeader(r);
    }
  }
}
