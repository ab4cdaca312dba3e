/**
 * A retry budget (Finagle's and Linkerd's `RetryBudget`): retries may add at
 * most `percent` % to the requests of the last `windowMs`, plus a floor of
 * `minPerSecond` so a quiet service can still retry. Per-request retry
 * limits alone multiply load when a backend struggles (3 attempts = 3× the
 * traffic at the worst moment); a budget caps the extra at 20 % however
 * many requests fail. Pure: the clock is passed in, and the window is a
 * fixed ring of one-second buckets.
 */

export interface RetryBudgetOptions {
  readonly percent: number;
  readonly minPerSecond: number;
  readonly windowMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { percent: 20, minPerSecond: 10, windowMs: 10_000 };

const BUCKET_MS = 1000;

export class RetryBudget {
  private readonly buckets: number;
  private readonly epochs: Float64Array;
  private readonly requests: Float64Array;
  private readonly retries: Float64Array;

  constructor(
    private readonly o: RetryBudgetOptions,
    private readonly clock: () => number,
  ) {
    this.buckets = Math.max(1, Math.ceil(o.windowMs / BUCKET_MS));
    this.epochs = new Float64Array(this.buckets).fill(-1);
    this.requests = new Float64Array(this.buckets);
    this.retries = new Float64Array(this.buckets);
  }

  /** Counts a request (its first attempt). */
  onRequest(): void {
    this.requests[this.bucket()]!++;
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryRetry(): boolean {
    const now = this.clock();
    let requests = 0;
    let retries = 0;
    const oldest = Math.floor(now / BUCKET_MS) - this.buckets + 1;
    for (let i = 0; i < this.buckets; i++) {
      if (this.epochs[i]! < oldest) continue;
      requests += this.requests[i]!;
      retries += this.retries[i]!;
    }
    const allowed =
      (requests * this.o.percent) / 100 + (this.o.minPerSecond * this.buckets * BUCKET_MS) / 1000;
    if (retries + 1 > allowed) return false;
    this.retries[this.bucket()]!++;
    return true;
  }

  private bucket(): number {
    const e = Math.floor(this.clock() / BUCKET_MS);
    const i = e % this.buckets;
    if (this.epochs[i] !== e) {
      this.epochs[i] = e;
      this.requests[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
}
