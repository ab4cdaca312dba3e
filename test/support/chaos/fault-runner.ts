/**
 * Carries out one scheduled fault against a running cluster: inject, hold
 * for its duration (a sleep here IS the fault), heal. While a fault that
 * takes the leader out is in force, a probe writes until a write is accepted
 * again: the client-visible failover time.
 */

import { waitUntilAsync } from '../wait-for.ts';
import type { ChaosCluster } from './chaos-cluster.ts';
import { BLOCK, delay } from './fault-proxy.ts';
import { bridgeHalves, describeFault, type Fault, type Target } from './fault-schedule.ts';
import { sleep } from './sleep.ts';

/** What happened when a fault ran. */
export interface FaultRecord {
  readonly description: string;
  /** The node it hit, resolved when it started (`leader` targets). */
  readonly hit: string | undefined;
  /** ms since the run started (one monotonic clock with the history). */
  readonly startedAt: number;
  healedAt: number;
  /** Injection to the first accepted write, when the fault took the leader out and a write got through before the heal. */
  failoverMs?: number;
  /** The fault took the leader out and no write got through before it healed. */
  outlasted?: boolean;
  readonly notes: string[];
  /** Broken promises seen while running it (a node that did not exit 0 on SIGTERM). */
  readonly violations: string[];
}

export interface FaultContext {
  readonly cluster: ChaosCluster;
  readonly electionMs: number;
  /** Writes until one is accepted; resolves with the ms it took, or undefined once `signal` aborts. */
  readonly probe: (signal: AbortSignal) => Promise<number | undefined>;
  /** `leader.transfer` through a client; resolves with a note (never rejects). */
  readonly transfer: (to: string | undefined) => Promise<string>;
  readonly now: () => number;
}

/** How long a probe may run past the heal of a fault that outlasts it. */
const PROBE_LIMIT_MS = 30_000;

/** How long a node restarted by a rolling restart may take to answer and catch up. */
export const REJOIN_TIMEOUT_MS = 30_000;

export async function runFault(fault: Fault, ctx: FaultContext): Promise<FaultRecord> {
  const leader = await findLeader(ctx);
  const record: FaultRecord = {
    description: describeFault(fault),
    hit: undefined,
    startedAt: ctx.now(),
    healedAt: 0,
    notes: leader === undefined ? ['no leader known when the fault started'] : [],
    violations: [],
  };
  if (fault.kind === 'rolling-restart') await rollingRestart(ctx, fault.hard, record);
  else if (fault.kind === 'transfer')
    record.notes.push(await ctx.transfer(fault.to === undefined ? undefined : ctx.cluster.ids[fault.to]));
  else await holdFault(ctx, record, inject(fault, ctx.cluster, leader), fault.ms, leader);
  if (record.healedAt === 0) record.healedAt = ctx.now();
  return record;
}

/** A fault in force: whom it hit, and how to undo it. */
interface Injected {
  readonly hit: string | undefined;
  readonly heal: () => void;
  /** The fault goes on after `heal()` (a killed node is back only once it has booted). */
  readonly outlastsHeal: boolean;
}

type TimedFault = Exclude<Fault, { kind: 'rolling-restart' } | { kind: 'transfer' }>;

