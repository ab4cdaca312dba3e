import type { Message } from '../../../raft/core/types.ts';
import type { SimNetwork } from './sim-network.ts';
import type { ClientOutcome, SimNode } from './sim-node.ts';

/** One line per message, for traces: `append n1→n2 t3 prev=4@2 [5@3..7@3] commit=4`. */
export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}→${m.to} t${m.term}`;
  switch (m.type) {
    case 'vote':
    case 'pre-vote':
      return `${head} last=${m.lastLogIndex}@${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'vote-resp':
    case 'pre-vote-resp':
      return `${head} ${m.granted ? 'granted' : 'rejected'}`;
    case 'append': {
      const first = m.entries[0];
      const last = m.entries.at(-1);
      const span =
        first === undefined || last === undefined
          ? '[]'
          : `[${first.index}@${first.term}..${last.index}@${last.term}]`;
      return `${head} prev=${m.prevIndex}@${m.prevTerm} ${span} commit=${m.commit}`;
    }
    case 'append-resp':
      return m.success
        ? `${head} ok ${m.index}`
        : `${head} reject ${m.index} hint=${m.hintIndex}@${m.hintTerm}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.ctx === '' ? '' : ` ctx=${m.ctx}`}`;
    case 'heartbeat-resp':
      return m.ctx === '' ? head : `${head} ctx=${m.ctx}`;
    case 'snapshot':
      return `${head} ${m.meta.index}@${m.meta.term} bytes ${m.offset}+${m.data.length}/${m.size}${m.done ? ' done' : ''}`;
    case 'snapshot-resp':
      return `${head} ${m.index}@${m.snapTerm} offset=${m.offset}`;
    case 'timeout-now':
      return head;
    case 'read-index':
      return `${head} ctx=${m.ctx}`;
    case 'read-index-resp':
      return `${head} ctx=${m.ctx} index=${m.index}`;
  }
}

/** The network's conditions and counters, on one line. */
export function describeNetwork(net: SimNetwork): string {
  const c = net.conditions;
  return (
    `drop=${c.dropRate} dup=${c.dupRate} latency=${c.minLatency}..${c.maxLatency}${c.reorder ? ' reordering' : ''} ` +
    `blocked-links=${net.blockedLinks} ` +
    `in-flight=${net.inFlight} sent=${net.stats.sent} delivered=${net.stats.delivered}`
  );
}

/** A node's role, term, leader, indexes and configuration, on one line. */
export function describeNode(node: SimNode): string {
  const core = node.core;
  if (node.retired) return `${node.id} retired`;
  if (core === undefined)
    return `${node.id} down (durable commit ${node.storage.stable.loadSync()?.commit ?? 0})`;
  const conf = core.conf;
  return (
    `${node.id} ${core.role} term=${core.term} leader=${core.leader || '-'} commit=${core.commitIndex} ` +
    `applied=${core.appliedIndex} log=${core.snapshotMeta?.index ?? 0}..${core.lastIndex} ` +
    `voters=[${conf.voters.join(',')}] learners=[${conf.learners.join(',')}]` +
    (node.slowFactor > 1 ? ` slow×${node.slowFactor}` : '')
  );
}

/** A client call's outcome, for traces. */
export function describeOutcome(outcome: ClientOutcome | undefined): string {
  if (outcome === undefined) return 'node down or threw';
  return 'refused' in outcome ? `refused ${outcome.refused}` : `accepted at ${outcome.index}@${outcome.term}`;
}
