/**
 * Reads at concurrency 64 of random keys among 10,000 preloaded 256-byte
 * values: linearizable (Flotilla: ReadIndex on the answering node; etcd: the
 * default linearizable range) and stale (Flotilla: the node's local state;
 * etcd: a serializable range). One client; both SDKs spread reads over the
 * members their own way (Flotilla: any connected node; etcd3: a random
 * member per call).
 */

import { closedLoop, seededRandom } from '../load.ts';
import type { ReadMode } from '../system.ts';
import {
  ClusterMeter,
  errorNotes,
  loadFigures,
  type Measured,
  type RunContext,
  type Workload,
  type WorkloadResult,
} from '../workload.ts';
import { cellTiming, KEYS, value } from './writes.ts';

const READ_CONCURRENCY = 64;
const MODES: readonly ReadMode[] = ['linearizable', 'stale'];

export const reads: Workload = {
  name: 'reads',
  title: 'kv get at concurrency 64 over 10,000 keys: linearizable, and stale (etcd: serializable)',
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const measured: Measured[] = [];
    const notes: string[] = [];
    const client = await ctx.cluster.connect({ concurrency: READ_CONCURRENCY });
    try {
      // Preload every key once, 64 at a time.
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          for (let k = next++; k < KEYS; k = next++) await client.put(`bench/k${k}`, value(k));
        }),
      );
      for (const mode of MODES) {
        const leader = await ctx.cluster.leader();
        const random = seededRandom(7);
        const cpu = new ClusterMeter(ctx.cluster, leader);
        const prefix = `get ${mode}`;
        const r = await closedLoop(() => client.get(`bench/k${Math.floor(random() * KEYS)}`, mode), {
          concurrency: READ_CONCURRENCY,
          ...cellTiming(ctx.quick),
          onMeasureStart: () => cpu.start(),
        });
        measured.push(...loadFigures(prefix, r), ...(await cpu.figures(prefix)));
        notes.push(...errorNotes(ctx.system, prefix, r));
        ctx.log(
          `  ${ctx.system} ${prefix}: ${Math.round(r.opsPerSecond)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors`,
        );
      }
    } finally {
      await client.close();
    }
    return { measured, notes };
  },
};
