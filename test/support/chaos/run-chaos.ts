/**
 * One chaos run, start to end: a fresh cluster of real processes, the
 * clients and a watcher running, the schedule's faults one after another,
 * every fault healed, then the checks — recovery within two election
 * timeouts, linearizability per key, the watcher's view, no lost or phantom
 * write, the same state on every node. Anything that goes wrong (a check, or
 * the cluster not coming back) is a violation, and a run with violations
 * keeps its directory: node logs, data, history and the replay command.
 */

import { waitUntil, waitUntilAsync } from '../wait-for.ts';
import { ChaosClients, clientTimings } from './chaos-clients.ts';
import { ChaosCluster, type ChaosClusterOptions } from './chaos-cluster.ts';
import { saveArtifacts } from './chaos-report.ts';
import { type FaultRecord, runFault } from './fault-runner.ts';
import type { Schedule } from './fault-schedule.ts';
import { checkLedger, compareContents, readContents, waitForConvergence } from './final-state.ts';
import { checkLinearizability, finalReads } from './history-checks.ts';
import { sleep } from './sleep.ts';
import { ackedChanges, checkWatch, type RegistryContents } from './watch-check.ts';
import { WatchLog } from './watch-log.ts';
import { DEFAULT_WORKLOAD, Workload, type WorkloadShape } from './workload.ts';

export interface ChaosRunOptions {
  readonly schedule: Schedule;
  readonly cluster: Omit<ChaosClusterOptions, 'nodes'>;
  readonly workload?: WorkloadShape;
  /** Printed and saved with a failure: the command that replays this run. */
  readonly replay: string;
  /** Progress lines (faults as they start); silent by default. */
  readonly log?: (line: string) => void;
  /** Where run directories go (default: the OS temp dir). */
  readonly parentDir?: string;
}

export interface ChaosRunResult {
  readonly violations: string[];
  readonly faults: FaultRecord[];
  /** Ops recorded: kv, registry, ledger. */
  readonly ops: { readonly kv: number; readonly registry: number; readonly ledger: number };
  /** Final heal to the first accepted write. */
  readonly recoveryMs: number | undefined;
  readonly recoveryBoundMs: number;
  /** Checker search steps: a measure of how hard the histories were. */
  readonly lincheckSteps: number;
  /** Set when the run failed: the directory kept. */
  readonly keptDir: string | undefined;
}

/**
 * "Within two election timeouts": a follower's timeout is drawn from
 * [electionMs, 2 × electionMs), so two of the longest is 4 × electionMs.
 */
export const recoveryBound = (electionMs: number): number => 4 * electionMs;

