/**
 * Header rules of a proxy (RFC 9110 §7.6.1): hop-by-hop headers describe one
 * connection and are never forwarded — the fixed list plus any header the
 * `Connection` header names. The upstream request also learns who asked,
 * through `x-forwarded-for` (appended), `x-forwarded-proto` and
 * `x-forwarded-host` (set by this gateway, which terminates plain HTTP).
 */

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Response header naming the instance that served the request. */
export const INSTANCE_HEADER = 'x-flotilla-instance';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** `headers` without hop-by-hop ones (and without `extra` names). */
function endToEnd(headers: IncomingHttpHeaders, extra: readonly string[] = []): OutgoingHttpHeaders {
  const drop = new Set([...HOP_BY_HOP, ...extra]);
  const named = headers.connection;
  if (named !== undefined) for (const n of named.split(',')) drop.add(n.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !drop.has(name)) out[name] = value;
  return out;
}

/**
 * The headers sent upstream. `expect` is dropped too: node:http already
 * answered `100 Continue` to the client, and the body follows regardless.
 */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
): OutgoingHttpHeaders {
  const out = endToEnd(headers, ['expect']);
  const prior = headers['x-forwarded-for'];
  const client = remoteAddress ?? 'unknown';
  out['x-forwarded-for'] = prior === undefined || prior === '' ? client : `${prior}, ${client}`;
  out['x-forwarded-proto'] = 'http';
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  return out;
}

/** The headers sent back to the client: the upstream's end-to-end ones plus the serving instance. */
export function downstreamHeaders(headers: IncomingHttpHeaders, instanceId: string): OutgoingHttpHeaders {
  const out = endToEnd(headers);
  out[INSTANCE_HEADER] = instanceId;
  return out;
}

/** Whether the request carries a body (RFC 9112 §6.3: a length above 0, or any transfer coding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && Number(length) > 0;
}
