/**
 * What `connect()` takes, its defaults, and the pure check that turns user
 * options into resolved ones (STYLE §5: `DEFAULT_*` constants, a pure
 * `resolveOptions`, fields validated against each other, input never mutated).
 */

import { randomBytes } from 'node:crypto';
import { FlotillaError, invalidArgument } from '../registry/errors.ts';
import { NAME_PATTERN } from '../registry/validate-primitives.ts';

/** Deadline of every call unless the call names its own. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** First retry delay cap (full jitter: the delay is uniform in [0, cap]). */
export const DEFAULT_RETRY_BASE_MS = 50;
/**
 * Largest retry delay cap. Small on purpose: while a cluster elects a leader
 * the retries find nothing, and a long sleep in progress when the leader
 * appears is pure added unavailability (scripts/failover.ts measured a median
 * 305 ms of it with a 1000 ms cap). A retry costs one small frame per node.
 */
export const DEFAULT_RETRY_MAX_MS = 250;
/** Writes in flight at once; each holds one session lane (see write-lanes.ts). */
export const DEFAULT_MAX_WRITE_LANES = 64;
/** Events a watch buffers for a slow consumer before it ends with WATCH_OVERFLOW. */
export const DEFAULT_WATCH_BUFFER = 10_000;

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Nodes to talk to, as `host:port` (IPv6 as `[::1]:7001`). At least one. */
  readonly endpoints: readonly string[];
  /** Deadline of each call in ms (and of `connect` itself). */
  readonly timeoutMs?: number;
  /**
   * How long one attempt waits for its node before the call tries again
   * (same `(session, seq)` for a write), within the call's deadline. A paused
   * or partitioned leader keeps its socket open and answers nothing; without
   * this a call would wait out its whole deadline on it. Default: a third of
   * `timeoutMs`; at most `timeoutMs`.
   */
  readonly attemptTimeoutMs?: number;
  /** Backoff between retries: full jitter, cap doubling from `baseMs` up to `maxMs`. */
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number };
  /**
   * Names this client's write sessions (`<clientId>.<lane>`). Default: random.
   * Two live clients must never share one: the registry keeps one sequence per session.
   */
  readonly clientId?: string;
  /** Most writes in flight at once; further writes queue. */
  readonly maxWriteLanes?: number;
  /**
   * Speak wss to nodes whose cluster file configures `tls`. `ca`: the roots
   * that sign the nodes' certificates (Node's defaults when absent); `cert`
   * and `key`: a client certificate, when the nodes ask for one.
   */
  readonly tls?: ClientTlsOptions;
}

/** TLS settings of the client's connections (PEM strings or buffers). */
export interface ClientTlsOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Defaults to true; false only for a test rig with self-signed certificates. */
  readonly rejectUnauthorized?: boolean;
}

/** {@link ConnectOptions} with every default filled in. */
export interface ResolvedClientOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly clientId: string;
  readonly maxWriteLanes: number;
  readonly tls: ClientTlsOptions | undefined;
}

const MAX_TIMEOUT_MS = 24 * 60 * 60_000;
const MAX_LANES = 4096;
/** Session ids are names of at most 128 characters; leave room for `.<lane>`. */
const MAX_CLIENT_ID_LENGTH = 128 - 1 - String(MAX_LANES - 1).length;
const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]@]+):(\d{1,5})$/;

function integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function endpoints(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument('endpoints', 'must list at least one host:port');
  }
  const out: string[] = [];
  value.forEach((e: unknown, k) => {
    const match = typeof e === 'string' ? ENDPOINT.exec(e) : null;
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      throw invalidArgument(`endpoints[${k}]`, 'must be host:port with a port from 1 to 65535');
    }
    // Duplicates are dropped, not refused: the list often comes from a shell variable.
    if (!out.includes(e as string)) out.push(e as string);
  });
  return out;
}

function clientId(value: unknown): string {
  if (value === undefined) return `c${randomBytes(12).toString('hex')}`;
  if (typeof value !== 'string' || !NAME_PATTERN.test(value) || value.length > MAX_CLIENT_ID_LENGTH) {
    throw invalidArgument(
      'clientId',
      `must be 1–${MAX_CLIENT_ID_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

function tlsOptions(value: unknown): ClientTlsOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw invalidArgument('tls', 'must be an object');
  const t = value as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!['ca', 'cert', 'key', 'rejectUnauthorized'].includes(key))
      throw invalidArgument(`tls.${key}`, 'unknown field');
  }
  for (const key of ['ca', 'cert', 'key']) {
    const v = t[key];
    if (v !== undefined && typeof v !== 'string' && !Buffer.isBuffer(v))
      throw invalidArgument(`tls.${key}`, 'must be PEM text or a Buffer');
  }
  if ((t.cert === undefined) !== (t.key === undefined))
    throw invalidArgument('tls.cert', 'cert and key come together');
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean')
    throw invalidArgument('tls.rejectUnauthorized', 'must be a boolean');
  return Object.freeze({ ...(t as ClientTlsOptions) });
}

/**
 * Checks user options and fills defaults. Throws `INVALID_ARGUMENT` whose
 * `details.field` names the offending option.
 */
export function resolveOptions(user: ConnectOptions): Readonly<ResolvedClientOptions> {
  if (typeof user !== 'object' || user === null) {
    throw new FlotillaError('INVALID_ARGUMENT', 'options: must be an object with endpoints', {
      details: { field: 'options' },
    });
  }
  const retry: unknown = user.retry;
  if (retry !== undefined && (typeof retry !== 'object' || retry === null)) {
    throw invalidArgument('retry', 'must be an object with baseMs and/or maxMs');
  }
  const r = (retry ?? {}) as { baseMs?: unknown; maxMs?: unknown };
  const baseMs = integer(r.baseMs, 'retry.baseMs', DEFAULT_RETRY_BASE_MS, 1, MAX_TIMEOUT_MS);
  const maxMs = integer(r.maxMs, 'retry.maxMs', Math.max(DEFAULT_RETRY_MAX_MS, baseMs), 1, MAX_TIMEOUT_MS);
  if (maxMs < baseMs) throw invalidArgument('retry.maxMs', `must be at least retry.baseMs (${baseMs})`);
  const timeoutMs = integer(user.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
  const attemptTimeoutMs = integer(
    user.attemptTimeoutMs,
    'attemptTimeoutMs',
    Math.ceil(timeoutMs / 3),
    1,
    timeoutMs,
  );
  return Object.freeze({
    endpoints: Object.freeze(endpoints(user.endpoints)),
    timeoutMs,
    attemptTimeoutMs,
    retry: Object.freeze({ baseMs, maxMs }),
    clientId: clientId(user.clientId),
    maxWriteLanes: integer(user.maxWriteLanes, 'maxWriteLanes', DEFAULT_MAX_WRITE_LANES, 1, MAX_LANES),
    tls: tlsOptions(user.tls),
  });
}

/** The deadline of one call: its own `timeoutMs` if given (validated like the client's), else the client's. */
export function callTimeout(timeoutMs: number | undefined, fallback: number): number {
  return integer(timeoutMs, 'timeoutMs', fallback, 1, MAX_TIMEOUT_MS);
}
