/**
 * Waits `ms`, or until `signal` aborts. Only for the length of a fault, a
 * client's think time or a run's quiet spells: there the duration is the
 * point. Waiting for a condition uses test/support/wait-for.ts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
