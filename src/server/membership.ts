/**
 * The membership operations of the client protocol: `member.list` (any
 * node), `member.add` and `member.remove` (the leader). A change is one
 * Raft configuration change (thesis §4.1, one server at a time); adding
 * first records the new member's addresses in the replicated address book,
 * so that every node, and any node restored from a later snapshot, can
 * dial it. New members join as learners, and the leader promotes them
 * once they have caught up (`add-learner` with `promote`).
 *
 * Refusals change nothing: a bad id or address is INVALID_ARGUMENT, an id
 * or address a member already has CONFLICT, an unknown id NOT_FOUND, and a
 * change while another one is uncommitted (or being handled here)
 * CONFLICT with `details.reason: 'change-pending'`.
 */

import { type ConfChange, type ConfState, RaftError } from '../../raft/index.ts';
import type { MemberInfo, MemberList, QueryOps } from '../protocol/client-protocol.ts';
import { encodeCommand } from '../registry/command-codec.ts';
import type { CommandBody } from '../registry/commands.ts';
import { FlotillaError } from '../registry/errors.ts';
import type { MemberAddress } from '../registry/types.ts';
import { nodeId, validateMemberAddress } from '../registry/validate-member.ts';
import { record } from '../registry/validate-primitives.ts';
import { withDeadline } from './deadline.ts';
import { transferLeadership } from './leader-transfer.ts';
import type { MemberBook } from './member-book.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { consistencyOf, readBarrier } from './read-path.ts';
import { notLeader, toWireError } from './wire-errors.ts';

type Result<K extends keyof QueryOps> = Promise<QueryOps[K]['result']>;

function membersOf(conf: ConfState): string[] {
  return [...conf.voters, ...conf.learners];
}

function pending(message: string): FlotillaError {
  return new FlotillaError('CONFLICT', `${message}; retry once it has committed`, {
    details: { reason: 'change-pending' },
  });
}

/** What a failed proposal answers; one that may still apply says so (`maybeApplied`). */
function changeFailed(ctx: NodeContext, error: unknown): Error {
  if (error instanceof RaftError && error.code === 'CONF_CHANGE_PENDING') return pending(error.message);
  // The checks ran against this same configuration: only a concurrent change gets here.
  if (error instanceof RaftError && error.code === 'INVALID_CONF_CHANGE')
    return new FlotillaError('CONFLICT', error.message);
  return new RequestFailed(toWireError(error, ctx.addressOf, true));
}

/** One per node: runs membership changes one at a time. */
export class Membership {
  /** The change this node is handling now, if any. */
  private changing: string | undefined;

  constructor(readonly book: MemberBook) {}

  /** `member.list`: the configuration this node knows (after a ReadIndex barrier unless stale). */
  async list(ctx: NodeContext, args: unknown): Result<'member.list'> {
    const r = record(args ?? {}, '', ['consistency']);
    await readBarrier(ctx, consistencyOf(r.consistency));
    return this.current(ctx);
  }

  /** `member.add`: records the addresses, then adds a learner the leader promotes once caught up. */
  async add(ctx: NodeContext, args: unknown): Result<'member.add'> {
    const wanted = validateMemberAddress(args);
    return this.exclusive(ctx, `adding ${wanted.id}`, async () => {
      const conf = ctx.raft.status().conf;
      const existing = membersOf(conf);
      if (existing.includes(wanted.id)) {
        const as = conf.voters.includes(wanted.id) ? 'voter' : 'learner';
        throw new FlotillaError('CONFLICT', `${wanted.id} is already a member (${as})`, {
          details: { field: 'id' },
        });
      }
      this.checkAddressesFree(wanted, existing);
      // The book first: the leader dials the learner as soon as the configuration change is in
      // its log. Founders known only from cluster files ride along, so a node whose file does
      // not list them learns them too.
      const members = [...this.book.fileOnly(existing), wanted];
      await this.proposeCommand(ctx, { op: 'member.put', args: { members } });
      await this.changeConf(ctx, { type: 'add-learner', node: wanted.id, promote: true });
      const list = this.current(ctx);
      return { ...list, added: list.members.find((m) => m.id === wanted.id) ?? this.info(wanted.id, false) };
    });
  }

