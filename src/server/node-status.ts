/** A node's own view of itself and its cluster: `node.status` and `GET /v1/status`. */

import type { NodeStatus } from '../protocol/client-protocol.ts';
import type { NodeContext } from './node-context.ts';

export function nodeStatus(ctx: NodeContext): NodeStatus {
  const s = ctx.raft.status();
  const members = [
    ...s.conf.voters.map((id) => ({ id, address: ctx.addressOf(id) ?? null, voter: true })),
    ...s.conf.learners.map((id) => ({ id, address: ctx.addressOf(id) ?? null, voter: false })),
  ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    nodeId: ctx.id,
    address: ctx.addressOf(ctx.id) ?? '',
    role: s.role,
    term: s.term,
    leaderId: s.leader,
    leaderAddress: s.leader === '' ? null : (ctx.addressOf(s.leader) ?? null),
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    revision: ctx.registry.revision,
    members,
  };
}
