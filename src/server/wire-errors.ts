/**
 * How a node turns what went wrong into a WireError. The rule that matters is
 * `maybeApplied`: true only when a write was proposed and the node cannot
 * tell whether it committed (leadership lost after proposing, the node
 * closing, a deadline passed). A refusal before proposing is always false,
 * so a client may retry it freely, and sessions make the maybe-case safe to
 * retry too.
 */

import { RaftError } from '../../raft/index.ts';
import type { WireError } from '../protocol/client-protocol.ts';
import { FlotillaError } from '../registry/errors.ts';

/** Resolves a node id to the `host:port` clients reach it at. */
export type AddressOf = (nodeId: string) => string | undefined;

/** NOT_LEADER naming the leader, when one is known. */
export function notLeader(leaderId: string, addressOf: AddressOf): WireError {
  const leaderAddress = leaderId === '' ? undefined : addressOf(leaderId);
  const message =
    leaderId === ''
      ? 'not the leader, and no leader is known yet'
      : `not the leader; the leader is ${leaderId}`;
  return {
    code: 'NOT_LEADER',
    message,
    ...(leaderId === '' ? {} : { leaderId }),
    ...(leaderAddress === undefined ? {} : { leaderAddress }),
  };
}

/**
 * Maps an error thrown while serving a request. `proposed`: a write reached
 * the Raft log (so its fate may be unknown).
 */
export function toWireError(error: unknown, addressOf: AddressOf, proposed: boolean): WireError {
  if (error instanceof FlotillaError) {
    const info = error.toInfo();
    return error.maybeApplied ? { ...info, maybeApplied: true } : info;
  }
  if (error instanceof RaftError) {
    switch (error.code) {
      case 'NOT_LEADER':
        // A proposal the core refused never entered the log; a read barrier changes nothing.
        return notLeader(error.leaderId ?? '', addressOf);
      case 'TRANSFER_IN_PROGRESS':
        return { code: 'UNAVAILABLE', message: 'leadership transfer in progress; retry shortly' };
      case 'PROPOSAL_DROPPED':
        return { code: 'UNAVAILABLE', message: `write not applied: ${error.message}; retry` };
      case 'UNKNOWN_OUTCOME':
        return {
          code: 'UNAVAILABLE',
          message: `write outcome unknown: ${error.message}`,
          maybeApplied: true,
        };
      case 'CLOSED':
        return {
          code: 'UNAVAILABLE',
          message: 'node is shutting down',
          ...(proposed ? { maybeApplied: true } : {}),
        };
      default:
        return { code: 'INTERNAL', message: error.message };
    }
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
