/**
 * Hands leadership over (op `leader.transfer`, and a leader asked to remove
 * itself from the cluster) and waits until this node sees the new leader.
 */

import type { QueryOps } from '../protocol/client-protocol.ts';
import { FlotillaError, invalidArgument } from '../registry/errors.ts';
import { withDeadline } from './deadline.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { notLeader } from './wire-errors.ts';

/**
 * Hands leadership to `to` (or the most caught-up other voter) and resolves
 * once this node sees the new leader, so a planned restart can follow at once.
 */
export async function transferLeadership(
  ctx: NodeContext,
  wanted: string | undefined,
): Promise<QueryOps['leader.transfer']['result']> {
  const status = ctx.raft.status();
  if (status.role !== 'leader') throw new RequestFailed(notLeader(status.leader, ctx.addressOf));
  const others = status.conf.voters.filter((v) => v !== ctx.id);
  let to: string;
  if (wanted !== undefined) {
    to = wanted;
    if (to === ctx.id) throw invalidArgument('to', `${to} is already the leader`);
    if (!others.includes(to))
      throw invalidArgument('to', `${to} is not a voting member (${others.join(', ')})`);
  } else {
    const best = others.sort(
      (a, b) => (status.progress[b]?.match ?? 0) - (status.progress[a]?.match ?? 0),
    )[0];
    if (best === undefined)
      throw new FlotillaError('CONFLICT', 'no other voting member to transfer leadership to');
    to = best;
  }
  const done = new Promise<number>((resolve) => {
    const onLeader = (leader: string, term: number): void => {
      if (leader !== to) return;
      ctx.raft.off('leaderChanged', onLeader);
      resolve(term);
    };
    ctx.raft.on('leaderChanged', onLeader);
    setTimeout(() => ctx.raft.off('leaderChanged', onLeader), ctx.requestTimeoutMs).unref();
  });
  ctx.raft.transferLeadership(to);
  const term = await withDeadline(
    done,
    ctx.requestTimeoutMs,
    () => new FlotillaError('TIMEOUT', `${to} did not take over within ${ctx.requestTimeoutMs} ms`),
  );
  return { from: ctx.id, to, term };
}