/** Everything one run holds while it goes, and what it has found so far. */
interface Run {
  readonly o: ChaosRunOptions;
  readonly cluster: ChaosCluster;
  readonly shape: WorkloadShape;
  readonly now: () => number;
  readonly violations: string[];
  readonly faults: FaultRecord[];
  clients?: ChaosClients;
  workload?: Workload;
  watch?: WatchLog;
  recoveryMs?: number | undefined;
  steps: number;
  contents: RegistryContents[];
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosRunResult> {
  const t0 = performance.now();
  const run: Run = {
    o,
    cluster: await ChaosCluster.create({ ...o.cluster, nodes: o.schedule.nodes }, o.parentDir),
    shape: o.workload ?? DEFAULT_WORKLOAD,
    now: () => performance.now() - t0,
    violations: [],
    faults: [],
    steps: 0,
    contents: [],
  };
  const { cluster, violations } = run;
  try {
    const live = await startLoad(run);
    await injectFaults(run, live);
    await healAndRecover(run, live);
    await checkEnd(run, live);
  } catch (error) {
    violations.push(error instanceof Error ? error.message : String(error));
  } finally {
    await run.workload?.stop();
    await run.watch?.stop();
    await run.clients?.close();
  }
  violations.push(...cluster.crashes());
  const failed = violations.length > 0;
  if (failed) {
    await saveArtifacts(cluster.dir, {
      replay: o.replay,
      schedule: o.schedule,
      violations,
      faults: run.faults,
      workload: run.workload,
      watchEvents: run.watch?.events ?? [],
      contents: Object.fromEntries(run.contents.map((c, i) => [cluster.ids[i]!, c])),
    });
  }
  await cluster.close(failed);
  const w = run.workload;
  return {
    violations,
    faults: run.faults,
    ops: {
      kv: w?.kv.history().length ?? 0,
      registry: w?.services.history().length ?? 0,
      ledger: (w?.ledger.kv.length ?? 0) + (w?.ledger.instances.length ?? 0),
    },
    recoveryMs: run.recoveryMs,
    recoveryBoundMs: recoveryBound(o.cluster.electionMs),
    lincheckSteps: run.steps,
    keptDir: failed ? cluster.dir : undefined,
  };
}

/** The parts that exist once the load runs. */
interface Live {
  readonly clients: ChaosClients;
  readonly workload: Workload;
  readonly watch: WatchLog;
}

/** Starts the nodes, waits for a leader, connects the clients, starts the watcher and the workers. */
async function startLoad(run: Run): Promise<Live> {
  const { cluster, shape, o } = run;
  cluster.startAll();
  await waitUntilAsync('a first leader', async () => (await cluster.currentLeader()) !== undefined, 60_000);
  const clients = await ChaosClients.connect(
    cluster.endpoints,
    shape.workers,
    clientTimings(o.cluster.electionMs),
  );
  run.clients = clients;
  const watch = new WatchLog(clients.watcher, 0);
  run.watch = watch;
  const workload = new Workload(clients, shape, o.schedule.workloadSeed, run.now);
  run.workload = workload;
  workload.start();
  // Load before the first fault, so it hits a cluster that is busy.
  await sleep(o.cluster.electionMs);
  return { clients, workload, watch };
}

/** The schedule's faults, one after another, each healed before the next. */
async function injectFaults(run: Run, { clients, workload }: Live): Promise<void> {
  const { schedule, log = () => {} } = run.o;
  const ctx = {
    cluster: run.cluster,
    electionMs: run.o.cluster.electionMs,
    now: run.now,
    probe: (signal: AbortSignal) => workload.probe(signal),
    transfer: async (to: string | undefined) => {
      try {
        const r = await clients.admin.cluster.transferLeader(to);
        return `leadership moved ${r.from} → ${r.to} (term ${r.term})`;
      } catch (error) {
        return `transfer refused: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  };
  for (const [i, { fault, gapMs }] of schedule.faults.entries()) {
    await sleep(gapMs);
    const record = await runFault(fault, ctx);
    run.faults.push(record);
    run.violations.push(...record.violations);
    const hit = record.hit === undefined ? '' : ` (hit ${record.hit})`;
    log(`  fault ${i + 1}/${schedule.faults.length}: ${record.description}${hit}`);
  }
}

/** Undoes whatever is left, then times the first accepted write against the bound. */
async function healAndRecover(run: Run, { workload }: Live): Promise<void> {
  run.cluster.healAll();
  run.recoveryMs = await workload.probe(AbortSignal.timeout(30_000));
  const bound = recoveryBound(run.o.cluster.electionMs);
  if (run.recoveryMs === undefined)
    run.violations.push('liveness: no write accepted within 30 s of the last heal');
  else if (run.recoveryMs > bound)
    run.violations.push(
      `liveness: the first write after the last heal took ${Math.round(run.recoveryMs)} ms (bound ${bound} ms)`,
    );
  // Load on the healed cluster too, then quiet.
  await sleep(run.o.cluster.electionMs);
  await workload.stop();
}

/** The end-of-run checks: same state everywhere, no lost or phantom write, the watch, linearizability. */
async function checkEnd(run: Run, { clients, workload, watch }: Live): Promise<void> {
  const { cluster, violations } = run;
  await finalReads(workload, clients, run.shape, 20_000);
  const statuses = await waitForConvergence(cluster, 20_000);
  run.contents = await readAllContents(clients, cluster);
  violations.push(...compareContents(cluster.ids, run.contents));
  const applied = new Set(statuses.map((s) => `${s.appliedIndex}/${s.revision}`));
  if (applied.size !== 1) violations.push(`state: applied index/revision differ: ${[...applied].join(' ')}`);
  const final = run.contents[0]!;
  violations.push(...checkLedger(workload.ledger, final));
  // Late is judged by checkWatch (it names the revision the watch stopped at), so a timeout is no error here.
  await waitUntil(
    'the watcher to reach the final revision',
    () => watch.lastRevision >= final.revision,
    10_000,
  ).catch(() => undefined);
  await watch.stop();
  if (watch.endedEarly !== undefined) violations.push(`watch: ended early: ${watch.endedEarly}`);
  const acked = ackedChanges(workload.kv.history(), workload.services.history(), workload.ledger);
  violations.push(...checkWatch(watch.events, watch.fromRevision, acked, final));
  const lin = checkLinearizability(workload, 60_000);
  run.steps = lin.steps;
  violations.push(...lin.violations, ...lin.unknown.map((u) => `linearizability: no verdict: ${u}`));
}

/**
 * Each node's contents, read from that node. A read that straddles a late
 * apply (revisions differ within one node's answers) is read again after the
 * nodes converge once more.
 */
async function readAllContents(c: ChaosClients, cluster: ChaosCluster): Promise<RegistryContents[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await Promise.all(c.readers.map((r) => readContents(r)));
    } catch (error) {
      if (attempt === 3) throw error;
      await waitForConvergence(cluster, 20_000);
    }
  }
}