/** Starts a timed fault now (a kill is completed by the time the hold begins). */
function inject(
  fault: TimedFault,
  cluster: ChaosCluster,
  leader: string | undefined,
): Injected | Promise<Injected> {
  const ids = cluster.ids;
  const resolve = (t: Target): string => (t.kind === 'leader' ? (leader ?? ids[0]!) : ids[t.index]!);
  const others = (id: string) => ids.filter((x) => x !== id);
  const healNetwork = () => cluster.network.heal();
  switch (fault.kind) {
    case 'kill': {
      const id = resolve(fault.target);
      return cluster.kill(id).then(() => ({ hit: id, heal: () => cluster.start(id), outlastsHeal: true }));
    }
    case 'pause': {
      const id = resolve(fault.target);
      cluster.pause(id);
      return { hit: id, heal: () => cluster.resume(id), outlastsHeal: false };
    }
    case 'partition': {
      const minority = fault.minority.map((i) => ids[i]!);
      cluster.network.partition([minority, ids.filter((id) => !minority.includes(id))], BLOCK);
      const hit = leader !== undefined && minority.includes(leader) ? leader : minority.join(',');
      return { hit, heal: healNetwork, outlastsHeal: false };
    }
    case 'isolate-leader': {
      const id = leader ?? ids[0]!;
      cluster.network.partition([[id], others(id)], BLOCK);
      return { hit: id, heal: healNetwork, outlastsHeal: false };
    }
    case 'bridge': {
      const [a, b] = bridgeHalves(ids.length, fault.bridge).map((half) => half.map((i) => ids[i]!));
      cluster.network.partition([a!, b!], BLOCK);
      return { hit: undefined, heal: healNetwork, outlastsHeal: false };
    }
    case 'one-way': {
      const id = resolve(fault.target);
      if (fault.direction === 'outbound') cluster.network.set([id], others(id), BLOCK);
      else cluster.network.set(others(id), [id], BLOCK);
      return { hit: id, heal: healNetwork, outlastsHeal: false };
    }
    case 'slow': {
      const from = fault.node === 'all' ? ids : [ids[fault.node]!];
      cluster.network.set(from, ids, delay(fault.delayMs));
      cluster.network.set(ids, from, delay(fault.delayMs));
      return { hit: undefined, heal: healNetwork, outlastsHeal: false };
    }
  }
}

/**
 * Holds an injected fault for `ms`, then heals it. A fault that took out the
 * leader (the only kind that stops writes) is timed by a probe from the
 * injection to the first accepted write; past the heal only if the fault
 * outlasts its heal.
 */
async function holdFault(
  ctx: FaultContext,
  record: FaultRecord,
  injecting: Injected | Promise<Injected>,
  ms: number,
  leader: string | undefined,
): Promise<void> {
  const { hit, heal, outlastsHeal } = await injecting;
  (record as { hit: string | undefined }).hit = hit;
  const measured = hit !== undefined && hit === leader;
  const stop = new AbortController();
  const probed = measured ? ctx.probe(stop.signal) : Promise.resolve(undefined);
  await sleep(ms);
  if (outlastsHeal) setTimeout(() => stop.abort(), PROBE_LIMIT_MS).unref();
  else stop.abort();
  heal();
  record.healedAt = ctx.now();
  const took = await probed;
  if (took !== undefined) record.failoverMs = took;
  else if (measured) record.outlasted = true;
}

/** Every node in turn, each back and caught up before the next. */
async function rollingRestart(ctx: FaultContext, hard: boolean, record: FaultRecord): Promise<void> {
  const { cluster } = ctx;
  // Start from a whole cluster: a node still booting from an earlier fault has no SIGTERM handler
  // yet, and would die by the signal rather than stop cleanly.
  await waitUntilAsync(
    'every node to answer before a rolling restart',
    async () =>
      (await Promise.all(cluster.ids.map((id) => cluster.status(id)))).every((s) => s !== undefined),
    REJOIN_TIMEOUT_MS,
  );
  for (const id of cluster.ids) await restartAndRejoin(ctx, id, hard, record);
}

/** The leader now, waiting up to two election timeouts for one to be known. */
async function findLeader(ctx: FaultContext): Promise<string | undefined> {
  let leader: string | undefined;
  await waitUntilAsync(
    'a leader',
    async () => {
      leader = await ctx.cluster.currentLeader();
      return leader !== undefined;
    },
    4 * ctx.electionMs,
  ).catch(() => undefined);
  return leader;
}

/** Stops one node, starts it again, and waits until it has a leader and has applied what the leader had committed. */
async function restartAndRejoin(ctx: FaultContext, id: string, hard: boolean, record: FaultRecord) {
  const { cluster } = ctx;
  if (hard) await cluster.kill(id);
  else {
    const exit = await cluster.stop(id);
    if (exit?.code !== 0) record.violations.push(`${id} exited ${JSON.stringify(exit)} on SIGTERM, not 0`);
  }
  // What the others had committed when it went down: it has caught up once it has applied that much.
  const target = Math.max(0, ...(await cluster.statuses()).map((s) => s.commitIndex));
  cluster.start(id);
  await waitUntilAsync(
    `${id} to rejoin and apply index ${target} after a restart`,
    async () => {
      const mine = await cluster.status(id);
      return mine !== undefined && mine.leaderId !== '' && mine.appliedIndex >= target;
    },
    REJOIN_TIMEOUT_MS,
  );
}
