import { applyEvent } from './apply-event.ts';
import { checkLiveness, type LivenessOutcome } from './liveness.ts';
import {
  describeEvent,
  describeSchedule,
  LIVENESS_ELECTION_TIMEOUTS,
  type Schedule,
  TICK_UNITS,
} from './schedule.ts';
import { type ClusterStats, SimCluster } from './sim-cluster.ts';
import type { CoreFactory } from './sim-core.ts';
import { CALM_NETWORK } from './sim-network.ts';
import { formatViolation, type Violation } from './violations.ts';

/** What one schedule's run found. */
export interface ScheduleResult {
  readonly violations: readonly Violation[];
  /** All violations, including those beyond the ones kept in full. */
  readonly violationCount: number;
  /** Undefined when a safety violation ended the run before the liveness phase. */
  readonly liveness: LivenessOutcome | undefined;
  readonly stats: ClusterStats & { readonly messages: number; readonly endTime: number };
  /** The cluster when the run ended, one line per node. */
  readonly finalState: string;
}

/**
 * Runs one schedule to the end: the fault phase (events at their ticks, a
 * steady trickle of proposals), then everything heals — links, rates, slow
 * nodes, crashed nodes restart from storage — and liveness is checked. Stops
 * at the first safety violation; every step in between is checked.
 */
export function runSchedule(
  schedule: Schedule,
  factory: CoreFactory,
  trace?: (line: string) => void,
): ScheduleResult {
  const cluster = new SimCluster(
    {
      seed: schedule.seed,
      nodes: schedule.nodes,
      raft: { ...schedule.raft, heartbeatTicks: 1 },
      snapshotThreshold: schedule.snapshotThreshold,
      snapshotPadding: schedule.snapshotPadding,
      persistDelay: schedule.persistDelay,
      tickUnits: TICK_UNITS,
      network: { ...CALM_NETWORK, reorder: schedule.reorder },
      retireRemoved: !(schedule.raft.preVote && schedule.raft.checkQuorum),
      ...(trace === undefined ? {} : { trace }),
    },
    factory,
  );
  runFaultPhase(cluster, schedule);
  let liveness: LivenessOutcome | undefined;
  if (cluster.ok) {
    cluster.trace('heal everything, restart every node, check liveness');
    healEverything(cluster);
    liveness = checkLiveness(cluster, LIVENESS_ELECTION_TIMEOUTS * schedule.raft.electionTicks * TICK_UNITS);
  }
  const { log } = cluster.checker;
  return {
    violations: log.list,
    violationCount: log.count,
    liveness,
    stats: { ...cluster.stats, messages: cluster.network.stats.sent, endTime: cluster.now },
    finalState: cluster.describe(),
  };
}

function runFaultPhase(cluster: SimCluster, schedule: Schedule): void {
  let next = 0;
  for (let tick = 0; tick < schedule.duration && cluster.ok; tick++) {
    cluster.runUntil(tick * TICK_UNITS);
    for (; next < schedule.events.length && schedule.events[next]!.at <= tick && cluster.ok; next++) {
      const event = schedule.events[next]!;
      cluster.trace(`event: ${describeEvent(event, cluster.nodes().length)}`);
      applyEvent(cluster, event);
    }
    if (schedule.workEvery > 0 && tick % schedule.workEvery === 0 && cluster.ok) cluster.propose(1);
    if (schedule.readEvery > 0 && tick % schedule.readEvery === 0 && cluster.ok) {
      const nodes = cluster.nodes();
      cluster.readIndex(nodes[(tick / schedule.readEvery) % nodes.length]!.id);
    }
  }
  if (cluster.ok) cluster.runUntil(schedule.duration * TICK_UNITS);
}

function healEverything(cluster: SimCluster): void {
  cluster.onLeader = undefined;
  cluster.onLeaderCommit = undefined;
  cluster.cancelActions();
  cluster.network.heal();
  cluster.network.setConditions(CALM_NETWORK);
  cluster.clearSlow();
  for (const node of cluster.nodes()) cluster.restart(node.id);
}

/** The failure report: violations, then the schedule, then the cluster's state at the end. */
export function formatResult(schedule: Schedule, result: ScheduleResult): string {
  const more = result.violationCount - result.violations.length;
  return [
    `${result.violationCount} violation(s):`,
    ...result.violations.map((v) => `  ${formatViolation(v)}`),
    ...(more > 0 ? [`  … and ${more} more`] : []),
    describeSchedule(schedule),
    `final state: ${result.finalState}`,
  ].join('\n');
}
