/**
 * Reads on any node. `linearizable` (the default) first takes a ReadIndex
 * barrier: the leader confirms it still leads with a heartbeat round, and
 * this node waits until it has applied up to the leader's commit index at
 * that moment (Raft §6.4; a follower forwards the request). Only then is the
 * local registry read, so a follower answers exactly what the leader would.
 * `stale` reads the local registry at once and reports its revision.
 */

import { RaftError } from '../../raft/index.ts';
import type { Consistency } from '../protocol/client-protocol.ts';
import { FlotillaError } from '../registry/errors.ts';
import { oneOf } from '../registry/validate-primitives.ts';
import { withDeadline } from './deadline.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { toWireError } from './wire-errors.ts';

const CONSISTENCIES: readonly Consistency[] = ['linearizable', 'stale'];

export function consistencyOf(value: unknown): Consistency {
  return value === undefined ? 'linearizable' : oneOf(value, 'consistency', CONSISTENCIES);
}

export async function readBarrier(ctx: NodeContext, consistency: Consistency): Promise<void> {
  if (consistency === 'stale') return;
  try {
    await withDeadline(
      ctx.raft.readIndex(),
      ctx.requestTimeoutMs,
      () => new FlotillaError('TIMEOUT', `linearizable read not confirmed within ${ctx.requestTimeoutMs} ms`),
    );
  } catch (error) {
    if (error instanceof RaftError && error.code === 'NOT_LEADER') {
      // No leader confirmed this read (none known, or it changed meanwhile): another try will find one.
      throw new RequestFailed({
        code: 'UNAVAILABLE',
        message: 'no leader confirmed the linearizable read; retry, or read with consistency "stale"',
      });
    }
    throw new RequestFailed(toWireError(error, ctx.addressOf, false));
  }
}
