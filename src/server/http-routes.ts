/**
 * The plain-HTTP side of a node, on the same port as peers and clients:
 * `GET /healthz` (200 when this node knows a leader, else 503 — what a load
 * balancer or orchestrator probe wants), `GET /v1/status` (JSON NodeStatus),
 * `GET /metrics` (Prometheus text), and read-only JSON views of the registry
 * for curl users: `GET /v1/services`, `GET /v1/services/:name`,
 * `GET /v1/kv/:key`. JSON reads are stale (local) unless `?consistent` is given.
 */

import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FlotillaError } from '../registry/errors.ts';
import type { NodeMetrics } from './metrics.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { nodeStatus } from './node-status.ts';
import { readBarrier } from './read-path.ts';
import { toWireError } from './wire-errors.ts';

export function attachHttpRoutes(server: http.Server, ctx: NodeContext, metrics: NodeMetrics): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, ctx, metrics).catch((error: unknown) => {
      const wire = error instanceof RequestFailed ? error.wire : toWireError(error, ctx.addressOf, false);
      const status = wire.code === 'INVALID_ARGUMENT' ? 400 : wire.code === 'NOT_FOUND' ? 404 : 503;
      json(res, status, { error: wire });
    });
  });
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: NodeContext,
  metrics: NodeMetrics,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const path = url.pathname;
  if (path === '/healthz') {
    const s = ctx.raft.status();
    const ok = s.leader !== '';
    json(res, ok ? 200 : 503, {
      status: ok ? 'ok' : 'no-leader',
      nodeId: ctx.id,
      leaderId: s.leader,
      term: s.term,
    });
    return;
  }
  if (path === '/v1/status') return json(res, 200, nodeStatus(ctx));
  if (path === '/metrics') {
    const text = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
    return;
  }
  const consistent = url.searchParams.has('consistent');
  if (path === '/v1/services') {
    await readBarrier(ctx, consistent ? 'linearizable' : 'stale');
    return json(res, 200, { services: ctx.registry.listServices(), revision: ctx.registry.revision });
  }
  const service = /^\/v1\/services\/([^/]+)$/.exec(path);
  if (service !== null) {
    await readBarrier(ctx, consistent ? 'linearizable' : 'stale');
    const name = decodeURIComponent(service[1]!);
    const instances = ctx.registry.getService(name, { healthyOnly: url.searchParams.has('healthy') });
    return json(res, 200, { instances, revision: ctx.registry.revision });
  }
  const kv = /^\/v1\/kv\/(.+)$/.exec(path);
  if (kv !== null) {
    await readBarrier(ctx, consistent ? 'linearizable' : 'stale');
    const got = ctx.registry.kvGet(decodeURIComponent(kv[1]!));
    if (got.value === null) throw new FlotillaError('NOT_FOUND', 'no such key');
    const value =
      got.value instanceof Uint8Array ? { base64: Buffer.from(got.value).toString('base64') } : got.value;
    return json(res, 200, { value, revision: got.revision, modRevision: got.modRevision });
  }
  json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}
