/**
 * Failover: steady kv puts at concurrency 16 (one client), `kill -9` of the
 * leader after a warm-up, then:
 *
 * - window: from the kill (taken just before the signal) to the
 *   acknowledgement of the first write *sent after* the kill: when a client
 *   can write again. (A write acknowledged just after the kill may have been
 *   answered by the dying leader; only a write sent afterwards proves a new one.)
 * - longest gap: the longest time with no write acknowledged at all, around
 *   the kill (a write answered by the dying leader just after the signal does
 *   not shorten it, as it can shorten a "first ack after the kill").
 * - failed ops: writes that failed (the caller saw an error) from the kill
 *   until the window closed plus one second.
 *
 * Both clients keep their defaults except a 5 s deadline per call (Flotilla's
 * SDK default; etcd3 has none). etcd runs twice per run: with the etcd3
 * client's default fault handling (3 attempts on random members, a circuit
 * breaker per member open 5 s after 3 consecutive failures), and with
 * retries of connection failures only (etcd-system.ts).
 * The killed member is restarted and caught up before the next run.
 */

import { median } from '../stats.ts';
import type { BenchClient, EtcdFaultHandling } from '../system.ts';
import type { Measured, RunContext, Workload, WorkloadResult } from '../workload.ts';
import { value } from './writes.ts';

const CONCURRENCY = 16;
const WARMUP_MS = 2_000;
/** Give up on a run when no write sent after the kill succeeds within this. */
const GIVE_UP_MS = 20_000;
/** Keep writing this long after the window closes, to count late failures. */
const TAIL_MS = 1_000;
const PAUSE_AFTER_FAILURE_MS = 10;

interface Op {
  readonly sent: number;
  done: number;
  ok: boolean;
  error?: string;
}

interface RunFigures {
  readonly windowMs: number;
  readonly longestGapMs: number;
  readonly failed: number;
  readonly errors: string[];
}

async function oneRun(ctx: RunContext, client: BenchClient): Promise<RunFigures> {
  const ops: Op[] = [];
  let killAt = Number.POSITIVE_INFINITY;
  let stopAt = Number.POSITIVE_INFINITY;
  let windowEnd: number | undefined;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const op: Op = { sent: performance.now(), done: 0, ok: false };
      ops.push(op);
      try {
        await client.put(`bench/failover/k${n % 1000}`, value(n++));
        op.done = performance.now();
        op.ok = true;
        if (windowEnd === undefined && op.sent > killAt) {
          windowEnd = op.done;
          stopAt = op.done + TAIL_MS;
        }
      } catch (err) {
        op.done = performance.now();
        op.error = String((err as Error).message ?? err).slice(0, 160);
        await new Promise((resolve) => setTimeout(resolve, PAUSE_AFTER_FAILURE_MS));
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const leader = await ctx.cluster.leader();
  killAt = performance.now();
  stopAt = killAt + GIVE_UP_MS;
  await ctx.cluster.kill(leader);
  // Workers stuck in a call past stopAt are not awaited beyond the call deadline.
  await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, GIVE_UP_MS + 6_000))]);
  const afterKill = ops.filter((o) => o.done > killAt);
  const acks = ops
    .filter((o) => o.ok)
    .map((o) => o.done)
    .sort((a, b) => a - b);
  let longestGap = 0;
  for (let k = 1; k < acks.length; k++) longestGap = Math.max(longestGap, acks[k]! - acks[k - 1]!);
  const failed = afterKill.filter((o) => !o.ok && o.done > 0);
  const errors = [...new Set(failed.map((o) => o.error ?? ''))].slice(0, 3);
  // Bring the cluster back: the killed member restarts and catches up.
  ctx.cluster.restart(leader);
  const newLeader = await ctx.cluster.leader(30_000);
  const commit = (await ctx.cluster.commitIndex(newLeader)) ?? 0;
  await ctx.cluster.waitApplied(leader, commit, 60_000);
  return {
    windowMs: windowEnd === undefined ? Number.NaN : windowEnd - killAt,
    longestGapMs: windowEnd === undefined ? Number.NaN : longestGap,
    failed: failed.length,
    errors,
  };
}

/** Runs per client mode: 1 with --quick, else 3 (median reported). */
export function failoverRuns(quick: boolean): number {
  return quick ? 1 : 3;
}

export const failover: Workload = {
  name: 'failover',
  title: 'kill -9 of the leader under kv puts at concurrency 16: time to the first acknowledged write',
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const measured: Measured[] = [];
    const notes: string[] = [];
    const modes: (EtcdFaultHandling | undefined)[] =
      ctx.system === 'etcd' ? ['default', 'connection-only'] : [undefined];
    for (const mode of modes) {
      const runs: RunFigures[] = [];
      for (let i = 0; i < failoverRuns(ctx.quick); i++) {
        const client = await ctx.cluster.connect({
          concurrency: CONCURRENCY,
          ...(mode === undefined ? {} : { faultHandling: mode }),
        });
        try {
          const r = await oneRun(ctx, client);
          runs.push(r);
          ctx.log(
            `  ${ctx.system}${mode === undefined ? '' : ` (${mode})`} run ${i + 1}: window ${r.windowMs.toFixed(0)} ms, longest gap ${r.longestGapMs.toFixed(0)} ms, ${r.failed} failed`,
          );
          if (r.errors.length > 0)
            notes.push(
              `${ctx.system}${mode === undefined ? '' : ` (${mode})`} failover errors: ${r.errors.join(' | ')}`,
            );
          if (Number.isNaN(r.windowMs))
            notes.push(`${ctx.system} run ${i + 1}: no write succeeded within ${GIVE_UP_MS} ms`);
        } finally {
          await client.close();
        }
      }
      const suffix = mode === 'connection-only' ? '[etcd3 retries connection failures only]' : '';
      const variant = mode === 'connection-only' ? ', etcd3 connection-only retries' : '';
      const figure = (key: string, label: string, unit: string, values: number[]): Measured => ({
        key: `failover ${key}${suffix}`,
        label: `failover ${label}${variant}`,
        unit,
        value: median(values),
        better: 'lower',
      });
      measured.push(
        figure(
          'window',
          'window',
          'ms',
          runs.map((r) => r.windowMs),
        ),
        figure(
          'gap',
          'longest gap between acks',
          'ms',
          runs.map((r) => r.longestGapMs),
        ),
        figure(
          'failed ops',
          'failed ops',
          'ops',
          runs.map((r) => r.failed),
        ),
      );
    }
    return { measured, notes };
  },
};
