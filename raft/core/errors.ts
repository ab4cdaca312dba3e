import type { NodeId } from './types.ts';

/** Stable codes for everything the Raft layer refuses. Callers branch on `code`, never on the message. */
export type RaftErrorCode =
  /** This node is not the leader; `leaderId` names the one it knows of ('' when none). */
  | 'NOT_LEADER'
  /** A leadership transfer is under way; proposals are refused until it ends (§3.10). */
  | 'TRANSFER_IN_PROGRESS'
  /** Too many uncommitted entries, or the entry lost to a leader change: it was not applied; retry. */
  | 'PROPOSAL_DROPPED'
  /** A configuration change is already in the log but not yet committed. */
  | 'CONF_CHANGE_PENDING'
  /** The configuration change makes no sense for the current membership. */
  | 'INVALID_CONF_CHANGE'
  /** A caller broke the contract (bad options, a snapshot index beyond what was applied, …). */
  | 'INVALID_ARGUMENT'
  /** The node was closed before the operation finished. */
  | 'CLOSED'
  /** The proposal may or may not have been applied (the node jumped past it by installing a snapshot). */
  | 'UNKNOWN_OUTCOME';

export interface RaftErrorOptions {
  readonly leaderId?: NodeId;
  readonly cause?: unknown;
}

/** The one error type the Raft layer throws. */
export class RaftError extends Error {
  override readonly name = 'RaftError';
  /** The leader this node knows of, set with NOT_LEADER ('' when it knows none). */
  readonly leaderId: NodeId | undefined;

  constructor(
    readonly code: RaftErrorCode,
    message: string,
    options: RaftErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.leaderId = options.leaderId;
  }
}
