/**
 * The retry loop every call runs: pick a node, send, read the outcome, and
 * either return, throw, or try again (at once after a NOT_LEADER redirect,
 * else after a full-jitter backoff) until the call's deadline. It also keeps
 * the one fact a caller of a write needs when it fails: `maybeApplied`, true
 * only if some attempt was sent and came to no definite answer.
 */

import { FlotillaError } from '../registry/errors.ts';
import { backoffDelay, pause, type RandomSource } from './backoff.ts';
import { describeOutcome, isAmbiguous, isDefinite, isRetryable, type Outcome } from './call-outcome.ts';
import type { Session } from './connection.ts';
import type { ConnectionPool } from './connection-pool.ts';
import type { Deadline } from './deadline.ts';
import type { WriteLanes } from './write-lanes.ts';

/** NOT_LEADER redirects followed at once before the loop backs off (guards a stale A→B→A loop). */
const MAX_IMMEDIATE_REDIRECTS = 3;

/** One call, as the loop sees it. */
export interface CallPlan {
  readonly op: string;
  readonly args: unknown;
  /** `leader`: writes and leadership transfer; `read`: any node. */
  readonly routing: 'read' | 'leader';
  /** The call changes state, so its errors say whether it may have. */
  readonly mutating: boolean;
  /**
   * May be sent again after an attempt whose fate is unknown: reads, and
   * writes carrying a session (the registry applies a `(session, seq)` once).
   */
  readonly resendable: boolean;
  readonly session?: Session;
  readonly deadline: Deadline;
  /**
   * Longest wait on one node before trying again (resendable calls only): a
   * paused leader holds its socket open and answers nothing.
   */
  readonly attemptMs: number;
}

/** What the loop needs from the client. */
export interface InvokerDeps {
  readonly pool: ConnectionPool;
  readonly lanes: WriteLanes;
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly random: RandomSource;
  /** Aborted when the client closes: backoffs end and calls throw CLOSED. */
  readonly closing: AbortSignal;
}

/** Runs calls: routing, retries, backoff, deadlines, `maybeApplied`. */
export class Invoker {
  constructor(private readonly d: InvokerDeps) {}

  /** Runs `plan` to its end: the result, or a FlotillaError. */
  async call(plan: CallPlan): Promise<unknown> {
    const { pool } = this.d;
    const tried = new Set<string>();
    let ambiguous = false;
    let attempt = 0;
    let redirects = 0;
    let last = 'no attempt made';
    for (;;) {
      if (this.d.closing.aborted) throw closedError(plan.mutating && ambiguous);
      if (plan.deadline.expired) throw timeoutError(plan, plan.mutating && ambiguous, last);
      const address = plan.routing === 'leader' ? pool.pickLeader(tried) : pool.pickRead(tried);
      const outcome = await this.attempt(address, plan);
      if (outcome.kind === 'result') {
        // Only the leader accepts writes: the node that did is worth going back to.
        if (plan.routing === 'leader') pool.leader = address;
        return outcome.value;
      }
      ambiguous ||= isAmbiguous(outcome);
      last = describeOutcome(address, outcome);
      throwIfFinal(plan, outcome, plan.mutating && ambiguous, last);
      if (pool.leader === address) pool.leader = undefined;
      tried.add(address);
      if (pool.triedAll(tried)) tried.clear();
      const to = redirectOf(address, outcome);
      if (to !== undefined) {
        pool.leader = to;
        tried.delete(to);
        if (redirects++ < MAX_IMMEDIATE_REDIRECTS) continue;
      }
      redirects = 0;
      const wait = backoffDelay(attempt++, this.d.retry, this.d.random);
      // A backoff that outlasts the deadline ends the call there: no doomed send just before it.
      const left = plan.deadline.remaining();
      await pause(Math.min(wait, left), this.d.closing);
      if (wait >= left && !this.d.closing.aborted) throw timeoutError(plan, plan.mutating && ambiguous, last);
    }
  }

