/**
 * `client.cluster`: the cluster's members and its leadership. Membership
 * changes go to the leader, one at a time; a new member joins as a learner
 * and the leader promotes it to voter once it has caught up.
 */

import type { MemberInfo, MemberList, QueryOps } from '../protocol/client-protocol.ts';
import type { ClusterStatus } from './cluster-status.ts';
import { type CallOptions, defined, type Requester } from './requester.ts';
import type { ReadOptions } from './services-api.ts';

/** A node to add: its id, where clients reach it, and where peers dial it when that differs. */
export interface NewMember {
  readonly id: string;
  readonly address: string;
  readonly peerAddress?: string;
}

/** `client.cluster`. */
export class ClusterApi {
  constructor(
    private readonly c: Requester,
    private readonly askAll: () => Promise<ClusterStatus>,
  ) {}

  /** Every node's view, merged (see cluster-status.ts). Unreachable nodes are listed, not thrown. */
  status(): Promise<ClusterStatus> {
    return this.askAll();
  }

  /** The voters and learners of the configuration, with their addresses (any node; linearizable by default). */
  members(options: ReadOptions = {}): Promise<MemberList> {
    const { consistency, ...call } = options;
    return this.c.request('member.list', defined({ consistency }), call);
  }

  /**
   * Adds a node as a learner; resolves once that is committed. Start the
   * node with `--join` (before or after): the leader sends it the snapshot
   * and the log, and promotes it to voter once it has caught up. CONFLICT
   * when the id or an address is taken, or another change is in progress.
   * Not resent after an unknown outcome (it carries no session): such a
   * failure has `maybeApplied: true`; check with `members()`.
   */
  async addMember(member: NewMember, options?: CallOptions): Promise<MemberInfo> {
    return (await this.c.request('member.add', defined({ ...member }), options)).added;
  }

  /**
   * Removes a voter or learner (NOT_FOUND when it is neither); resolves with
   * the configuration once the removal is committed. Removing the leader
   * hands leadership to another voter first. Stop the removed node afterwards.
   */
  async removeMember(id: string, options?: CallOptions): Promise<MemberList> {
    const { removed: _removed, ...list } = await this.c.request('member.remove', { id }, options);
    return list;
  }

  /** Hands leadership to `to` (default: the most caught-up voter). Not retried once sent: it is no write. */
  transferLeader(to?: string, options?: CallOptions): Promise<QueryOps['leader.transfer']['result']> {
    return this.c.request('leader.transfer', defined({ to }), options);
  }
}
