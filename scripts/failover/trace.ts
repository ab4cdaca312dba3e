/**
 * Instrumentation: every attempt the SDK makes, from wrapping two methods of
 * its classes in this process only (the product code is untouched): the
 * pool's `connect` (a dial that fails is an attempt that never sent) and a
 * connection's `request` (one send and its outcome). The retry loop calls
 * exactly these once per attempt (invoker.ts `attempt`), so the trace is the
 * loop's own sequence of nodes and answers.
 */

import { performance } from 'node:perf_hooks';
import type { Outcome } from '../../src/client/call-outcome.ts';
import { Connection } from '../../src/client/connection.ts';
import { ConnectionPool, type Dialed } from '../../src/client/connection-pool.ts';

export interface AttemptEvent {
  /** performance.now() when the attempt began (the dial, or the send on an open connection). */
  readonly at: number;
  readonly end: number;
  readonly address: string;
  /** `dial failed: …`, `result`, `NOT_LEADER → host:port`, `lost (…)`, `timeout`, … */
  readonly outcome: string;
}

function describe(o: Outcome): string {
  switch (o.kind) {
    case 'result':
      return 'result';
    case 'error':
      return o.error.code === 'NOT_LEADER'
        ? `NOT_LEADER → ${o.error.leaderAddress ?? 'none'}`
        : `${o.error.code}${o.error.maybeApplied === true ? ' (maybe applied)' : ''}`;
    case 'lost':
      return `lost${o.sent ? ' after send' : ''} (${o.reason})`;
    case 'timeout':
      return 'attempt timeout';
    case 'closed':
      return 'client closed';
  }
}

let installed: AttemptEvent[] | undefined;

/** Wraps the two methods once per process; returns the (shared, growing) list of attempts. */
export function traceAttempts(): readonly AttemptEvent[] {
  if (installed !== undefined) return installed;
  const events: AttemptEvent[] = [];
  installed = events;

  const connect = ConnectionPool.prototype.connect;
  ConnectionPool.prototype.connect = async function (
    this: ConnectionPool,
    address,
    deadline,
  ): Promise<Dialed> {
    const at = performance.now();
    const dialed = await connect.call(this, address, deadline);
    if (dialed.conn === undefined) {
      events.push({ at, end: performance.now(), address, outcome: `dial failed (${dialed.reason})` });
    }
    return dialed;
  };

  const request = Connection.prototype.request;
  Connection.prototype.request = function (this: Connection, ...args: Parameters<Connection['request']>) {
    const at = performance.now();
    const sent = request.apply(this, args);
    void sent.outcome.then((o) => {
      events.push({ at, end: performance.now(), address: this.address, outcome: describe(o) });
    });
    return sent;
  };
  return events;
}
