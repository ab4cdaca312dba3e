/**
 * Which service a request goes to: `--route /api=api` maps the path prefix
 * `/api` to service `api`. The longest matching prefix wins, and a prefix
 * matches whole path segments only (`/api` takes `/api`, `/api/x` and
 * `/api?q`, not `/apix`). Paths are forwarded unchanged: the backend sees
 * `/api/x`, as with Envoy's default and nginx's `proxy_pass` without a URI.
 */

import { invalidArgument } from '../registry/errors.ts';
import { NAME_PATTERN } from '../registry/validate-primitives.ts';

/** One route: requests under `prefix` go to `service`. */
export interface GatewayRoute {
  readonly prefix: string;
  readonly service: string;
}

/** Parses `PREFIX=SERVICE` (the CLI's `--route`). */
export function parseRoute(spec: string): GatewayRoute {
  const eq = spec.lastIndexOf('=');
  if (eq < 1)
    throw invalidArgument('route', `${JSON.stringify(spec)}: expected PREFIX=SERVICE, e.g. /api=api`);
  return checkRoute({ prefix: spec.slice(0, eq), service: spec.slice(eq + 1) });
}

/** Validates a route and normalises its prefix (no trailing slash, except `/` itself). */
export function checkRoute(r: GatewayRoute): GatewayRoute {
  if (!r.prefix.startsWith('/') || /[?#\s]/.test(r.prefix))
    throw invalidArgument('route.prefix', `${JSON.stringify(r.prefix)} must be a path starting with /`);
  if (!NAME_PATTERN.test(r.service))
    throw invalidArgument('route.service', `${JSON.stringify(r.service)} is not a valid service name`);
  const prefix = r.prefix.length > 1 ? r.prefix.replace(/\/+$/, '') || '/' : r.prefix;
  return { prefix, service: r.service };
}

export class RouteMap {
  /** Longest prefix first, so the first match is the longest. */
  private readonly routes: readonly GatewayRoute[];

  constructor(routes: readonly GatewayRoute[]) {
    const seen = new Set<string>();
    for (const r of routes) {
      if (seen.has(r.prefix)) throw invalidArgument('route', `prefix ${r.prefix} is routed twice`);
      seen.add(r.prefix);
    }
    this.routes = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The route of `path` (without its query), or undefined. */
  match(path: string): GatewayRoute | undefined {
    for (const r of this.routes) {
      if (r.prefix === '/') return r;
      if (path.startsWith(r.prefix) && (path.length === r.prefix.length || path[r.prefix.length] === '/'))
        return r;
    }
    return undefined;
  }

  /** The distinct services routed to. */
  services(): string[] {
    return [...new Set(this.routes.map((r) => r.service))];
  }

  list(): readonly GatewayRoute[] {
    return this.routes;
  }
}
