/**
 * What the router knows of a request: enough to hash it (path, headers,
 * query, cookies) and nothing that ties the router to node:http. A gateway
 * passes its IncomingMessage's `url` and `headers`; an SDK user passes what
 * they have, or an explicit `key`.
 */

/** A request to route. Every field is optional: strategies other than consistent-hash ignore it. */
export interface RouteRequest {
  /** The request target: a path with an optional query string, e.g. `/cart?user=7`. */
  readonly path?: string;
  /** Header values by lower-case name (node:http's `IncomingHttpHeaders` fits). */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** An explicit hash key; when set it wins over the policy's `hashKey`. */
  readonly key?: string;
}

/**
 * The consistent-hash key of `request` under `hashKey` (`path`,
 * `header:<name>`, `query:<name>`, `cookie:<name>`; default `path`), or
 * `undefined` when the request does not carry it (the router then picks at
 * random, as Envoy does for a request without a hash).
 */
export function requestKey(hashKey: string | undefined, request: RouteRequest): string | undefined {
  if (request.key !== undefined) return request.key;
  const spec = hashKey ?? 'path';
  if (spec === 'path') return request.path === undefined ? undefined : pathOf(request.path);
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  switch (kind) {
    case 'header':
      return header(request, name.toLowerCase());
    case 'query':
      return queryParam(request.path, name);
    case 'cookie':
      return cookie(header(request, 'cookie'), name);
    default:
      return undefined;
  }
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

function header(request: RouteRequest, name: string): string | undefined {
  const v = request.headers?.[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

function queryParam(target: string | undefined, name: string): string | undefined {
  if (target === undefined) return undefined;
  const q = target.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(target.slice(q + 1)).get(name) ?? undefined;
}

function cookie(headerValue: string | undefined, name: string): string | undefined {
  if (headerValue === undefined) return undefined;
  for (const part of headerValue.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
