import type { Progress } from './progress.ts';
import { majorityIndex } from './quorum.ts';
import type { RaftState } from './state.ts';
import type { NodeId } from './types.ts';

/**
 * Sends `to` the entries it lacks from `pr.next`, or the snapshot when they
 * were compacted. With `sendIfEmpty` an empty AppendEntries still goes out
 * (to carry a new commit index). Returns whether a message was sent.
 */
export function sendAppend(r: RaftState, to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
  if (pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) {
    // Figure 13: the entries it needs are gone; send the snapshot instead.
    return startSnapshot(r, to, pr);
  }
  const entries = r.log.slice(
    pr.next,
    r.log.lastIndex() + 1,
    r.cfg.maxEntriesPerMessage,
    r.cfg.maxBytesPerMessage,
  );
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'append', to, prevIndex, prevTerm, entries, commit: r.log.committed });
  pr.sentCommit = Math.max(pr.sentCommit, r.log.committed);
  const last = entries.at(-1);
  if (pr.state === 'replicate') {
    if (last !== undefined) {
      // Pipelining (§10.2.1): assume success and move on; a rejection sends us back to probe.
      pr.next = last.index + 1;
      pr.inflights.add(last.index);
    }
  } else {
    pr.probeSent = true;
  }
  return true;
}

function startSnapshot(r: RaftState, to: NodeId, pr: Progress): boolean {
  const snap = r.snapshot;
  if (snap === undefined) return false; // cannot happen: the log is only compacted below a snapshot
  pr.becomeSnapshot(snap);
  sendSnapshotChunk(r, to, pr);
  return true;
}

/**
 * Sends the chunk of the snapshot pinned on `pr` that starts at the
 * follower's acknowledged offset. Once it is installed, the follower probes
 * normally and gets a newer snapshot only if it still needs one.
 */
export function sendSnapshotChunk(r: RaftState, to: NodeId, pr: Progress): void {
  const snap = pr.sending;
  if (snap === undefined) return;
  const size = snap.data.byteLength;
  const offset = Math.min(pr.snapshotOffset, size);
  const end = Math.min(size, offset + r.cfg.snapshotChunkBytes);
  r.send({
    type: 'snapshot',
    to,
    meta: snap.meta,
    size,
    offset,
    data: snap.data.subarray(offset, end),
    done: end >= size,
    seq: ++pr.snapshotSeq,
  });
  pr.snapshotStall = 0;
}

/**
 * Called once per ready(): every follower gets what it lacks, as many
 * messages as its window allows. Deferring to here batches all proposals
 * made since the last ready() into shared AppendEntries.
 */
export function flushAppends(r: RaftState): void {
  const commitChanged = r.commitChanged;
  r.appendPending = false;
  r.commitChanged = false;
  for (const [id, pr] of r.prs) {
    if (id === r.id) continue;
    let sent = sendAppend(r, id, pr, commitChanged);
    while (sent && pr.state === 'replicate' && pr.next <= r.log.lastIndex()) {
      sent = sendAppend(r, id, pr, false);
    }
  }
}

/** Heartbeats to every member (§5.2), carrying the newest ReadIndex ctx for confirmation (§6.4). */
export function broadcastHeartbeat(r: RaftState): void {
  const ctx = r.readOnly.latestCtx();
  r.readHeartbeatPending = false;
  for (const [id, pr] of r.prs) {
    if (id === r.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    r.send({ type: 'heartbeat', to: id, commit, ctx });
    pr.sentCommit = Math.max(pr.sentCommit, commit);
  }
}

/**
 * Advances the commit index to the majority match, but only onto an entry
 * of the current term (§5.4.2, Figure 8). Returns whether it moved.
 */
export function maybeCommit(r: RaftState): boolean {
  const index = majorityIndex(r.conf.voters, (id) => r.prs.get(id)?.match ?? 0);
  if (index <= r.log.committed || r.log.term(index) !== r.term) return false;
  r.log.commitTo(index);
  r.commitChanged = true;
  r.appendPending = true;
  return true;
}
