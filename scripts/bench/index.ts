/**
 * Flotilla against etcd on the same machine, with the same load generator
 * (issue #6).
 *
 *   npm run bench -- [--system flotilla|etcd|both] [--workload NAME[,NAME…]]
 *                    [--quick] [--runs N] [--json] [--profile DIR]
 *   npm run bench -- --gateway [--quick] [--json]
 *
 * Workloads: writes-kv, writes-register, reads, failover, watch, state,
 * recovery, snapshot (all by default; `writes` = both write workloads).
 * Each workload runs on a fresh 3-member cluster of each system in turn
 * (real processes on loopback, heartbeat 100 ms, election 1000 ms, fsync per
 * commit batch, and whatever snapshot threshold the workload asks of both
 * systems: `Workload.startOptions`), alternating
 * which system goes first, and with `--runs N` the whole set N times; the
 * table shows the median per figure and flotilla/etcd. This process is the
 * load generator: the members are child processes, and its own CPU use is
 * reported beside each figure. `--quick` shortens every workload (a few
 * minutes for the set). `--profile DIR` instead runs Flotilla's nodes under
 * `node --cpu-prof` with kv writes at concurrency 64 and summarises the
 * leader's profile (the files stay in DIR). `--gateway` instead measures the
 * Flotilla gateway (issue #7): requests/s and latency of GETs straight to one
 * backend, through the gateway (its own process) and through nginx from
 * Debian's package, in the same run (gateway-bench.ts).
 *
 * Every process started is killed and every temp dir removed at the end, on
 * error, and on Ctrl-C.
 */

import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { EtcdCluster } from './etcd-system.ts';
import { FlotillaCluster } from './flotilla-system.ts';
import {
  GATEWAY_CONCURRENCY,
  GATEWAY_PATH,
  killGatewayProcessesSync,
  runGatewayBench,
  stopGatewayProcesses,
} from './gateway-bench.ts';
import { closedLoop, seededRandom } from './load.ts';
import { findProfile, summarizeProfile } from './profile.ts';
import { buildRows, type RunRecord, renderTable } from './report.ts';
import type { BenchCluster, StartOptions, SystemName } from './system.ts';
import type { Workload } from './workload.ts';
import { failover } from './workloads/failover.ts';
import { reads } from './workloads/reads.ts';
import { recovery } from './workloads/recovery.ts';
import { snapshot } from './workloads/snapshot.ts';
import { state } from './workloads/state.ts';
import { watch } from './workloads/watch.ts';
import { KEYS, value, writesKv, writesRegister } from './workloads/writes.ts';

const WORKLOADS: readonly Workload[] = [
  writesKv,
  writesRegister,
  reads,
  failover,
  watch,
  state,
  recovery,
  snapshot,
];

interface Options {
  readonly systems: SystemName[];
  readonly workloads: Workload[];
  readonly quick: boolean;
  readonly runs: number;
  readonly json: boolean;
  readonly profile: string | undefined;
  readonly gateway: boolean;
  readonly start: StartOptions;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      system: { type: 'string', default: 'both' },
      workload: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      profile: { type: 'string' },
      gateway: { type: 'boolean', default: false },
      'heartbeat-ms': { type: 'string', default: '100' },
      'election-ms': { type: 'string', default: '1000' },
    },
  });
  const system = values.system;
  const systems: SystemName[] =
    system === 'both' ? ['flotilla', 'etcd'] : system === 'flotilla' || system === 'etcd' ? [system] : [];
  if (systems.length === 0) fail(`--system must be flotilla, etcd or both, not ${system}`);
  const names = (values.workload ?? WORKLOADS.map((w) => w.name).join(','))
    .split(',')
    .flatMap((n) => (n === 'writes' ? ['writes-kv', 'writes-register'] : [n.trim()]));
  const workloads = names.map(
    (n) =>
      WORKLOADS.find((w) => w.name === n) ??
      fail(`unknown workload ${n} (one of: ${WORKLOADS.map((w) => w.name).join(', ')}, writes)`),
  );
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a positive integer');
  const heartbeatMs = Number(values['heartbeat-ms']);
  const electionMs = Number(values['election-ms']);
  return {
    systems,
    workloads,
    quick: values.quick,
    runs,
    json: values.json,
    profile: values.profile,
    gateway: values.gateway,
    start: { heartbeatMs, electionMs },
  };
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Every cluster alive, so a signal or an error can stop them all. */
const live = new Set<BenchCluster>();

async function startCluster(system: SystemName, start: StartOptions): Promise<BenchCluster> {
  const cluster =
    system === 'flotilla' ? await FlotillaCluster.start(start) : await EtcdCluster.start(start, log);
  live.add(cluster);
  return cluster;
}

async function stopCluster(cluster: BenchCluster): Promise<void> {
  live.delete(cluster);
  await cluster.close();
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([stopGatewayProcesses(), ...[...live].map((c) => stopCluster(c))]);
}

/** Last resort on exit: SIGKILL every member still known and remove the temp dirs, synchronously. */
function killAllSync(): void {
  killGatewayProcessesSync();
  for (const c of live) {
    for (const m of c.members) {
      const pid = c.pid(m);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(c.tempDir, { recursive: true, force: true });
  }
}

function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}

