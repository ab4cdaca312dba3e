/**
 * A large state: 100,000 instances (20,000 with --quick) of 100 services
 * registered at concurrency 64, then:
 *
 * - memory: VmRSS of each member (/proc/<pid>/status), largest and leader's;
 * - snapshot: size of the newest state-machine snapshot on the leader's disk
 *   (Flotilla: `snapshots/snap-*.snap`, taken every 10,000 entries; etcd: the
 *   bbolt `member/snap/db`, which is what etcd sends a follower as its
 *   snapshot), and each member's whole data dir;
 * - restart recovery: `kill -9` of a follower, start it again, time from the
 *   spawn until it has applied the leader's commit index (Flotilla: load the
 *   snapshot and the log since it; etcd: open bbolt and replay its WAL since
 *   its last raft snapshot, every 100,000 entries by default). The same on
 *   the empty cluster first: the cost of starting the process at all;
 * - Flotilla only, in this process: `Registry.snapshot()` and `restore()` of
 *   the same instances (the FSM's part of taking and installing a snapshot).
 *
 * With `FLOTILLA_BENCH_HEAP_DIR=<dir>` and `NODE_OPTIONS` holding
 * `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` (the node processes
 * inherit it), each Flotilla member also writes a V8 heap snapshot into
 * `<dir>` right after its RSS is read; `scripts/bench/heap-summary.ts`
 * breaks one down by retainer.
 */

import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { encodeCommand } from '../../../src/registry/command-codec.ts';
import { Registry } from '../../../src/registry/registry.ts';
import { processRssBytes } from '../stats.ts';
import type { BenchCluster, BenchRegistration } from '../system.ts';
import type { Measured, RunContext, Workload, WorkloadResult } from '../workload.ts';

const CONCURRENCY = 64;
const MB = 1024 * 1024;

function instance(k: number): BenchRegistration {
  return {
    id: `big-${k}`,
    name: `big-svc-${k % 100}`,
    address: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
    port: 8000 + (k % 1000),
    meta: { seq: String(k) },
  };
}

function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return Number.NaN;
  }
}

/** Kills a follower, starts it again, and times it until it has caught up. */
async function restartFollower(cluster: BenchCluster): Promise<number> {
  const leader = await cluster.leader();
  const follower = cluster.members.find((m) => m !== leader)!;
  await cluster.kill(follower);
  const commit = (await cluster.commitIndex(leader)) ?? 0;
  const spawnAt = performance.now();
  cluster.restart(follower);
  await cluster.waitApplied(follower, commit, 120_000);
  return performance.now() - spawnAt;
}

/**
 * Has every member write a heap snapshot (SIGUSR2, see the file comment) and
 * waits until each is complete: V8 writes it on the member's main thread, so
 * once the file exists, the member answers a status request only after the
 * write has finished.
 */
