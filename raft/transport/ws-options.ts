/**
 * Options of `WsTransport`, their defaults, and `resolveWsOptions`, which
 * validates them together and never mutates its input.
 */

import type http from 'node:http';
import type https from 'node:https';
import { RaftError } from '../core/errors.ts';
import type { NodeId, Rng } from '../core/types.ts';
import { type Logger, noopLogger } from '../logger.ts';
import { type BackoffOptions, mathRandomRng } from './backoff.ts';

/** Room for a full AppendEntries (core default 1 MiB of entries) or snapshot chunk, with a wide margin. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Per-peer queue bound in messages: a few pipelined windows (core default 64 in flight). */
export const DEFAULT_MAX_QUEUE_MESSAGES = 1024;
/** Per-peer queue bound in bytes: caps memory while a peer is down, however large the frames. */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 100, maxMs: 5_000 });
export const DEFAULT_PATH = '/raft';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How often a dialer pings its link; a link whose last ping is unanswered at the next one is redialed. */
export const DEFAULT_PING_INTERVAL_MS = 5_000;

/** PEM strings or buffers, as `tls.createSecureContext` takes them. */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Trusted roots for peers' certificates; Node's defaults when absent. */
  readonly ca?: string | Buffer;
}

export interface WsTransportOptions {
  readonly id: NodeId;
  /** The cluster token every peer presents when it connects. Non-empty. */
  readonly token: string;
  /** Peers at start: id → `host:port` (or a full `ws://`/`wss://` URL). More via `addPeer`. */
  readonly peers?: Readonly<Record<NodeId, string>>;
  /** Attach to this server (shared with clients and HTTP) instead of creating one. Exclusive with `listen`. */
  readonly server?: http.Server | https.Server;
  /** Create a server listening here. Port 0 picks a free port; see `WsTransport.port`. */
  readonly listen?: { readonly host?: string; readonly port: number };
  /** The upgrade path peers connect to. */
  readonly path?: string;
  /**
   * Dial peers with wss and, when this transport creates its server, serve
   * https with this certificate. An attached `server` brings its own TLS.
   */
  readonly tls?: TlsOptions;
  readonly maxFrameBytes?: number;
  readonly maxQueueMessages?: number;
  readonly maxQueueBytes?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Jitter for reconnect delays; inject a seeded one in tests. */
  readonly rng?: Rng;
  /** How long a dial may take, TCP + TLS + upgrade. */
  readonly connectTimeoutMs?: number;
  /**
   * Liveness check of outbound links: a silently dead connection (peer host
   * gone, network partition without a reset) would otherwise hold the link
   * "up" until TCP gives up, many minutes later.
   */
  readonly pingIntervalMs?: number;
  readonly logger?: Logger;
}

export interface ResolvedWsOptions {
  readonly id: NodeId;
  readonly token: string;
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly server: http.Server | https.Server | undefined;
  readonly listen: { readonly host: string | undefined; readonly port: number } | undefined;
  readonly path: string;
  readonly tls: TlsOptions | undefined;
  readonly maxFrameBytes: number;
  readonly maxQueueMessages: number;
  readonly maxQueueBytes: number;
  readonly backoff: BackoffOptions;
  readonly rng: Rng;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly logger: Logger;
}

function invalid(message: string): RaftError {
  return new RaftError('INVALID_ARGUMENT', `ws transport: ${message}`);
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw invalid(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Node ids travel in an HTTP header and in logs: keep them short and printable. */
export function checkNodeId(id: unknown): id is NodeId {
  return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(id);
}

/** Validates `o` and fills in defaults. Throws `INVALID_ARGUMENT` naming the first bad field. */
export function resolveWsOptions(o: WsTransportOptions): Readonly<ResolvedWsOptions> {
  if (!checkNodeId(o.id)) throw invalid(`id must match [A-Za-z0-9._:-]{1,128}, got ${JSON.stringify(o.id)}`);
  if (typeof o.token !== 'string' || o.token.length === 0) throw invalid('token must be a non-empty string');
  if ((o.server === undefined) === (o.listen === undefined))
    throw invalid('give exactly one of server and listen');
  if (
    o.listen !== undefined &&
    (!Number.isInteger(o.listen.port) || o.listen.port < 0 || o.listen.port > 65535)
  ) {
    throw invalid(`listen.port must be 0..65535, got ${o.listen.port}`);
  }
  const path = o.path ?? DEFAULT_PATH;
  if (!path.startsWith('/')) throw invalid(`path must start with '/', got ${path}`);
  const peers = new Map<NodeId, string>();
  for (const [id, address] of Object.entries(o.peers ?? {})) {
    if (!checkNodeId(id) || id === o.id) throw invalid(`bad peer id ${JSON.stringify(id)}`);
    peers.set(id, address);
  }
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  positiveInt('backoff.baseMs', backoff.baseMs);
  if (positiveInt('backoff.maxMs', backoff.maxMs) < backoff.baseMs)
    throw invalid('backoff.maxMs < backoff.baseMs');
  const maxFrameBytes = positiveInt('maxFrameBytes', o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  const maxQueueBytes = positiveInt('maxQueueBytes', o.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES);
  if (maxQueueBytes < maxFrameBytes) throw invalid('maxQueueBytes must hold at least one maximal frame');
  return Object.freeze({
    id: o.id,
    token: o.token,
    peers,
    server: o.server,
    listen: o.listen === undefined ? undefined : { host: o.listen.host, port: o.listen.port },
    path,
    tls: o.tls,
    maxFrameBytes,
    maxQueueMessages: positiveInt('maxQueueMessages', o.maxQueueMessages ?? DEFAULT_MAX_QUEUE_MESSAGES),
    maxQueueBytes,
    backoff,
    rng: o.rng ?? mathRandomRng,
    connectTimeoutMs: positiveInt('connectTimeoutMs', o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    pingIntervalMs: positiveInt('pingIntervalMs', o.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS),
    logger: o.logger ?? noopLogger,
  });
}

/** The URL to dial for a peer address: `host:port` gets our scheme and path; full URLs pass through. */
export function peerUrl(address: string, o: Pick<ResolvedWsOptions, 'tls' | 'path'>): string {
  if (/^wss?:\/\//.test(address)) return address;
  return `${o.tls === undefined ? 'ws' : 'wss'}://${address}${o.path}`;
}
