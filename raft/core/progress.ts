/**
 * The leader's view of one follower (etcd's tracker.Progress).
 *
 * probe:     we do not know where the follower's log matches; one AppendEntries
 *            at a time until it answers (§5.3 back-off).
 * replicate: the follower is known to match up to `match`; AppendEntries are
 *            pipelined, `next` moves optimistically, at most `maxInflight` in flight.
 * snapshot:  the follower needs entries we compacted; we stream it the snapshot.
 *
 * Invariant: match < next.
 */
import type { Snapshot } from './types.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded window of in-flight AppendEntries, each remembered by its last index. */
export class Inflights {
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacity: number) {}

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: number): void {
    this.lastIndexes.push(lastIndex);
  }

  /** Frees every message whose last index is at or below `index` (they were acknowledged). */
  freeLE(index: number): void {
    let k = 0;
    while (k < this.lastIndexes.length && this.lastIndexes[k]! <= index) k++;
    if (k > 0) this.lastIndexes.splice(0, k);
  }

  /** Frees the oldest slot: lets a stalled pipeline (lost messages) send again. */
  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an AppendEntries is outstanding; wait for its answer or a heartbeat response. */
  probeSent = false;
  /** snapshot: the index of the snapshot being sent, and how many of its bytes the follower acknowledged. */
  pendingSnapshot = 0;
  /**
   * snapshot: the snapshot being streamed, pinned so that a newer local
   * compaction does not restart a transfer in progress (it would never finish
   * under steady writes).
   */
  sending: Snapshot | undefined;
  snapshotOffset = 0;
  /**
   * snapshot: the sequence number of the last chunk sent. Only the answer to
   * that chunk moves the transfer on (stop-and-wait), so duplicated or stale
   * answers can never fork a second stream of chunks.
   */
  snapshotSeq = 0;
  /** snapshot: heartbeat rounds without snapshot progress, to resend a lost chunk. */
  snapshotStall = 0;
  /** The highest commit index sent to this follower, so a lagging one is told the commit as soon as it catches up. */
  sentCommit = 0;
  /** Heard from since the last check-quorum round (§6.2). */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState('replicate');
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshot.meta.index;
    this.sending = snapshot;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.sending = undefined;
    this.snapshotOffset = 0;
    this.snapshotStall = 0;
    this.inflights.reset();
  }

  /** A success response up to `index`: returns whether it taught us anything new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the AppendEntries whose prevIndex was `rejected`; `hintNext`
   * is where the follower's hint says to retry. Returns false for a stale
   * rejection (one about a message we have already moved past). A broken
   * pipeline falls back to probe.
   */
  maybeDecrTo(rejected: number, hintNext: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      // The pipeline broke (a lost or rejected message): fall back to probing from the hint.
      this.becomeProbe();
      this.next = Math.max(this.match + 1, Math.min(rejected, hintNext));
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(this.match + 1, Math.min(rejected, hintNext));
    this.probeSent = false;
    return true;
  }

  /** Whether sending more AppendEntries to this follower must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
