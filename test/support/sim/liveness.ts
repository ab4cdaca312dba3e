import type { NodeId } from '../../../raft/core/types.ts';
import type { SimCluster } from './sim-cluster.ts';
import type { SimNode } from './sim-node.ts';

/** How the liveness check went. */
export interface LivenessOutcome {
  readonly ok: boolean;
  /** Virtual time from the call until a fresh proposal was applied on a majority (undefined: never). */
  readonly committedAfter: number | undefined;
  /** Virtual time from the call until every live voter applied it (undefined: never). */
  readonly caughtUpAfter: number | undefined;
}

interface PendingProposal {
  readonly index: number;
  readonly term: number;
  /** The voters when it was proposed: a majority of them must apply it, then all of them. */
  readonly voters: readonly NodeId[];
}

/**
 * After every fault has healed: within `boundUnits` of virtual time there
 * must be exactly one leader among the voters, known as leader of its term
 * by a majority of them, and a fresh proposal made on it must be applied by
 * a majority of the voters (a proposal lost to a leader change is retried) —
 * else a `liveness` violation. Then, within twice the bound, every live voter
 * must apply it too — else a `catch-up` violation (a follower left behind).
 */
export function checkLiveness(cluster: SimCluster, boundUnits: number): LivenessOutcome {
  const start = cluster.now;
  const step = cluster.settings.tickUnits;
  const marker = Buffer.from(`liveness@${start}`, 'latin1');
  let pending: PendingProposal | undefined;
  let committedAfter: number | undefined;
  // The bound is a bound on *stalling*: while a majority's logs keep growing (a long uncommitted
  // backlog replicated one small message at a time is slow, not stuck), the clock restarts —
  // up to an absolute cap, so a livelock that grows logs forever is still caught.
  let lastProgress = start;
  let frontier = majorityFrontier(cluster);
  const cap = start + MAX_BOUND_FACTOR * boundUnits;
  // Catching up may take a few snapshot transfers on top: it gets the bound once more.
  const deadline = () =>
    Math.min(cap, lastProgress + (committedAfter === undefined ? boundUnits : 2 * boundUnits));
  let problem = 'no leader elected';
  const outcome = (ok: boolean, caughtUpAfter?: number) => ({ ok, committedAfter, caughtUpAfter });
  while (cluster.now < deadline()) {
    cluster.runUntil(Math.min(deadline(), cluster.now + step));
    if (!cluster.ok) return outcome(false);
    const reached = majorityFrontier(cluster);
    if (reached > frontier) {
      frontier = reached;
      lastProgress = cluster.now;
    }
    if (pending === undefined) {
      const leader = stableLeader(cluster);
      if (typeof leader === 'string') {
        problem = leader;
        continue;
      }
      const proposed = cluster.proposeOn(leader, marker);
      if (proposed === undefined || 'refused' in proposed) {
        problem = `leader ${leader.id} refused the proposal (${proposed === undefined ? 'down' : proposed.refused})`;
        continue;
      }
      pending = { ...proposed, voters: leader.core!.conf.voters };
      continue;
    }
    const state = proposalState(cluster, pending);
    if (state === 'lost') {
      pending = undefined;
      continue;
    }
    const index = pending.index;
    const laggards = pending.voters.filter((id) => {
      const node = cluster.node(id);
      return node?.retired !== true && (node?.fsm?.appliedIndex ?? 0) < index;
    });
    if (state === 'applied') committedAfter ??= cluster.now - start;
    if (state === 'applied' && laggards.length === 0) return outcome(true, cluster.now - start);
    problem =
      state === 'applied'
        ? `proposal ${pending.index}@${pending.term} applied on a majority but never on ${laggards.join(', ')}`
        : `proposal ${pending.index}@${pending.term} not applied on a majority`;
  }
  const kind = committedAfter === undefined ? 'liveness' : 'catch-up';
  cluster.checker.log.report(kind, '-', `${cluster.now - start} time units after healing: ${problem}`);
  return outcome(false);
}

/** How many bound lengths progress may stretch the check to, in all. */
const MAX_BOUND_FACTOR = 10;

/**
 * The highest index that a majority of the live voters' logs reach, plus
 * the highest applied index: it grows while replication makes progress.
 */
function majorityFrontier(cluster: SimCluster): number {
  const leader = cluster.leader();
  const voters = leader?.core?.conf.voters ?? [];
  const lengths = voters.map((id) => cluster.node(id)?.core?.lastIndex ?? 0).sort((a, b) => b - a);
  const majority = lengths[Math.floor(voters.length / 2)] ?? 0;
  const applied = Math.max(0, ...voters.map((id) => cluster.node(id)?.fsm?.appliedIndex ?? 0));
  return majority + applied;
}

/** The one leader among the voters, known by a majority of them; or why there is none. */
function stableLeader(cluster: SimCluster): SimNode | string {
  const leader = cluster.leader();
  if (leader === undefined) return 'no leader elected';
  const core = leader.core!;
  const voters = core.conf.voters;
  if (!voters.includes(leader.id)) return `leader ${leader.id} is not a voter of its own configuration`;
  let followers = 0;
  for (const id of voters) {
    const other = cluster.node(id)?.core;
    if (other === undefined) continue;
    if (id !== leader.id && other.role === 'leader')
      return `two leaders among the voters: ${leader.id}, ${id}`;
    if (other.term === core.term && (other.leader === leader.id || id === leader.id)) followers++;
  }
  if (followers <= voters.length / 2) {
    return `leader ${leader.id} (term ${core.term}) known by ${followers} of ${voters.length} voters`;
  }
  return leader;
}

/** Whether the liveness proposal was applied by a majority, can no longer be, or may still be. */
function proposalState(cluster: SimCluster, pending: PendingProposal): 'applied' | 'lost' | 'waiting' {
  const applied = cluster.checker.appliedAt(pending.index);
  if (applied !== undefined && applied.term !== pending.term) return 'lost';
  // (index, term) names one entry: the one the leader of that term proposed there.
  if (applied === undefined) return cluster.leader()?.core?.term === pending.term ? 'waiting' : 'lost';
  let count = 0;
  for (const id of pending.voters) {
    const fsm = cluster.node(id)?.fsm;
    if (fsm !== undefined && fsm.appliedIndex >= pending.index) count++;
  }
  return count > pending.voters.length / 2 ? 'applied' : 'waiting';
}
