import type { NodeId } from '../../../raft/core/types.ts';
import type { FaultEvent, NodeRef } from './schedule.ts';
import type { SimCluster } from './sim-cluster.ts';
import type { SimNode } from './sim-node.ts';

/** Voters a removal must leave behind. */
const MIN_VOTERS_AFTER_REMOVAL = 3;

/** Carries out one schedule event on the cluster at its current time. */
export function applyEvent(cluster: SimCluster, event: FaultEvent): void {
  const net = cluster.network;
  switch (event.kind) {
    case 'partition':
      net.heal();
      net.partition(groupsBySide(cluster.nodes(), event.sides, undefined));
      return;
    case 'block':
      link(cluster, event.from, event.to, (from, to) => net.block(from, to));
      return;
    case 'isolate': {
      const node = resolve(cluster, event.node);
      if (node === undefined) return;
      net.heal();
      net.isolate(
        node.id,
        cluster.nodes().map((n) => n.id),
      );
      return;
    }
    case 'bridge': {
      const bridge = resolve(cluster, event.node);
      const [left = [], right = []] = groupsBySide(
        cluster.nodes(),
        event.sides.map((s) => s % 2),
        bridge?.id,
      );
      net.heal();
      net.bridge(left, right);
      return;
    }
    case 'delay':
      link(cluster, event.from, event.to, (from, to) => net.delayLink(from, to, event.extra));
      return;
    case 'heal':
      net.heal();
      return;
    case 'network':
      net.setConditions({
        dropRate: event.dropPct / 100,
        dupRate: event.dupPct / 100,
        maxLatency: event.maxLatency,
        reorder: event.reorder,
      });
      return;
    default:
      applyNodeEvent(cluster, event);
  }
}

function applyNodeEvent(cluster: SimCluster, event: FaultEvent): void {
  switch (event.kind) {
    case 'crash':
      withNode(cluster, event.node, (n) => cluster.crash(n.id));
      return;
    case 'restart':
      withNode(cluster, event.node, (n) => cluster.restart(n.id));
      return;
    case 'slow':
      withNode(cluster, event.node, (n) => cluster.setSlow(n.id, event.factor));
      return;
    case 'propose':
      cluster.propose(event.count);
      return;
    case 'read':
      withNode(cluster, event.node, (n) => cluster.readIndex(n.id));
      return;
    case 'transfer':
      transfer(cluster, event.to);
      return;
    case 'add-node':
      cluster.addNode();
      return;
    case 'remove':
      remove(cluster, event.node);
      return;
    case 'depose':
      depose(cluster, event);
      return;
    default:
      return;
  }
}

/** The node a reference names right now: the current leader, or a slot of the node list (wrapping). */
export function resolve(cluster: SimCluster, ref: NodeRef): SimNode | undefined {
  if (ref === 'leader') return cluster.leader();
  const nodes = cluster.nodes();
  return nodes.length === 0 ? undefined : nodes[ref % nodes.length];
}

function withNode(cluster: SimCluster, ref: NodeRef, act: (node: SimNode) => void): void {
  const node = resolve(cluster, ref);
  if (node !== undefined) act(node);
}

function link(
  cluster: SimCluster,
  from: NodeRef,
  to: NodeRef,
  act: (from: NodeId, to: NodeId) => void,
): void {
  const a = resolve(cluster, from);
  const b = resolve(cluster, to);
  if (a !== undefined && b !== undefined && a.id !== b.id) act(a.id, b.id);
}

function groupsBySide(
  nodes: readonly SimNode[],
  sides: readonly number[],
  except: NodeId | undefined,
): NodeId[][] {
  const groups = new Map<number, NodeId[]>();
  for (const [k, node] of nodes.entries()) {
    if (node.id === except) continue;
    const side = sides[k % sides.length] ?? 0;
    groups.set(side, [...(groups.get(side) ?? []), node.id]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, ids]) => ids);
}

/** Removes a voter of the leader's configuration, as long as enough voters remain. */
function remove(cluster: SimCluster, ref: NodeRef): void {
  const leader = cluster.leader();
  const voters = leader?.core?.conf.voters ?? [];
  if (leader === undefined || voters.length <= MIN_VOTERS_AFTER_REMOVAL) return;
  const target = ref === 'leader' ? leader.id : voters[ref % voters.length];
  if (target !== undefined) cluster.changeConf({ type: 'remove', node: target });
}

/** Asks the leader to hand over to another voter of its configuration (`to` picks one, wrapping). */
function transfer(cluster: SimCluster, to: number): void {
  const leader = cluster.leader();
  const others = leader?.core?.conf.voters.filter((id) => id !== leader.id) ?? [];
  if (others.length === 0) return;
  cluster.transferLeadership(others[to % others.length]!);
}

/**
 * Gives each of the next `count` new leaders a proposal, then crashes or
 * isolates it `after` time units later, or the moment it first moves its
 * commit index (isolation also swallows what it had in flight).
 */
function depose(cluster: SimCluster, event: Extract<FaultEvent, { kind: 'depose' }>): void {
  let left = event.count;
  const doomed = new Map<SimNode, number>();
  const strike = (leader: SimNode, term: number) => {
    doomed.delete(leader);
    if (leader.core?.role !== 'leader' || leader.core.term !== term) return;
    if (event.how === 'crash') {
      cluster.crash(leader.id);
      return;
    }
    cluster.network.heal();
    cluster.network.isolate(
      leader.id,
      cluster.nodes().map((n) => n.id),
    );
  };
  cluster.onLeader = (leader) => {
    if (left-- <= 0) return;
    const term = leader.core!.term;
    // An eager client: the new leader gets an entry it may not live to replicate.
    cluster.propose(1, leader);
    if (event.onCommit) doomed.set(leader, term);
    else cluster.at(cluster.now + event.after, () => strike(leader, term));
  };
  cluster.onLeaderCommit = (leader) => {
    const term = doomed.get(leader);
    if (term !== undefined) strike(leader, term);
  };
}
