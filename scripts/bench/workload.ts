/**
 * The contract between the runner (index.ts) and each workload: a workload
 * runs against one started cluster and returns named figures; the runner
 * pairs the figures of the two systems by key.
 */

import type { LoadResult } from './load.ts';
import { CpuMeter } from './stats.ts';
import type { BenchCluster, FsyncStats, StartOptions, SystemName } from './system.ts';

/** One measured figure. */
export interface Measured {
  /**
   * Pairs the figure across systems. An etcd-only variant is written
   * `key[variant]` and is compared with Flotilla's `key`.
   */
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly value: number;
  /** Which direction is better, for reading the ratio. */
  readonly better: 'higher' | 'lower';
  /** A resource figure (CPU of the generator or of a node): shown in the second table. */
  readonly resource?: boolean;
}

/** What a workload gets. */
export interface RunContext {
  readonly system: SystemName;
  readonly cluster: BenchCluster;
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** What a workload returns. */
export interface WorkloadResult {
  readonly measured: Measured[];
  /** Anything a reader of the table must know (errors seen, timeouts). */
  readonly notes: string[];
}

/** A named workload. */
export interface Workload {
  readonly name: string;
  /** One line: what it measures. */
  readonly title: string;
  /** What the workload needs of its clusters beyond the runner's options (the same for every system). */
  startOptions?(quick: boolean): Pick<StartOptions, 'snapshotEntries' | 'logLevel'>;
  run(ctx: RunContext): Promise<WorkloadResult>;
}

/** The figures of one closed-loop cell (`prefix` names it, e.g. `kv c=64`). */
export function loadFigures(prefix: string, r: LoadResult): Measured[] {
  return [
    {
      key: `${prefix} ops/s`,
      label: `${prefix} throughput`,
      unit: 'ops/s',
      value: r.opsPerSecond,
      better: 'higher',
    },
    { key: `${prefix} p50`, label: `${prefix} p50`, unit: 'ms', value: r.p50, better: 'lower' },
    { key: `${prefix} p99`, label: `${prefix} p99`, unit: 'ms', value: r.p99, better: 'lower' },
  ];
}

/**
 * Measures, over an interval: CPU of the generator and of the members (leader
 * named), and the leader's synced writes (count and mean duration, from its
 * /metrics), so a figure can be read against what bounded it.
 */
export class ClusterMeter {
  private meter: CpuMeter | undefined;
  private fsync0: Promise<FsyncStats | undefined> | undefined;
  private t0 = 0;

  constructor(
    private readonly cluster: BenchCluster,
    private readonly leader: string,
  ) {}

  start(): void {
    const pids = this.cluster.members.map((m) => this.cluster.pid(m)).filter((p) => p !== undefined);
    this.meter = new CpuMeter(pids);
    this.t0 = performance.now();
    this.fsync0 = this.cluster.fsyncStats(this.leader);
  }

  /** The CPU figures (% of one core) and the leader's fsyncs/s and mean fsync ms; `ops` completed ops, for ops per fsync. */
  async figures(prefix: string, ops?: number): Promise<Measured[]> {
    if (this.meter === undefined) return [];
    const { self, pids } = this.meter.read();
    const seconds = (performance.now() - this.t0) / 1000;
    const leaderPid = this.cluster.pid(this.leader);
    const leader = leaderPid === undefined ? undefined : pids.get(leaderPid);
    let followers = 0;
    for (const [pid, v] of pids) if (pid !== leaderPid) followers = Math.max(followers, v ?? 0);
    const figure = (what: string, unit: string, value: number): Measured => ({
      key: `${prefix} ${what}`,
      label: `${prefix} ${what}`,
      unit,
      value,
      better: 'lower',
      resource: true,
    });
    const out = [
      figure('CPU generator', '% core', self),
      figure('CPU leader', '% core', leader ?? Number.NaN),
      figure('CPU busiest follower', '% core', followers),
    ];
    const before = await this.fsync0;
    const after = await this.cluster.fsyncStats(this.leader);
    if (before !== undefined && after !== undefined && after.count > before.count) {
      const count = after.count - before.count;
      out.push(
        figure('leader fsyncs/s', '1/s', count / seconds),
        figure('leader mean fsync', 'ms', ((after.seconds - before.seconds) / count) * 1000),
      );
      if (ops !== undefined) out.push(figure('ops per leader fsync', 'ops', ops / count));
    }
    return out;
  }
}

/** Error notes of a load cell. */
export function errorNotes(system: SystemName, prefix: string, r: LoadResult): string[] {
  if (r.errors === 0) return [];
  return [`${system} ${prefix}: ${r.errors} failed ops (${r.errorSamples.join(' | ')})`];
}
