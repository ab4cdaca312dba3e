/**
 * Retry pacing: "full jitter" exponential backoff (the AWS architecture blog's
 * name). The delay is uniform in [0, cap] with cap = min(maxMs, baseMs·2^attempt):
 * clients that lost the same leader spread their retries over the whole
 * window instead of returning in lockstep and knocking the new leader over.
 */

/** Where the jitter comes from: returns a number in [0, 1). Injected so tests can pin it. */
export type RandomSource = () => number;

/** The delay before retry `attempt` (0 = the first retry after a failure). */
export function backoffDelay(
  attempt: number,
  retry: { readonly baseMs: number; readonly maxMs: number },
  random: RandomSource = Math.random,
): number {
  const cap = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * (cap + 1));
}

/**
 * Waits `ms`, or less when `signal` aborts (then it resolves too: callers
 * check their own state afterwards, so no rejection can go unhandled).
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
