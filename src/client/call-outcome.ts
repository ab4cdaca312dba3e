/**
 * What one attempt of a call came to, as plain data (no exceptions between
 * layers), and how the retry loop reads it: retry or not, and whether a write
 * may have taken effect.
 */

import type { WireError } from '../protocol/client-protocol.ts';
import type { ErrorCode } from '../registry/errors.ts';

/**
 * One attempt's end. `sent` is true once the request frame was handed to an
 * open socket: from then on a write may reach the leader, whatever follows.
 */
export type Outcome =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: WireError }
  /** The connection failed or closed before an answer came. */
  | { readonly kind: 'lost'; readonly sent: boolean; readonly reason: string }
  /** The call's deadline passed before an answer came. */
  | { readonly kind: 'timeout'; readonly sent: boolean }
  /** The client is closing. */
  | { readonly kind: 'closed'; readonly sent: boolean };

/**
 * Server errors worth another attempt (elsewhere or later): the node is not
 * the leader, has none, is overloaded or going away. `CLOSED` from a node
 * means the node is shutting down, not this client.
 */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER',
  'UNAVAILABLE',
  'TIMEOUT',
  'CLOSED',
]);

/**
 * Server errors that are a deterministic property of the command itself: a
 * retry with the same `(session, seq)` would have answered the stored result
 * had an earlier attempt applied, so they prove nothing was applied.
 */
const DEFINITE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INVALID_ARGUMENT', 'NOT_FOUND', 'CONFLICT']);

/** True for node errors another attempt (elsewhere or later) may get past. */
export function isRetryable(error: WireError): boolean {
  return RETRYABLE.has(error.code);
}

/** True for node errors that prove the command was not applied. */
export function isDefinite(error: WireError): boolean {
  return DEFINITE.has(error.code);
}

/** True when this attempt leaves the write's fate unknown (it may have been applied). */
export function isAmbiguous(outcome: Outcome): boolean {
  switch (outcome.kind) {
    case 'result':
      return false;
    case 'error':
      return outcome.error.maybeApplied === true;
    default:
      return outcome.sent;
  }
}

/** A one-line account of a failed attempt, for the message of the error a call finally throws. */
export function describeOutcome(address: string, outcome: Outcome): string {
  switch (outcome.kind) {
    case 'result':
      return `${address}: ok`;
    case 'error':
      return `${address}: ${outcome.error.code} ${outcome.error.message}`;
    case 'lost':
      return `${address}: connection ${outcome.sent ? 'lost after sending' : 'failed'} (${outcome.reason})`;
    case 'timeout':
      return `${address}: no answer in time`;
    case 'closed':
      return `${address}: client closed`;
  }
}
