/**
 * One attempt of a proxied request against one instance: open (or reuse) a
 * keep-alive connection from the agent's pool, send the head and — streamed,
 * never buffered — the body, and wait for the response head. The caller
 * decides what to do with the response or the failure (retry, answer).
 *
 * Failures are classified for the breaker, the outlier detector and the
 * retry rule: `connect-failure` when no response began (refused, reset,
 * unreachable — safe to retry for an idempotent request without a body),
 * `timeout` when the socket stayed idle past the deadline (not retried: the
 * instance may still be working on it), `cancelled` when the client left.
 */

import { Agent, type IncomingMessage, type OutgoingHttpHeaders, request } from 'node:http';
import type { Readable } from 'node:stream';
import type { Instance } from '../registry/types.ts';

export type AttemptResult =
  | { readonly kind: 'response'; readonly res: IncomingMessage }
  | {
      readonly kind: 'failed';
      readonly outcome: 'connect-failure' | 'timeout' | 'cancelled';
      readonly error: Error;
    };

export interface AttemptRequest {
  readonly instance: Instance;
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  /** The client's request body, piped through; absent for a request without one. */
  readonly body: Readable | undefined;
  readonly timeoutMs: number;
  /** The client went away: abort the attempt (and, after the response head, its body). */
  readonly signal: AbortSignal;
}

/**
 * The pool of upstream connections: one agent for every instance (node:http
 * pools per host:port inside it). Idle sockets close after 4 s, under the
 * 5 s keep-alive most servers use (Node's default among them), so the
 * gateway rarely reuses a socket the server is closing at that moment — and
 * when it does, the reset is a `connect-failure`, retried for idempotent
 * requests. The agent also honours a server's `Keep-Alive: timeout` hint.
 */
export function upstreamAgent(maxSocketsPerUpstream: number): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: maxSocketsPerUpstream,
    maxFreeSockets: Math.min(64, maxSocketsPerUpstream),
    scheduling: 'lifo',
    timeout: 4000,
  });
}

/** Sends one attempt; resolves when the response head arrives or the attempt failed. Never rejects. */
export function attempt(agent: Agent, a: AttemptRequest): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const up = request({
      host: a.instance.address,
      port: a.instance.port,
      method: a.method,
      path: a.path,
      headers: a.headers,
      agent,
      timeout: a.timeoutMs,
    });
    const onAbort = (): void => {
      up.destroy(new Error('client closed the request'));
    };
    const settle = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      if (r.kind === 'failed') a.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // Stays subscribed after the head: a client that leaves mid-response aborts the upstream too.
    a.signal.addEventListener('abort', onAbort, { once: true });
    up.on('response', (res) => {
      res.once('close', () => a.signal.removeEventListener('abort', onAbort));
      settle({ kind: 'response', res });
    });
    up.on('timeout', () => {
      timedOut = true;
      up.destroy(new Error(`no response from ${a.instance.id} within ${a.timeoutMs} ms`));
    });
    // Kept for the whole request: an error after the head surfaces on the response stream instead.
    up.on('error', (error) => {
      const outcome = a.signal.aborted ? 'cancelled' : timedOut ? 'timeout' : 'connect-failure';
      settle({ kind: 'failed', outcome, error });
    });
    if (a.signal.aborted) {
      onAbort();
      return;
    }
    if (a.body === undefined) {
      up.end();
      return;
    }
    // A body that breaks off (the client left mid-upload) aborts the attempt rather than sending half.
    a.body.once('error', (err) => up.destroy(err));
    a.body.pipe(up);
  });
}