async function writeHeapSnapshots(cluster: BenchCluster, dir: string): Promise<string[]> {
  if (!/--heapsnapshot-signal=SIGUSR2\b/.test(process.env.NODE_OPTIONS ?? '')) {
    // SIGUSR2 would kill a node that does not handle it.
    throw new Error(
      'FLOTILLA_BENCH_HEAP_DIR needs NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR',
    );
  }
  const written: string[] = [];
  for (const member of cluster.members) {
    const pid = cluster.pid(member);
    if (pid === undefined) continue;
    // Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot
    const mine = async (): Promise<string[]> =>
      (await readdir(dir)).filter((n) => n.endsWith('.heapsnapshot') && n.split('.')[3] === String(pid));
    const before = new Set(await mine());
    process.kill(pid, 'SIGUSR2');
    let file: string | undefined;
    for (let waited = 0; file === undefined; waited += 50) {
      if (waited > 60_000) throw new Error(`${member} wrote no heap snapshot in 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      file = (await mine()).find((n) => !before.has(n));
    }
    // A status request times out (undefined) while the member is still writing.
    for (let tries = 0; (await cluster.commitIndex(member)) === undefined; tries++) {
      if (tries > 120) throw new Error(`${member} did not answer after its heap snapshot`);
    }
    written.push(`${member} (pid ${pid}): ${dir}/${file}`);
  }
  return written;
}

/** Flotilla's FSM alone: snapshot and restore times of `total` instances, in ms. */
function registrySnapshotTimes(total: number): { takeMs: number; restoreMs: number; bytes: number } {
  const registry = new Registry();
  for (let k = 0; k < total; k++) {
    registry.apply(encodeCommand({ op: 'service.register', args: instance(k), now: 1 }), k + 1);
  }
  const t0 = performance.now();
  const data = registry.snapshot();
  const t1 = performance.now();
  new Registry().restore(data);
  const t2 = performance.now();
  return { takeMs: t1 - t0, restoreMs: t2 - t1, bytes: data.byteLength };
}

export const state: Workload = {
  name: 'state',
  title: '100,000 instances: memory per node, snapshot size, restart recovery',
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const total = ctx.quick ? 20_000 : 100_000;
    const notes: string[] = [];
    const emptyRestartMs = await restartFollower(ctx.cluster);
    const client = await ctx.cluster.connect({ concurrency: CONCURRENCY });
    const t0 = performance.now();
    try {
      let next = 0;
      let failures = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let k = next++; k < total; k = next++) {
            // A failed registration is retried: the state must hold every instance.
            for (let attempt = 0; ; attempt++) {
              try {
                await client.register(instance(k));
                break;
              } catch (err) {
                failures++;
                if (attempt >= 5) throw err;
              }
            }
          }
        }),
      );
      if (failures > 0)
        notes.push(`${ctx.system} state: ${failures} registrations failed once and were retried`);
    } finally {
      await client.close();
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    ctx.log(`  ${ctx.system}: ${total} instances in ${loadSeconds.toFixed(1)} s`);
    // Let snapshots and compactions in flight settle.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const leader = await ctx.cluster.leader();
    const rss = ctx.cluster.members.map((m) => processRssBytes(ctx.cluster.pid(m) ?? -1) ?? Number.NaN);
    const leaderRss = processRssBytes(ctx.cluster.pid(leader) ?? -1) ?? Number.NaN;
    ctx.log(
      `  ${ctx.system}: RSS ${ctx.cluster.members.map((m, i) => `${m}${m === leader ? ' (leader)' : ''} ${((rss[i] ?? Number.NaN) / MB).toFixed(0)} MB`).join(', ')}`,
    );
    const heapDir = process.env.FLOTILLA_BENCH_HEAP_DIR;
    if (heapDir !== undefined && ctx.system === 'flotilla') {
      for (const line of await writeHeapSnapshots(ctx.cluster, heapDir)) ctx.log(`  heap snapshot ${line}`);
    }
    const snapshot = await ctx.cluster.snapshotFile(leader);
    const dataDirs = ctx.cluster.members.map((m) => duBytes(ctx.cluster.dataDir(m)));
    const recoveryMs = await restartFollower(ctx.cluster);
    ctx.log(
      `  ${ctx.system}: RSS max ${(Math.max(...rss) / MB).toFixed(0)} MB, snapshot ${((snapshot?.bytes ?? 0) / MB).toFixed(1)} MB, restart ${recoveryMs.toFixed(0)} ms (empty: ${emptyRestartMs.toFixed(0)} ms)`,
    );
    const n = total.toLocaleString('en-US');
    const measured: Measured[] = [
      {
        key: 'state load',
        label: `registering ${n} instances, c=64`,
        unit: 'ops/s',
        value: total / loadSeconds,
        better: 'higher',
      },
      {
        key: 'state rss max',
        label: `RSS, largest member, ${n} instances`,
        unit: 'MB',
        value: Math.max(...rss) / MB,
        better: 'lower',
      },
      {
        key: 'state rss leader',
        label: `RSS, leader, ${n} instances`,
        unit: 'MB',
        value: leaderRss / MB,
        better: 'lower',
      },
      {
        key: 'state snapshot',
        label: `snapshot size, ${n} instances`,
        unit: 'MB',
        value: (snapshot?.bytes ?? Number.NaN) / MB,
        better: 'lower',
      },
      {
        key: 'state data dir',
        label: `data dir per member, largest`,
        unit: 'MB',
        value: Math.max(...dataDirs) / MB,
        better: 'lower',
      },
      {
        key: 'state restart',
        label: `follower restart to caught up, ${n} instances`,
        unit: 'ms',
        value: recoveryMs,
        better: 'lower',
      },
      {
        key: 'state restart empty',
        label: 'follower restart to caught up, empty state',
        unit: 'ms',
        value: emptyRestartMs,
        better: 'lower',
      },
    ];
    if (ctx.system === 'flotilla') {
      const fsm = registrySnapshotTimes(total);
      measured.push(
        {
          key: 'state fsm take',
          label: `Registry.snapshot(), ${n} instances, in process`,
          unit: 'ms',
          value: fsm.takeMs,
          better: 'lower',
        },
        {
          key: 'state fsm restore',
          label: `Registry.restore(), ${n} instances, in process`,
          unit: 'ms',
          value: fsm.restoreMs,
          better: 'lower',
        },
      );
    }
    return { measured, notes };
  },
};