async function runAll(o: Options): Promise<{ records: RunRecord[]; versions: Record<string, string> }> {
  const records: RunRecord[] = [];
  const versions: Record<string, string> = {};
  let slot = 0;
  for (let run = 1; run <= o.runs; run++) {
    for (const workload of o.workloads) {
      // Alternate which system goes first, so neither always runs on a warmer (or busier) machine.
      const order = slot++ % 2 === 0 ? o.systems : [...o.systems].reverse();
      for (const system of order) {
        log(`[run ${run}/${o.runs}] ${workload.name} on ${system}: ${workload.title}`);
        const cluster = await startCluster(system, { ...o.start, ...workload.startOptions?.(o.quick) });
        versions[system] = cluster.version;
        try {
          const result = await workload.run({ system, cluster, quick: o.quick, log });
          records.push({ workload: workload.name, system, run, ...result });
          for (const note of result.notes) log(`  note: ${note}`);
        } finally {
          await stopCluster(cluster);
        }
      }
    }
  }
  return { records, versions };
}

async function runProfile(o: Options, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const cluster = await FlotillaCluster.start({ ...o.start, cpuProfileDir: dir });
  live.add(cluster);
  try {
    const leader = await cluster.leader();
    const pid = cluster.pid(leader)!;
    const client = await cluster.connect({ concurrency: 64 });
    const random = seededRandom(64);
    const r = await closedLoop((n) => client.put(`bench/k${Math.floor(random() * KEYS)}`, value(n)), {
      concurrency: 64,
      warmupMs: 1_000,
      durationMs: o.quick ? 4_000 : 10_000,
    });
    await client.close();
    log(
      `profiled kv c=64: ${Math.round(r.opsPerSecond)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
    );
    await cluster.stopGracefully();
    const file = await findProfile(dir, pid);
    if (file === undefined) throw new Error(`no profile of the leader (pid ${pid}) in ${dir}`);
    process.stdout.write(`Leader ${leader} (pid ${pid}) under kv writes at concurrency 64.\n\n`);
    process.stdout.write(`${await summarizeProfile(file)}\n`);
  } finally {
    await stopCluster(cluster);
  }
}

async function runGateway(o: Options): Promise<void> {
  const started = performance.now();
  const r = await runGatewayBench({
    quick: o.quick,
    log,
    startCluster: async () => {
      const cluster = await FlotillaCluster.start(o.start);
      live.add(cluster);
      return cluster;
    },
    stopCluster: (cluster) => stopCluster(cluster),
  });
  const minutes = (performance.now() - started) / 60_000;
  const m = machine();
  if (o.json) {
    const { table: _table, cpuTable: _cpuTable, ...rest } = r;
    process.stdout.write(`${JSON.stringify({ machine: m, quick: o.quick, minutes, ...rest }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}.`,
      `Flotilla ${r.versions.flotilla} gateway (own process, 3-node cluster), nginx ${r.versions.nginx} (1 worker). ` +
        `GET ${GATEWAY_PATH} at concurrency ${GATEWAY_CONCURRENCY}, keep-alive, ` +
        `${r.warmupMs / 1000} s warm-up + ${r.durationMs / 1000} s measured per target` +
        `${o.quick ? ' (quick mode)' : ''}; ${minutes.toFixed(1)} min.`,
      '',
      r.table,
      '',
      'CPU during each measured interval (% of one core; the generator is this process):',
      '',
      r.cpuTable,
      '',
      ...r.notes.map((n) => `note: ${n}`),
    ].join('\n'),
  );
  process.stdout.write('\n');
}

async function main(): Promise<void> {
  const o = parseOptions();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`bench: ${signal}, stopping every cluster`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAllSync);
  try {
    if (o.gateway) {
      await runGateway(o);
      return;
    }
    if (o.profile !== undefined) {
      await runProfile(o, o.profile);
      return;
    }
    const started = performance.now();
    const { records, versions } = await runAll(o);
    const rows = buildRows(records);
    const minutes = (performance.now() - started) / 60_000;
    if (o.json) {
      const out = { machine: machine(), versions, quick: o.quick, runs: o.runs, minutes, rows, records };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const m = machine();
    process.stdout.write(
      [
        `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}.`,
        `Systems: ${Object.entries(versions)
          .map(([s, v]) => `${s} ${v}`)
          .join(
            ', ',
          )}. ${o.quick ? 'Quick mode. ' : ''}${o.runs} run(s)${o.runs > 1 ? ', median per figure' : ''}; ${minutes.toFixed(1)} min.`,
        '',
        renderTable(rows, o.systems, false),
        '',
        ...(rows.some((r) => r.resource)
          ? [
              'CPU during each measured interval (% of one core; the generator is this process):',
              '',
              renderTable(rows, o.systems, true),
              '',
            ]
          : []),
        ...records.flatMap((r) => r.notes.map((n) => `note: ${n}`)),
      ].join('\n'),
    );
    process.stdout.write('\n');
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
