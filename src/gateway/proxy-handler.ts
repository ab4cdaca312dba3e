/**
 * The life of one proxied request:
 *
 *   route by longest prefix → admission (the service's concurrency limit and
 *   queue: 429 when the queue is full, 503 after `queueTimeoutMs`) → pick an
 *   instance (router) → attempt → maybe retry on another instance → stream
 *   the response back with `x-flotilla-instance` → release the slot.
 *
 * Retries: only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) without
 * a body — a streamed body cannot be replayed — after a connect failure or a
 * 5xx (502/503 only with `retry.on: 'gateway'`), on another instance when
 * there is one, at most `attempts` in all, with full-jitter backoff, and only
 * while the retry budget allows. Each attempt tells the router how it ended,
 * which feeds least-request, the breakers and outlier ejection, and the
 * traffic reporter (per-version counts for the deployments' error gate).
 */

import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
import { backoffDelay, pause } from '../client/backoff.ts';
import type { Outcome } from '../router/outcome.ts';
import type { ServiceRouter } from '../router/service-router.ts';
import { type AdmissionQueue, DEFAULT_QUEUE_TIMEOUT_MS } from './admission-queue.ts';
import type { ResolvedGatewayOptions } from './gateway-options.ts';
import { downstreamHeaders, hasBody, upstreamHeaders } from './http-headers.ts';
import type { RetryBudget } from './retry-budget.ts';
import { attempt } from './upstream.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** What a proxied request needs from the gateway. */
export interface ProxyContext {
  readonly options: Readonly<ResolvedGatewayOptions>;
  readonly agent: Agent;
  readonly budget: RetryBudget;
  /** Counts one attempt on an instance of `version` (null: unversioned), failed or not. */
  readonly record?: (service: string, version: string | null, error: boolean) => void;
}

/** Answers with a small JSON error of the gateway's own (not an upstream's). */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message, code });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Proxies `req` to `service` through its router, within its admission queue. Never rejects. */
export async function proxy(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  service: string,
  router: ServiceRouter,
  admission: AdmissionQueue,
): Promise<void> {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  // The gateway reconfigures the queue on every policy change; this read is for retry-after only.
  const policy = router.policy;
  const a = await admission.acquire(gone.signal);
  if (!a.admitted) {
    if (a.reason === 'aborted') return;
    const retryAfter = String(
      Math.max(1, Math.ceil((policy.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS) / 1000)),
    );
    if (a.reason === 'queue-full')
      sendError(res, 429, 'OVERLOADED', `${service} is at its concurrency limit and its queue is full`, {
        'retry-after': retryAfter,
      });
    else
      sendError(res, 503, 'QUEUE_TIMEOUT', `${service}: no slot freed within the queue timeout`, {
        'retry-after': retryAfter,
      });
    return;
  }
  try {
    await forward(ctx, req, res, service, router, gone.signal);
  } finally {
    a.permit.release();
  }
}

async function forward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  service: string,
  router: ServiceRouter,
  gone: AbortSignal,
): Promise<void> {
  const o = ctx.options;
  const method = req.method ?? 'GET';
  const withBody = hasBody(req.headers);
  const retryable = IDEMPOTENT.has(method) && !withBody;
  const headers = upstreamHeaders(req.headers, req.socket.remoteAddress);
  const path = req.url ?? '/';
  const routeRequest = { path, headers: req.headers };
  const tried = new Set<string>();
  ctx.budget.onRequest();
  for (let n = 1; ; n++) {
    const instance = router.pick(routeRequest, { exclude: tried });
    if (instance === undefined) {
      sendError(res, 503, 'NO_INSTANCE', `no eligible instance of ${service}`, { 'retry-after': '1' });
      return;
    }
    tried.add(instance.id);
    const flight = router.start(instance);
    const r = await attempt(ctx.agent, {
      instance,
      method,
      path,
      headers,
      body: withBody ? req : undefined,
      timeoutMs: o.upstreamTimeoutMs,
      signal: gone,
    });
    const mayRetry = (): boolean => retryable && n < o.attempts && !gone.aborted && ctx.budget.tryRetry();
    if (r.kind === 'failed') {
      flight.finish(r.outcome);
      if (r.outcome === 'cancelled') return;
      ctx.record?.(service, instance.version, true);
      if (r.outcome === 'connect-failure' && mayRetry()) {
        await backoff(ctx, n, gone);
        continue;
      }
      if (r.outcome === 'timeout') sendError(res, 504, 'UPSTREAM_TIMEOUT', r.error.message);
      else sendError(res, 502, 'UPSTREAM_UNREACHABLE', `${instance.id}: ${r.error.message}`);
      return;
    }
    const status = r.res.statusCode ?? 502;
    ctx.record?.(service, instance.version, status >= 500);
    const retryStatus = o.retryOn === '5xx' ? status >= 500 : status === 502 || status === 503;
    if (retryStatus && mayRetry()) {
      // Drain the refused answer so its socket goes back to the pool.
      r.res.resume();
      flight.finish('server-error');
      await backoff(ctx, n, gone);
      continue;
    }
    flight.finish(await relay(r.res, res, instance.id, gone));
    return;
  }
}

/**
 * Streams the upstream response to the client; answers how it ended. Plain
 * `pipe` with listeners rather than `stream.pipeline`: the latter allocates
 * and aborts an AbortController per call, which showed up at ~6 % of the
 * gateway's CPU in a profile of small requests.
 */
function relay(
  up: IncomingMessage,
  res: ServerResponse,
  instanceId: string,
  gone: AbortSignal,
): Promise<Outcome> {
  const status = up.statusCode ?? 502;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    // Either side broke off mid-body: the status is sent, so the client sees a truncated response;
    // the instance is to blame only if the client was still there.
    const broken = (): void => {
      up.destroy();
      res.destroy();
      settle(gone.aborted ? 'cancelled' : 'server-error');
    };
    res.once('finish', () => settle(status >= 500 ? 'server-error' : 'success'));
    res.once('close', () => {
      if (!res.writableFinished) broken();
    });
    up.once('error', broken);
    up.once('aborted', broken);
    try {
      res.writeHead(status, up.statusMessage, downstreamHeaders(up.headers, instanceId));
    } catch {
      broken();
      return;
    }
    up.pipe(res);
  });
}

function backoff(ctx: ProxyContext, attemptNo: number, gone: AbortSignal): Promise<void> {
  const ms = backoffDelay(
    attemptNo - 1,
    { baseMs: ctx.options.retryBaseMs, maxMs: ctx.options.retryMaxMs },
    ctx.options.random,
  );
  return pause(ms, gone);
}
