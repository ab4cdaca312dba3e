/**
 * A circuit breaker per instance (Nygard's "Release It!", as in Hystrix and
 * resilience4j):
 *
 *   closed ──(N consecutive failures, or error rate ≥ R% over the window)──▶ open
 *   open ──(cool-down `openMs` elapsed)──▶ half-open
 *   half-open ──(a probe succeeds)──▶ closed      half-open ──(a probe fails)──▶ open
 *
 * While half-open at most `halfOpenProbes` requests are in flight; only their
 * results move the state (a slow request started before the breaker opened
 * must not close it). Time comes from the caller, so tests drive it.
 */

import { isFailure, type Outcome } from './outcome.ts';

export interface BreakerOptions {
  /** Consecutive failures that open a closed breaker. */
  readonly consecutiveFailures: number;
  /** Failure share (percent) over `windowMs` that opens it, once the window holds `minRequests`. */
  readonly errorRatePercent: number;
  readonly minRequests: number;
  readonly windowMs: number;
  /** Cool-down from opening to letting probes through. */
  readonly openMs: number;
  /** Probes in flight at once while half-open. */
  readonly halfOpenProbes: number;
}

export const DEFAULT_BREAKER: BreakerOptions = {
  consecutiveFailures: 5,
  errorRatePercent: 50,
  minRequests: 20,
  windowMs: 10_000,
  openMs: 5_000,
  halfOpenProbes: 1,
};

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Buckets of the rolling error-rate window: a fixed array, so memory does not grow with traffic. */
const BUCKETS = 10;

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  /** Probes started while half-open and not finished (≤ halfOpenProbes). */
  private probes = 0;
  /** Per bucket: the bucket's epoch (`floor(now / bucketMs)`), requests and failures. */
  private readonly epochs = new Float64Array(BUCKETS).fill(-1);
  private readonly totals = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);

  constructor(private readonly o: BreakerOptions) {}

  /** The state at `now` (an open breaker whose cool-down is over is half-open). */
  state(now: number): BreakerState {
    if (this.current === 'open' && now - this.openedAt >= this.o.openMs) {
      this.current = 'half-open';
      this.probes = 0;
    }
    return this.current;
  }

  /** Whether a new request may go to the instance now. */
  allows(now: number): boolean {
    const s = this.state(now);
    return s === 'closed' || (s === 'half-open' && this.probes < this.o.halfOpenProbes);
  }

  /** A request starts; answers whether it is a half-open probe (pass that to {@link onFinish}). */
  onStart(now: number): boolean {
    if (this.state(now) !== 'half-open') return false;
    this.probes++;
    return true;
  }

  /** A request started with {@link onStart} ended. */
  onFinish(outcome: Outcome, probe: boolean, now: number): void {
    const s = this.state(now);
    if (probe) {
      this.probes = Math.max(0, this.probes - 1);
      if (s !== 'half-open' || outcome === 'cancelled') return;
      if (isFailure(outcome)) this.open(now);
      else this.close();
      return;
    }
    // Results of requests started in an earlier state say nothing about the instance now.
    if (s !== 'closed' || outcome === 'cancelled') return;
    const failed = isFailure(outcome);
    this.consecutive = failed ? this.consecutive + 1 : 0;
    const b = this.bucket(now);
    this.totals[b]!++;
    if (failed) this.failures[b]!++;
    if (failed && (this.consecutive >= this.o.consecutiveFailures || this.rateTripped(now))) this.open(now);
  }

  private rateTripped(now: number): boolean {
    let total = 0;
    let failed = 0;
    const oldest = this.epoch(now) - BUCKETS + 1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.epochs[i]! < oldest) continue;
      total += this.totals[i]!;
      failed += this.failures[i]!;
    }
    return total >= this.o.minRequests && failed * 100 >= this.o.errorRatePercent * total;
  }

  private epoch(now: number): number {
    return Math.floor(now / Math.max(1, this.o.windowMs / BUCKETS));
  }

  /** The bucket for `now`, cleared if it last held an older epoch. */
  private bucket(now: number): number {
    const e = this.epoch(now);
    const i = ((e % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.epochs[i] !== e) {
      this.epochs[i] = e;
      this.totals[i] = 0;
      this.failures[i] = 0;
    }
    return i;
  }

  private open(now: number): void {
    this.current = 'open';
    this.openedAt = now;
    this.probes = 0;
  }

  private close(): void {
    this.current = 'closed';
    this.consecutive = 0;
    this.epochs.fill(-1);
  }
}
