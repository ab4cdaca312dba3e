import { campaign } from './election.ts';
import { tallyVotes } from './quorum.ts';
import type { RaftState } from './state.ts';
import type {
  AppendRequest,
  HeartbeatRequest,
  Message,
  ReadIndexResponse,
  SnapshotMeta,
  SnapshotRequest,
  VoteResponse,
} from './types.ts';
import { NONE } from './types.ts';

/** Messages for a follower. */
export function stepFollower(r: RaftState, m: Message): void {
  if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
    // Only the leader of our term sends these: it is alive, so our election timer restarts.
    r.electionElapsed = 0;
    r.leader = m.from;
    // An early campaign planned after losing the connection to it (peerLost) is called off.
    if (r.randomizedElectionTimeout < r.cfg.electionTicks) r.resetRandomizedElectionTimeout();
  }
  switch (m.type) {
    case 'append':
      handleAppend(r, m);
      return;
    case 'heartbeat':
      handleHeartbeat(r, m);
      return;
    case 'snapshot':
      handleSnapshotChunk(r, m);
      return;
    case 'timeout-now':
      // §3.10: the leader hands over; campaign at once, skipping pre-vote and the lease.
      if (r.isVoter()) campaign(r, 'transfer');
      return;
    case 'read-index':
      // Someone thinks we lead: we don't, so this read cannot be served here.
      r.send({ type: 'read-index-resp', to: m.from, ctx: m.ctx, index: -1 });
      return;
    case 'read-index-resp':
      handleReadIndexResponse(r, m);
      return;
    default:
      return;
  }
}

/** Messages for a candidate or pre-candidate. */
export function stepCandidate(r: RaftState, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // A leader of our term exists (§5.2): follow it.
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case 'vote-resp':
      if (r.role === 'candidate') handleVoteResponse(r, m);
      return;
    case 'pre-vote-resp':
      if (r.role === 'pre-candidate') handleVoteResponse(r, m);
      return;
    case 'read-index-resp':
      handleReadIndexResponse(r, m);
      return;
    case 'read-index':
      r.send({ type: 'read-index-resp', to: m.from, ctx: m.ctx, index: -1 });
      return;
    default:
      return;
  }
}

function handleVoteResponse(r: RaftState, m: VoteResponse): void {
  r.votes.set(m.from, m.granted);
  const result = tallyVotes(r.conf.voters, r.votes);
  if (result === 'won') {
    if (r.role === 'pre-candidate') campaign(r, 'election');
    else r.becomeLeader();
  } else if (result === 'lost') {
    r.becomeFollower(r.term, NONE);
  }
}

function handleReadIndexResponse(r: RaftState, m: ReadIndexResponse): void {
  // An answer to a read we already reported dropped must not resurface.
  if (!r.forwardedReads.delete(m.ctx)) return;
  if (m.index < 0) r.droppedReads.push(m.ctx);
  else r.readStates.push({ ctx: m.ctx, index: m.index });
}

function reject(r: RaftState, m: AppendRequest): void {
  const log = r.log;
  let hintTerm = 0;
  let hintIndex = log.lastIndex() + 1;
  if (m.prevIndex <= log.lastIndex()) {
    // Fast back-off: name our conflicting term and where it starts, so the leader skips the whole term.
    hintTerm = log.term(m.prevIndex) ?? 0;
    hintIndex = hintTerm === 0 ? log.firstIndex() : log.firstIndexOfTermRun(m.prevIndex);
  }
  r.send({ type: 'append-resp', to: m.from, success: false, index: m.prevIndex, hintTerm, hintIndex });
}

/** Tells the leader our log matches its own up to `index`. */
function acceptAppend(r: RaftState, leader: string, index: number): void {
  r.send({ type: 'append-resp', to: leader, success: true, index, hintTerm: 0, hintIndex: 0 });
}

/** AppendEntries receiver, Figure 2. */
function handleAppend(r: RaftState, m: AppendRequest): void {
  const log = r.log;
  if (m.prevIndex < log.committed) {
    // Everything up to our commit index is settled; tell the leader where we stand.
    acceptAppend(r, m.from, log.committed);
    return;
  }
  const lastNew = log.maybeAppend(m.prevIndex, m.prevTerm, m.entries);
  if (lastNew === undefined) {
    reject(r, m);
    return;
  }
  r.syncConf();
  // Figure 2, rule 5: commit = min(leaderCommit, index of last new entry).
  log.commitTo(Math.min(m.commit, lastNew));
  acceptAppend(r, m.from, lastNew);
}

function handleHeartbeat(r: RaftState, m: HeartbeatRequest): void {
  // The leader sends min(our match, its commit), so our log holds that prefix.
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({ type: 'heartbeat-resp', to: m.from, ctx: m.ctx });
}

function sameSnapshot(a: SnapshotMeta, b: SnapshotMeta): boolean {
  return a.index === b.index && a.term === b.term;
}

/** InstallSnapshot receiver (Figure 13), one chunk at a time. */
function handleSnapshotChunk(r: RaftState, m: SnapshotRequest): void {
  const log = r.log;
  const ack = (offset: number): void =>
    r.send({
      type: 'snapshot-resp',
      to: m.from,
      index: m.meta.index,
      snapTerm: m.meta.term,
      offset,
      seq: m.seq,
    });
  if (m.meta.index <= log.committed) {
    // We already hold everything it covers.
    r.incomingSnapshot = undefined;
    acceptAppend(r, m.from, log.committed);
    return;
  }
  let incoming = r.incomingSnapshot;
  if (m.offset === 0) {
    incoming = { meta: m.meta, size: m.size, chunks: [], received: 0 };
    r.incomingSnapshot = incoming;
  } else if (
    incoming === undefined ||
    !sameSnapshot(incoming.meta, m.meta) ||
    incoming.received !== m.offset
  ) {
    // Out of order, duplicate or for another snapshot: say how far we got and let the leader resume.
    ack(incoming !== undefined && sameSnapshot(incoming.meta, m.meta) ? incoming.received : 0);
    return;
  }
  incoming.chunks.push(m.data);
  incoming.received += m.data.byteLength;
  if (incoming.received < incoming.size) {
    ack(incoming.received);
    return;
  }
  r.incomingSnapshot = undefined;
  const data = concat(incoming.chunks, incoming.size);
  restoreSnapshot(r, { meta: incoming.meta, data });
  // Only the snapshot's last index is known to match the leader: a suffix we kept may still conflict.
  const index = incoming.meta.index;
  acceptAppend(r, m.from, index);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Installs a complete snapshot from the leader. If our log already has its
 * last entry we only move the commit index (Figure 13, step 6); otherwise the
 * whole log is replaced and the caller restores its FSM from the next Ready.
 */
function restoreSnapshot(r: RaftState, snap: { meta: SnapshotMeta; data: Uint8Array }): void {
  const log = r.log;
  if (log.matchTerm(snap.meta.index, snap.meta.term)) {
    log.commitTo(snap.meta.index);
    return;
  }
  log.restore(snap.meta);
  r.snapshot = snap;
  r.pendingSnapshot = snap;
  r.syncConf();
}
