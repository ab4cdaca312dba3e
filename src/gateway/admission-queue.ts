/**
 * Per-service concurrency limit with a bounded queue, from the replicated
 * routing policy (`maxConcurrent`, `queue`, `queueTimeoutMs`): at most
 * `maxConcurrent` requests of the service are in flight through this
 * gateway; up to `queue` more wait in FIFO order for a slot; a request that
 * finds the queue full is refused at once (the gateway answers 429), and one
 * that waits longer than `queueTimeoutMs` gives up (503). Both bounds are
 * hard, so memory stays flat however large the burst.
 *
 * Limits change live when the policy does: a raised limit admits waiters at
 * once; a lowered one lets the requests in flight finish and admits no more
 * until they are under it. Without `maxConcurrent` everything is admitted.
 */

/** The queue timeout when the policy names none (the registry documents 1000). */
export const DEFAULT_QUEUE_TIMEOUT_MS = 1000;

/** The limits, as the policy states them. */
export interface AdmissionLimits {
  readonly maxConcurrent?: number;
  readonly queue?: number;
  readonly queueTimeoutMs?: number;
}

/** A slot: `release()` it exactly once when the request is over (later calls are ignored). */
export interface Permit {
  release(): void;
}

export type Admission =
  | { readonly admitted: true; readonly permit: Permit }
  | { readonly admitted: false; readonly reason: 'queue-full' | 'queue-timeout' | 'aborted' };

interface Waiter {
  readonly resolve: (a: Admission) => void;
  readonly timer: NodeJS.Timeout;
  readonly cleanup: () => void;
}

export class AdmissionQueue {
  private active = 0;
  /** Waiters in arrival order (a Map keeps insertion order and deletes in O(1)). */
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  private limits: AdmissionLimits = {};

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for one. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Applies new limits (a policy change) and admits whoever they let in. */
  configure(limits: AdmissionLimits): void {
    this.limits = limits;
    this.pump();
  }

  /** Waits for a slot; never rejects. `signal`: the caller went away (the answer is `aborted`). */
  acquire(signal?: AbortSignal): Promise<Admission> {
    if (signal?.aborted === true) return Promise.resolve({ admitted: false, reason: 'aborted' });
    if (this.hasRoom()) return Promise.resolve(this.admit());
    if (this.waiting.size >= (this.limits.queue ?? 0))
      return Promise.resolve({ admitted: false, reason: 'queue-full' });
    return new Promise((resolve) => {
      const id = this.nextId++;
      const onAbort = (): void => this.leave(id, 'aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () => this.leave(id, 'queue-timeout'),
        this.limits.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS,
      );
      this.waiting.set(id, { resolve, timer, cleanup: () => signal?.removeEventListener('abort', onAbort) });
    });
  }

  private hasRoom(): boolean {
    const max = this.limits.maxConcurrent;
    return max === undefined || this.active < max;
  }

  private admit(): Admission {
    this.active++;
    let released = false;
    return {
      admitted: true,
      permit: {
        release: () => {
          if (released) return;
          released = true;
          this.active--;
          this.pump();
        },
      },
    };
  }

  /** Admits waiters, oldest first, while there is room. */
  private pump(): void {
    for (const [id, w] of this.waiting) {
      if (!this.hasRoom()) return;
      this.waiting.delete(id);
      clearTimeout(w.timer);
      w.cleanup();
      w.resolve(this.admit());
    }
  }

  private leave(id: number, reason: 'queue-timeout' | 'aborted'): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.cleanup();
    w.resolve({ admitted: false, reason });
  }
}