  /**
   * A write: takes a lane, stamps `(session, seq)`, runs the loop (whose
   * retries resend the same pair), and frees the lane once settled.
   */
  async write(op: string, args: unknown, deadline: Deadline, attemptMs: number): Promise<unknown> {
    const { lanes } = this.d;
    const lane = await lanes.acquire(deadline);
    try {
      const session = { clientId: lane.sessionId, seq: lanes.nextSeq(lane) };
      const plan: CallPlan = {
        op,
        args,
        routing: 'leader',
        mutating: true,
        resendable: true,
        session,
        deadline,
        attemptMs,
      };
      return await this.call(plan);
    } catch (err) {
      if (err instanceof FlotillaError && err.code === 'STALE_SEQUENCE') {
        lanes.noteStale(lane, Number(err.details.lastSeq));
      }
      throw err;
    } finally {
      // Safe even after an ambiguous give-up: the next write on this lane takes a higher seq.
      lanes.release(lane);
    }
  }

  /** One attempt at one address (no retry): for asking each node about itself. */
  async once(address: string, op: string, args: unknown, deadline: Deadline): Promise<Outcome> {
    const attemptMs = deadline.timeoutMs;
    return this.attempt(address, {
      op,
      args,
      routing: 'read',
      mutating: false,
      resendable: true,
      deadline,
      attemptMs,
    });
  }

  private async attempt(address: string, plan: CallPlan): Promise<Outcome> {
    // A call that must not be resent gets the whole deadline for its one send.
    const deadline = plan.resendable ? plan.deadline.within(plan.attemptMs) : plan.deadline;
    const dialed = await this.d.pool.connect(address, deadline);
    if (dialed.conn === undefined) {
      if (this.d.closing.aborted) return { kind: 'closed', sent: false };
      return { kind: 'lost', sent: false, reason: dialed.reason };
    }
    return dialed.conn.request(plan.op, plan.args, plan.session, deadline).outcome;
  }
}

/**
 * Throws when `outcome` ends the call: the client closed, the call's deadline
 * passed, the node answered an error no other attempt can change, or a call
 * that must not be resent has an unknown fate. Returns when a retry may help.
 */
function throwIfFinal(plan: CallPlan, outcome: Outcome, maybeApplied: boolean, last: string): void {
  if (outcome.kind === 'closed') throw closedError(maybeApplied);
  if (outcome.kind === 'timeout' && plan.deadline.expired) throw timeoutError(plan, maybeApplied, last);
  if (outcome.kind === 'error' && !isRetryable(outcome.error)) {
    // A definite answer to this (session, seq) settles every earlier attempt too (the registry dedupes).
    const settled = isDefinite(outcome.error);
    throw FlotillaError.fromInfo(outcome.error, { maybeApplied: maybeApplied && !settled });
  }
  if (maybeApplied && !plan.resendable) throw unsentAgain(plan, outcome, last);
}

/** Where a NOT_LEADER answer points, unless it points nowhere or back at the node that answered. */
function redirectOf(address: string, outcome: Outcome): string | undefined {
  if (outcome.kind !== 'error' || outcome.error.code !== 'NOT_LEADER') return undefined;
  const to = outcome.error.leaderAddress;
  return to === undefined || to === '' || to === address ? undefined : to;
}

function closedError(maybeApplied: boolean): FlotillaError {
  return new FlotillaError('CLOSED', 'client is closed', { maybeApplied });
}

function timeoutError(plan: CallPlan, maybeApplied: boolean, last: string): FlotillaError {
  return new FlotillaError(
    'TIMEOUT',
    `${plan.op}: no answer within ${plan.deadline.timeoutMs} ms (last: ${last})` +
      (maybeApplied ? '; it may have been applied' : ''),
    { details: { op: plan.op, timeoutMs: plan.deadline.timeoutMs }, maybeApplied },
  );
}

/** A call that must not be sent twice (no session to dedupe it) and whose first send has no answer. */
function unsentAgain(plan: CallPlan, outcome: Outcome, last: string): FlotillaError {
  if (outcome.kind === 'error') return FlotillaError.fromInfo(outcome.error, { maybeApplied: true });
  return new FlotillaError('UNAVAILABLE', `${plan.op}: ${last}; it may have taken effect`, {
    details: { op: plan.op },
    maybeApplied: true,
  });
}
