/**
 * The write path on a node: refuse at once when not the leader (naming the
 * leader), validate before proposing (bad input never reaches the log),
 * stamp the leader's clock, propose, and answer the registry's result once
 * the entry is applied here.
 */

import type { RequestFrame, WriteOp, WriteResult } from '../protocol/client-protocol.ts';
import { encodeCommand } from '../registry/command-codec.ts';
import type { Command } from '../registry/commands.ts';
import { FlotillaError } from '../registry/errors.ts';
import { withDeadline } from './deadline.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { notLeader, toWireError } from './wire-errors.ts';

export async function handleWrite(ctx: NodeContext, op: WriteOp, frame: RequestFrame): Promise<WriteResult> {
  const status = ctx.raft.status();
  if (status.role !== 'leader') throw new RequestFailed(notLeader(status.leader, ctx.addressOf));
  // encodeCommand validates the whole command (envelope, op and args) and throws INVALID_ARGUMENT naming the field.
  const command = {
    op,
    args: frame.args,
    now: Date.now(),
    ...(frame.clientId === undefined ? {} : { clientId: frame.clientId }),
    ...(frame.seq === undefined ? {} : { seq: frame.seq }),
  } as Command;
  const bytes = encodeCommand(command);
  const end = ctx.metrics.proposalStarted();
  let result: Awaited<ReturnType<typeof ctx.raft.propose>>;
  try {
    result = await withDeadline(
      ctx.raft.propose(bytes),
      ctx.requestTimeoutMs,
      () =>
        new FlotillaError('TIMEOUT', `write not applied within ${ctx.requestTimeoutMs} ms; it may still be`, {
          maybeApplied: true,
        }),
    );
  } catch (error) {
    end('failed');
    throw new RequestFailed(toWireError(error, ctx.addressOf, true));
  }
  end('committed');
  if (!result.ok) throw new RequestFailed(result.error);
  const { ok: _ok, ...rest } = result;
  return rest;
}
