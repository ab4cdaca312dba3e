import { applyConfChange } from './conf-change.ts';
import { RaftError } from './errors.ts';
import { quorumSize } from './quorum.ts';
import { broadcastHeartbeat, maybeCommit, sendAppend, sendSnapshotChunk } from './replication.ts';
import type { RaftState } from './state.ts';
import type {
  AppendResponse,
  ConfChange,
  Entry,
  HeartbeatResponse,
  Message,
  NodeId,
  SnapshotResponse,
} from './types.ts';
import { NONE } from './types.ts';

/**
 * Heartbeat rounds a snapshot transfer may go without an acknowledgement
 * before the current chunk is sent again: about one election timeout, so a
 * slow link is not flooded with copies of a chunk whose ack is on its way.
 */
function snapshotStallRounds(r: RaftState): number {
  return Math.max(3, Math.ceil(r.cfg.electionTicks / r.cfg.heartbeatTicks));
}

/** Messages for a leader. */
export function stepLeader(r: RaftState, m: Message): void {
  switch (m.type) {
    case 'append-resp':
      handleAppendResponse(r, m);
      return;
    case 'heartbeat-resp':
      handleHeartbeatResponse(r, m);
      return;
    case 'snapshot-resp':
      handleSnapshotResponse(r, m);
      return;
    case 'read-index':
      handleReadRequest(r, m.ctx, m.from);
      return;
    default:
      return;
  }
}

/** Where to retry after a rejection, from the follower's hint (fast back-off, §5.3). */
function nextFromHint(r: RaftState, m: AppendResponse): number {
  if (m.hintTerm === 0) return m.hintIndex;
  const last = r.log.lastIndexOfTerm(m.hintTerm, m.index);
  // We hold that term: the follower matches us at least up to our last entry of it.
  return last > 0 ? Math.min(last + 1, m.index) : m.hintIndex;
}

function handleAppendResponse(r: RaftState, m: AppendResponse): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (!m.success) {
    if (pr.maybeDecrTo(m.index, nextFromHint(r, m))) sendAppend(r, m.from, pr, true);
    return;
  }
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') pr.becomeReplicate();
  else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
  else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
  if (!commitAsLeader(r)) {
    if (pr.next <= r.log.lastIndex()) r.appendPending = true;
    // It caught up after the commit index moved: tell it now rather than at the next heartbeat.
    else if (pr.sentCommit < Math.min(pr.match, r.log.committed)) sendAppend(r, m.from, pr, true);
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.send({ type: 'timeout-now', to: m.from });
  }
  maybePromote(r, m.from);
}

function handleHeartbeatResponse(r: RaftState, m: HeartbeatResponse): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.state === 'snapshot') {
    if (++pr.snapshotStall >= snapshotStallRounds(r)) sendSnapshotChunk(r, m.from, pr);
  } else if (pr.match < r.log.lastIndex()) {
    // Even when everything was sent, an answer is missing: probe at next - 1 so a lost
    // AppendEntries shows up as a rejection and the pipeline restarts from the hint.
    sendAppend(r, m.from, pr, true);
  }
  if (m.ctx !== '' && r.readOnly.ack(m.ctx, m.from) > 0) maybeReleaseReads(r, m.ctx);
  maybePromote(r, m.from);
}

function handleSnapshotResponse(r: RaftState, m: SnapshotResponse): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined || pr.state !== 'snapshot' || pr.sending === undefined) return;
  pr.recentActive = true;
  // Only the answer to the chunk we sent last counts; anything else is a duplicate or stale.
  if (m.seq !== pr.snapshotSeq) return;
  const meta = pr.sending.meta;
  // The follower says how much of our snapshot it holds (0 if it is assembling another one).
  pr.snapshotOffset = m.index === meta.index && m.snapTerm === meta.term ? m.offset : 0;
  sendSnapshotChunk(r, m.from, pr);
}

function maybeReleaseReads(r: RaftState, ctx: string): void {
  let acks = 0;
  for (const id of r.readOnly.acks(ctx)) if (r.conf.voters.includes(id)) acks++;
  if (acks < quorumSize(r.conf.voters.length)) return;
  for (const read of r.readOnly.releaseThrough(ctx)) answerRead(r, read.ctx, read.from, read.index);
}

function answerRead(r: RaftState, ctx: string, from: NodeId, index: number): void {
  if (from === r.id) r.readStates.push({ ctx, index });
  else r.send({ type: 'read-index-resp', to: from, ctx, index });
}

/** ReadIndex on the leader (§6.4): remember the commit index, then confirm leadership with a heartbeat round. */
export function handleReadRequest(r: RaftState, ctx: string, from: NodeId): void {
  if (r.log.term(r.log.committed) !== r.term) {
    // Step 1: until an entry of our term commits we may not know the latest commit index.
    r.readsAwaitingCommit.push({ ctx, from });
    return;
  }
  if (r.conf.voters.length === 1 && r.isVoter()) {
    answerRead(r, ctx, from, r.log.committed);
    return;
  }
  r.readOnly.add(ctx, r.log.committed, from, r.id);
  r.readHeartbeatPending = true;
}

