/**
 * A call's deadline on the monotonic clock, so a wall-clock step (NTP) can
 * neither cut a call short nor stretch it.
 */

import { performance } from 'node:perf_hooks';

/** When one call (or one attempt of it) gives up. */
export class Deadline {
  /** `performance.now()` value at which the call gives up. */
  private readonly at: number;

  constructor(readonly timeoutMs: number) {
    this.at = performance.now() + timeoutMs;
  }

  /** The earlier of this deadline and `ms` from now: one attempt's share of a call. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.remaining(), ms));
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.at - performance.now());
  }

  /** True once less than a millisecond is left (timers fire on whole milliseconds, sometimes early). */
  get expired(): boolean {
    return this.remaining() < 1;
  }
}
