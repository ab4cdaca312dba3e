import type { Rng } from '../core/types.ts';

/** Reconnect delays: exponential from `baseMs`, capped at `maxMs`. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * The delay before reconnect attempt `attempt` (0 = the first retry after a
 * failure): "equal jitter", uniform in [cap/2, cap] where
 * cap = min(maxMs, baseMs·2^attempt). Half the delay is fixed so a flapping
 * peer is never hammered; half is random so peers that lost the same node do
 * not redial in lockstep when it returns.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, rng: Rng): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const half = Math.floor(cap / 2);
  return half + rng.int(cap - half + 1);
}

/** The default jitter source (the transport is I/O, not the deterministic core). */
export const mathRandomRng: Rng = { int: (maxExclusive) => Math.floor(Math.random() * maxExclusive) };