/**
 * Moves the commit index if a majority allows; then reads that waited for
 * our first commit can start, and a removed leader steps down.
 */
export function commitAsLeader(r: RaftState): boolean {
  if (!maybeCommit(r)) return false;
  if (r.readsAwaitingCommit.length > 0 && r.log.term(r.log.committed) === r.term) {
    const waiting = r.readsAwaitingCommit;
    r.readsAwaitingCommit = [];
    for (const w of waiting) handleReadRequest(r, w.ctx, w.from);
  }
  if (!r.isVoter() && r.log.committed >= r.log.lastConfIndex()) {
    // §4.2.2: a leader removed from the configuration steps down once that configuration is committed.
    r.becomeFollower(r.term, NONE);
  }
  return true;
}

function appendAsLeader(r: RaftState, entry: Entry): void {
  r.log.append([entry]);
  r.syncConf();
  r.appendPending = true;
  // A single voter commits its own entries as soon as they are durable (see advance).
}

function checkCanPropose(r: RaftState): void {
  if (r.role !== 'leader' || !r.isVoter()) {
    throw new RaftError('NOT_LEADER', `node ${r.id} is not the leader`, { leaderId: r.leader });
  }
  if (r.leadTransferee !== NONE) {
    throw new RaftError('TRANSFER_IN_PROGRESS', `leadership is being transferred to ${r.leadTransferee}`);
  }
  if (r.log.lastIndex() - r.log.committed >= r.cfg.maxUncommittedEntries) {
    throw new RaftError('PROPOSAL_DROPPED', `${r.cfg.maxUncommittedEntries} entries are already uncommitted`);
  }
}

export function propose(r: RaftState, data: Uint8Array): { index: number; term: number } {
  checkCanPropose(r);
  const index = r.log.lastIndex() + 1;
  appendAsLeader(r, { type: 'normal', index, term: r.term, data });
  return { index, term: r.term };
}

export function proposeConfChange(r: RaftState, change: ConfChange): { index: number; term: number } {
  checkCanPropose(r);
  if (r.log.lastConfIndex() > r.log.committed) {
    throw new RaftError('CONF_CHANGE_PENDING', 'a configuration change is still uncommitted');
  }
  if (r.log.term(r.log.committed) !== r.term) {
    // Ongaro's fix to single-server changes: not before an entry of this term is committed.
    throw new RaftError('CONF_CHANGE_PENDING', 'the leader has not committed an entry of its term yet');
  }
  const conf = applyConfChange(r.conf, change);
  const index = r.log.lastIndex() + 1;
  appendAsLeader(r, { type: 'conf', index, term: r.term, conf });
  return { index, term: r.term };
}

/** A learner added with `promote` becomes a voter once it holds everything committed. */
function maybePromote(r: RaftState, id: NodeId): void {
  if (r.role !== 'leader' || !r.conf.promoting.includes(id)) return;
  const pr = r.prs.get(id);
  if (pr === undefined || pr.match < r.log.committed) return;
  if (r.log.lastConfIndex() > r.log.committed || r.log.term(r.log.committed) !== r.term) return;
  if (r.leadTransferee !== NONE || r.log.lastIndex() - r.log.committed >= r.cfg.maxUncommittedEntries) return;
  proposeConfChange(r, { type: 'promote', node: id });
}

export function transferLeadership(r: RaftState, to: NodeId): void {
  if (r.role !== 'leader') {
    throw new RaftError('NOT_LEADER', `node ${r.id} is not the leader`, { leaderId: r.leader });
  }
  if (to === r.id) return;
  if (!r.conf.voters.includes(to)) {
    throw new RaftError('INVALID_ARGUMENT', `cannot transfer leadership to ${to}: not a voter`);
  }
  if (r.leadTransferee === to) return;
  r.leadTransferee = to;
  // The transfer must finish within an election timeout or it is abandoned (tick).
  r.electionElapsed = 0;
  const pr = r.prs.get(to)!;
  if (pr.match === r.log.lastIndex()) r.send({ type: 'timeout-now', to });
  else sendAppend(r, to, pr, true);
}

/** Leader's clock: heartbeats, check-quorum (§6.2) and the transfer deadline. */
export function tickLeader(r: RaftState): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.cfg.electionTicks) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum && !quorumActive(r)) {
      r.becomeFollower(r.term, NONE);
      return;
    }
    r.leadTransferee = NONE;
  }
  if (r.heartbeatElapsed >= r.cfg.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    broadcastHeartbeat(r);
  }
}

/** Whether a majority of voters was heard from in the last election timeout; resets the marks. */
function quorumActive(r: RaftState): boolean {
  let active = 0;
  for (const id of r.conf.voters) {
    const pr = r.prs.get(id);
    if (pr === undefined) continue;
    if (id === r.id || pr.recentActive) active++;
    if (id !== r.id) pr.recentActive = false;
  }
  return active >= quorumSize(r.conf.voters.length);
}