  /**
   * `member.remove`. A leader asked to remove itself hands leadership to the
   * most caught-up voter first and answers NOT_LEADER naming it: the SDK
   * follows, and the new leader removes the old one as a follower. So the
   * cluster never waits out an election timeout for a leader that stepped
   * down on its own (which the core would do once its removal committed).
   */
  async remove(ctx: NodeContext, args: unknown): Result<'member.remove'> {
    const id = nodeId(record(args ?? {}, '', ['id']).id, 'id');
    return this.exclusive(ctx, `removing ${id}`, async () => {
      const conf = ctx.raft.status().conf;
      if (!membersOf(conf).includes(id)) {
        throw new FlotillaError('NOT_FOUND', `${id} is not a member (${membersOf(conf).join(', ')})`, {
          details: { field: 'id' },
        });
      }
      if (conf.voters.length === 1 && conf.voters[0] === id) {
        throw new FlotillaError('CONFLICT', `${id} is the only voter; the cluster cannot lose it`, {
          details: { field: 'id' },
        });
      }
      if (id === ctx.id) {
        const { to } = await transferLeadership(ctx, undefined);
        throw new RequestFailed(notLeader(to, ctx.addressOf));
      }
      await this.changeConf(ctx, { type: 'remove', node: id });
      return { ...this.current(ctx), removed: id };
    });
  }

  /**
   * Runs `change` on the leader, one at a time, after a ReadIndex barrier:
   * the leader has committed an entry of its term (before that the core
   * refuses changes) and the address book it checks against is current.
   */
  private async exclusive<T>(ctx: NodeContext, what: string, change: () => Promise<T>): Promise<T> {
    this.requireLeader(ctx);
    if (this.changing !== undefined)
      throw pending(`another membership change is in progress (${this.changing})`);
    this.changing = what;
    try {
      await readBarrier(ctx, 'linearizable');
      this.requireLeader(ctx);
      return await change();
    } finally {
      this.changing = undefined;
    }
  }

  private requireLeader(ctx: NodeContext): void {
    const status = ctx.raft.status();
    if (status.role !== 'leader') throw new RequestFailed(notLeader(status.leader, ctx.addressOf));
  }

  /** An address (client or peer) a member already uses would send its traffic to two nodes. */
  private checkAddressesFree(wanted: MemberAddress, existing: readonly string[]): void {
    const used = new Map<string, string>();
    for (const id of existing) {
      const m = this.book.get(id);
      if (m === undefined) continue;
      used.set(m.address, id);
      if (m.peerAddress !== undefined) used.set(m.peerAddress, id);
    }
    for (const field of ['address', 'peerAddress'] as const) {
      const value = wanted[field];
      const owner = value === undefined ? undefined : used.get(value);
      if (owner !== undefined) {
        throw new FlotillaError('CONFLICT', `${field}: ${value} is already ${owner}'s`, {
          details: { field },
        });
      }
    }
  }

  private async proposeCommand(ctx: NodeContext, body: CommandBody): Promise<void> {
    const bytes = encodeCommand({ ...body, now: Date.now() });
    const result = await this.proposed(ctx, ctx.raft.propose(bytes));
    if (!result.ok) throw new RequestFailed(result.error);
  }

  private async changeConf(ctx: NodeContext, change: ConfChange): Promise<void> {
    await this.proposed(ctx, ctx.raft.proposeConfChange(change));
  }

  /** Awaits a proposal within the request deadline; see {@link changeFailed}. */
  private async proposed<T>(ctx: NodeContext, work: Promise<T>): Promise<T> {
    const ms = ctx.requestTimeoutMs;
    const late = (): Error =>
      new FlotillaError('TIMEOUT', `change not applied within ${ms} ms; it may still be`, {
        maybeApplied: true,
      });
    try {
      return await withDeadline(work, ms, late);
    } catch (error) {
      throw changeFailed(ctx, error);
    }
  }

  private current(ctx: NodeContext): MemberList {
    const s = ctx.raft.status();
    const members = [
      ...s.conf.voters.map((id) => this.info(id, true)),
      ...s.conf.learners.map((id) => this.info(id, false)),
    ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { members, leaderId: s.leader };
  }

  private info(id: string, voter: boolean): MemberInfo {
    const m = this.book.get(id);
    return {
      id,
      address: m?.address ?? null,
      ...(m?.peerAddress === undefined ? {} : { peerAddress: m.peerAddress }),
      voter,
    };
  }
}
