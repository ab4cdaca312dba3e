/**
 * Write lanes. The registry dedupes writes by `(clientId, seq)` but keeps only
 * the last seq of each clientId (Raft dissertation §6.3), so one session must
 * never have two writes in flight: a retry of the older would answer
 * STALE_SEQUENCE once the newer applied. Each concurrent write therefore takes
 * its own lane, a session `<clientId>.<lane>` with its own seq; a lane carries
 * one write at a time, and writes beyond `max` lanes wait in FIFO order.
 *
 * Invariant: every write takes a fresh seq (`lane.seq + 1`) and a lane's seq
 * never goes back, so no seq is ever used for two different commands, even
 * when a call gave up while its frame might still reach the leader.
 */

import { FlotillaError } from '../registry/errors.ts';
import type { Deadline } from './deadline.ts';

/** One session of this client. */
export interface Lane {
  readonly index: number;
  /** The session id the registry keys on: `<clientId>.<index>`. */
  readonly sessionId: string;
  /** The last seq this lane used (its next write uses seq + 1). */
  seq: number;
}

interface Waiter {
  readonly resolve: (lane: Lane) => void;
  readonly reject: (err: FlotillaError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Where a new lane's seq starts: microseconds since the epoch. A lane makes
 * far fewer than one write per microsecond (each waits a round trip), so a
 * process restarted with the same clientId starts above every seq its former
 * life used, and the registry never mistakes its writes for stale retries.
 */
export function clockSeqBase(): number {
  return Date.now() * 1000;
}

/** The lanes of one client: at most `max`, created on demand, lowest free first. */
export class WriteLanes {
  /** Free lanes; the lowest index is taken first so few sessions stay live on the server. */
  private readonly free: Lane[] = [];
  private readonly waiters: Waiter[] = [];
  private created = 0;
  private closed = false;

  constructor(
    private readonly clientId: string,
    readonly max: number,
    private readonly seqBase: () => number = clockSeqBase,
  ) {}

  /** Lanes carrying a write now. */
  get busy(): number {
    return this.created - this.free.length;
  }

  /** Writes waiting for a lane. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * A lane for one write, waiting for one to free up if all are busy. Rejects
   * TIMEOUT when `deadline` passes first, CLOSED when the client closes; the
   * write was not sent either way (`maybeApplied` false).
   */
  acquire(deadline: Deadline): Promise<Lane> {
    if (this.closed) return Promise.reject(closedError());
    const lane = this.takeFree();
    if (lane !== undefined) return Promise.resolve(lane);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const k = this.waiters.indexOf(waiter);
          if (k >= 0) this.waiters.splice(k, 1);
          reject(
            new FlotillaError('TIMEOUT', `no write lane freed up within ${deadline.timeoutMs} ms`, {
              details: { lanes: this.max },
            }),
          );
        }, deadline.remaining()),
      };
      this.waiters.push(waiter);
    });
  }

  /** Takes the next seq of `lane` for a new write. */
  nextSeq(lane: Lane): number {
    lane.seq += 1;
    return lane.seq;
  }

  /** The registry reports a later seq for this session (STALE_SEQUENCE): continue above it. */
  noteStale(lane: Lane, lastSeq: number): void {
    if (Number.isSafeInteger(lastSeq) && lastSeq > lane.seq) lane.seq = lastSeq;
  }

  /** Frees `lane` once its write is settled (or abandoned): the oldest waiter gets it. */
  release(lane: Lane): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve(lane);
      return;
    }
    this.free.push(lane);
  }

  /** Rejects every waiting write with CLOSED; later acquires fail at once. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(closedError());
    }
  }

  private takeFree(): Lane | undefined {
    if (this.free.length > 0) {
      let best = 0;
      for (let k = 1; k < this.free.length; k++) if (this.free[k]!.index < this.free[best]!.index) best = k;
      return this.free.splice(best, 1)[0];
    }
    if (this.created >= this.max) return undefined;
    const index = this.created++;
    return { index, sessionId: `${this.clientId}.${index}`, seq: this.seqBase() };
  }
}

function closedError(): FlotillaError {
  return new FlotillaError('CLOSED', 'client is closed');
}
