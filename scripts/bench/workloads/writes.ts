/**
 * Writes: kv puts of 256-byte values over 10,000 keys, and service
 * registrations (etcd: a put of the registration's JSON under
 * `services/<name>/<id>`) over 10,000 instances of 100 services, each at
 * concurrency 1, 16, 64 and 256, one client per cell (Flotilla: `maxWriteLanes`
 * raised to the concurrency; etcd3: one gRPC channel per member, calls
 * multiplexed).
 */

import { closedLoop, seededRandom } from '../load.ts';
import type { BenchClient, BenchRegistration } from '../system.ts';
import {
  ClusterMeter,
  errorNotes,
  loadFigures,
  type Measured,
  type RunContext,
  type Workload,
  type WorkloadResult,
} from '../workload.ts';

export const WRITE_CONCURRENCIES = [1, 16, 64, 256] as const;
export const KEYS = 10_000;
export const VALUE_BYTES = 256;
const SERVICES = 100;

/** A 256-byte value, distinct per operation (so no system can skip an unchanged write). */
export function value(n: number): string {
  const head = `v${n}:`;
  return head + 'x'.repeat(VALUE_BYTES - head.length);
}

/** The registration of instance `k` (of 10,000), carrying sequence `n`. */
export function registration(k: number, n: number): BenchRegistration {
  return {
    id: `inst-${k}`,
    name: `svc-${k % SERVICES}`,
    address: `10.0.${(k >> 8) & 255}.${k & 255}`,
    port: 8000 + (k % 1000),
    meta: { seq: String(n) },
  };
}

/** Warm-up and measured time per cell. */
export function cellTiming(quick: boolean): { warmupMs: number; durationMs: number } {
  return quick ? { warmupMs: 500, durationMs: 2_000 } : { warmupMs: 1_000, durationMs: 8_000 };
}

function writeWorkload(kind: 'kv' | 'register'): Workload {
  return {
    name: kind === 'kv' ? 'writes-kv' : 'writes-register',
    title:
      kind === 'kv'
        ? 'kv put, 256-byte values, 10,000 keys, concurrency 1/16/64/256'
        : 'service registration, 10,000 instances of 100 services, concurrency 1/16/64/256',
    async run(ctx: RunContext): Promise<WorkloadResult> {
      const measured: Measured[] = [];
      const notes: string[] = [];
      for (const concurrency of WRITE_CONCURRENCIES) {
        const leader = await ctx.cluster.leader();
        const client: BenchClient = await ctx.cluster.connect({ concurrency });
        const random = seededRandom(concurrency);
        const cpu = new ClusterMeter(ctx.cluster, leader);
        const prefix = `${kind} c=${concurrency}`;
        try {
          const op =
            kind === 'kv'
              ? (n: number) => client.put(`bench/k${Math.floor(random() * KEYS)}`, value(n))
              : (n: number) => client.register(registration(Math.floor(random() * KEYS), n));
          const r = await closedLoop(op, {
            concurrency,
            ...cellTiming(ctx.quick),
            onMeasureStart: () => cpu.start(),
          });
          measured.push(...loadFigures(prefix, r), ...(await cpu.figures(prefix, r.ops)));
          notes.push(...errorNotes(ctx.system, prefix, r));
          ctx.log(
            `  ${ctx.system} ${prefix}: ${Math.round(r.opsPerSecond)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors`,
          );
        } finally {
          await client.close();
        }
      }
      return { measured, notes };
    },
  };
}

export const writesKv: Workload = writeWorkload('kv');
export const writesRegister: Workload = writeWorkload('register');
