/**
 * Watch fan-out: 1,000 watchers of one service, spread over 8 clients (125
 * each: Flotilla allows 256 watches per connection; etcd3 multiplexes a
 * client's watchers on one gRPC stream), and one writer client that changes
 * the service's instances 1,000 times (100 with --quick), one change every
 * 20 ms (re-registering one of 10 instances with a new `seq`).
 *
 * Delivery latency is measured from the *send* of the write (the call) to the
 * moment a watcher's callback sees it, in this same process (one clock); the
 * p99 from the write's *acknowledgement* is given too (it can be below zero
 * when an event overtakes the write's answer). Before the measured changes, a
 * marker change must reach every watcher, so every watch is live.
 */

import { Samples } from '../stats.ts';
import type { BenchClient, BenchRegistration } from '../system.ts';
import {
  ClusterMeter,
  type Measured,
  type RunContext,
  type Workload,
  type WorkloadResult,
} from '../workload.ts';

const WATCHERS = 1_000;
const CLIENTS = 8;
const INTERVAL_MS = 20;
const SERVICE = 'watched';
const WAIT_AFTER_LAST_MS = 10_000;

function change(seq: number): BenchRegistration {
  return {
    id: `w-${seq % 10}`,
    name: SERVICE,
    address: '10.1.0.1',
    port: 9000 + (seq % 10),
    meta: { seq: String(seq) },
  };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

export const watch: Workload = {
  name: 'watch',
  title: '1,000 watchers of one service, 1,000 changes every 20 ms: delivery latency',
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const changes = ctx.quick ? 100 : 1_000;
    const notes: string[] = [];
    const sent = new Float64Array(changes + 1);
    const acked = new Float64Array(changes + 1);
    const fromSend = new Samples();
    const fromAck = new Samples();
    const pendingAck: number[] = [];
    let markers = 0;
    let delivered = 0;
    const onChange = (seq: number): void => {
      if (seq === 0) {
        markers++;
        return;
      }
      if (!(seq >= 1 && seq <= changes)) return;
      const now = performance.now();
      delivered++;
      fromSend.add(now - sent[seq]!);
      if (acked[seq]! > 0) fromAck.add(now - acked[seq]!);
      else pendingAck.push(seq, now);
    };
    const clients: BenchClient[] = [];
    const writer = await ctx.cluster.connect({ concurrency: 1 });
    try {
      for (let i = 0; i < CLIENTS; i++) clients.push(await ctx.cluster.connect({ concurrency: 1 }));
      const t0 = performance.now();
      for (let w = 0; w < WATCHERS; w++) await clients[w % CLIENTS]!.watchService(SERVICE, onChange);
      ctx.log(`  ${ctx.system}: ${WATCHERS} watchers open in ${(performance.now() - t0).toFixed(0)} ms`);
      await writer.register(change(0));
      if (!(await until(() => markers >= WATCHERS, 30_000))) {
        notes.push(`${ctx.system} watch: only ${markers} of ${WATCHERS} watchers saw the marker`);
      }
      const cpu = new ClusterMeter(ctx.cluster, await ctx.cluster.leader());
      cpu.start();
      const start = performance.now();
      for (let seq = 1; seq <= changes; seq++) {
        const due = start + (seq - 1) * INTERVAL_MS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        sent[seq] = performance.now();
        await writer.register(change(seq));
        acked[seq] = performance.now();
      }
      await until(() => delivered >= changes * WATCHERS, WAIT_AFTER_LAST_MS);
      for (let k = 0; k < pendingAck.length; k += 2) fromAck.add(pendingAck[k + 1]! - acked[pendingAck[k]!]!);
      const expected = changes * WATCHERS;
      if (delivered < expected)
        notes.push(`${ctx.system} watch: ${delivered} of ${expected} events delivered`);
      const s = fromSend.summary();
      const a = fromAck.summary();
      ctx.log(
        `  ${ctx.system}: delivery from send p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ${delivered}/${expected}`,
      );
      const measured: Measured[] = [
        {
          key: 'watch delivery p50',
          label: 'watch delivery p50 (from send)',
          unit: 'ms',
          value: s.p50,
          better: 'lower',
        },
        {
          key: 'watch delivery p99',
          label: 'watch delivery p99 (from send)',
          unit: 'ms',
          value: s.p99,
          better: 'lower',
        },
        {
          key: 'watch delivery max',
          label: 'watch delivery max (from send)',
          unit: 'ms',
          value: s.max,
          better: 'lower',
        },
        {
          key: 'watch delivery p99 ack',
          label: 'watch delivery p99 (from ack)',
          unit: 'ms',
          value: a.p99,
          better: 'lower',
        },
        {
          key: 'watch delivered',
          label: 'watch events delivered',
          unit: '%',
          value: (100 * delivered) / expected,
          better: 'higher',
        },
        ...(await cpu.figures('watch')),
      ];
      return { measured, notes };
    } finally {
      await Promise.all([writer, ...clients].map((c) => c.close()));
    }
  },
};
