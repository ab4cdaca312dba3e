/**
 * The closed-loop load generator: `concurrency` workers, each sending one
 * operation, waiting for its answer, and sending the next, for a warm-up and
 * then a measured interval. Only operations that complete inside the measured
 * interval count (throughput = those / interval; latency = send → answer).
 */

import { seededRng } from '../../raft/index.ts';
import { Samples } from './stats.ts';

/** Pause after a failed operation, so a worker that fails fast does not spin a core. */
export const PAUSE_AFTER_FAILURE_MS = 10;

/** A seeded generator (raft's mulberry32): both systems get the same key sequence. */
export function seededRandom(seed: number): () => number {
  return seededRng(seed).next;
}

/** Options of {@link closedLoop}. */
export interface LoadOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Called when the measured interval starts (to start resource meters). */
  readonly onMeasureStart?: () => void;
}

/** What {@link closedLoop} measured. */
export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Up to three distinct error messages seen, for the report. */
  readonly errorSamples: readonly string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `op(n)` (n: a sequence number across workers) in a closed loop. */
export async function closedLoop(op: (n: number) => Promise<void>, o: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  const errorSamples = new Set<string>();
  let errors = 0;
  let n = 0;
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupMs;
  const measureTo = measureFrom + o.durationMs;
  let started = false;
  const timer = setTimeout(() => {
    started = true;
    o.onMeasureStart?.();
  }, o.warmupMs);
  const worker = async (): Promise<void> => {
    while (performance.now() < measureTo) {
      const sent = performance.now();
      try {
        await op(n++);
        const done = performance.now();
        if (sent >= measureFrom && done <= measureTo) samples.add(done - sent);
      } catch (err) {
        const done = performance.now();
        if (done >= measureFrom && done <= measureTo) {
          errors++;
          if (errorSamples.size < 3) errorSamples.add(String((err as Error).message ?? err).slice(0, 160));
        }
        await sleep(PAUSE_AFTER_FAILURE_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearTimeout(timer);
  if (!started) o.onMeasureStart?.();
  const seconds = o.durationMs / 1000;
  const { p50, p99, max } = samples.summary();
  return {
    ops: samples.count,
    errors,
    seconds,
    opsPerSecond: samples.count / seconds,
    p50,
    p99,
    max,
    errorSamples: [...errorSamples],
  };
}
