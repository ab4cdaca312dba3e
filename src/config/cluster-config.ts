import { DEFAULT_SNAPSHOT_BYTES, DEFAULT_SNAPSHOT_ENTRIES } from '../../raft/index.ts';
import { NODE_ID_PATTERN } from '../registry/validate-member.ts';
import { ConfigError } from './config-error.ts';

/** One member of the cluster as the file names it. */
export interface NodeConfig {
  readonly id: string;
  /** `host:port` the node listens on for peers, clients and HTTP alike, and clients reach it at. */
  readonly address: string;
  /**
   * Where the other nodes dial this one, when not `address` (a NAT, a tunnel,
   * a proxy in front of it). Clients are always sent to `address`.
   */
  readonly peerAddress?: string;
  /**
   * The node joined after the cluster was founded (`flotilla member add`): it
   * never writes the founding configuration, it waits for the leader. The
   * founders are the nodes without it.
   */
  readonly join?: boolean;
}

export interface RaftTimingConfig {
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotEntries: number;
  /** …or after this many bytes of entries, whichever comes first. */
  readonly snapshotBytes: number;
}

export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** A validated cluster file with every default filled in. */
export interface ClusterConfig {
  readonly cluster: string;
  /** Each node keeps its data in `<dataDir>/<node id>`; relative paths are relative to the file. */
  readonly dataDir: string;
  readonly token: string;
  readonly nodes: readonly NodeConfig[];
  readonly raft: RaftTimingConfig;
  readonly log: { readonly level: LogLevel };
  readonly tls?: TlsConfig;
}

export const DEFAULT_HEARTBEAT_MS = 100;
export const DEFAULT_ELECTION_MS = 1000;
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const TOP_KEYS = ['cluster', 'dataDir', 'token', 'nodes', 'raft', 'log', 'tls'];

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks raw parsed YAML and fills defaults. Every refusal names `file`, the key and the problem. */
export function resolveClusterConfig(raw: unknown, file: string): ClusterConfig {
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(file, key, problem);
  };
  if (!isRecord(raw)) fail('', 'must be a mapping with at least `nodes`');
  const doc = raw as Raw;
  for (const key of Object.keys(doc))
    if (!TOP_KEYS.includes(key)) fail(key, `unknown key (expected one of ${TOP_KEYS.join(', ')})`);
  const text = (key: string, value: unknown, fallback?: string): string => {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value.trim() === '') return fail(key, 'must be a non-empty string');
    return value as string;
  };
  const whole = (key: string, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      return fail(key, `must be an integer from ${min} to ${max}`);
    }
    return value as number;
  };
  if (!Array.isArray(doc.nodes) || doc.nodes.length === 0) fail('nodes', 'must list at least one node');
  const nodes = (doc.nodes as unknown[]).map((n, k): NodeConfig => {
    const at = `nodes[${k}]`;
    if (!isRecord(n)) return fail(at, 'must be a mapping with `id` and `address`');
    for (const key of Object.keys(n))
      if (!['id', 'address', 'peerAddress', 'join'].includes(key)) fail(`${at}.${key}`, 'unknown key');
    const id = text(`${at}.id`, n.id);
    if (!NODE_ID_PATTERN.test(id))
      fail(`${at}.id`, 'must be 1–64 letters, digits, dots, dashes or underscores');
    const hostPort = (key: string, value: unknown): string => {
      const address = text(key, value);
      const match = /^(.+):(\d{1,5})$/.exec(address);
      const port = Number(match?.[2]);
      if (match === null || port < 1 || port > 65535)
        fail(key, 'must be host:port with a port from 1 to 65535');
      return address;
    };
    const address = hostPort(`${at}.address`, n.address);
    if (n.join !== undefined && typeof n.join !== 'boolean') fail(`${at}.join`, 'must be true or false');
    return {
      id,
      address,
      ...(n.peerAddress === undefined ? {} : { peerAddress: hostPort(`${at}.peerAddress`, n.peerAddress) }),
      ...(n.join === true ? { join: true } : {}),
    };
  });
  const seen = new Map<string, number>();
  for (const [k, n] of nodes.entries()) {
    const prior = seen.get(n.id);
    if (prior !== undefined) fail(`nodes[${k}].id`, `duplicates nodes[${prior}].id (${n.id})`);
    seen.set(n.id, k);
  }
  const addresses = new Map<string, number>();
  for (const [k, n] of nodes.entries()) {
    const prior = addresses.get(n.address);
    if (prior !== undefined) fail(`nodes[${k}].address`, `duplicates nodes[${prior}].address (${n.address})`);
    addresses.set(n.address, k);
  }
  const rawRaft = doc.raft ?? {};
  if (!isRecord(rawRaft)) fail('raft', 'must be a mapping');
  const r = rawRaft as Raw;
  for (const key of Object.keys(r)) {
    if (!['heartbeatMs', 'electionMs', 'snapshotEntries', 'snapshotBytes'].includes(key))
      fail(`raft.${key}`, 'unknown key');
  }
  const heartbeatMs = whole('raft.heartbeatMs', r.heartbeatMs, DEFAULT_HEARTBEAT_MS, 1, 60_000);
  const electionMs = whole('raft.electionMs', r.electionMs, DEFAULT_ELECTION_MS, 1, 600_000);
  if (electionMs < 3 * heartbeatMs)
    fail('raft.electionMs', `must be at least 3 × raft.heartbeatMs (${3 * heartbeatMs})`);
  const snapshotEntries = whole(
    'raft.snapshotEntries',
    r.snapshotEntries,
    DEFAULT_SNAPSHOT_ENTRIES,
    1,
    100_000_000,
  );
  const snapshotBytes = whole(
    'raft.snapshotBytes',
    r.snapshotBytes,
    DEFAULT_SNAPSHOT_BYTES,
    1024,
    Number.MAX_SAFE_INTEGER,
  );
  const rawLog = doc.log ?? {};
  if (!isRecord(rawLog)) fail('log', 'must be a mapping');
  const level = (rawLog as Raw).level ?? DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.includes(level as LogLevel)) fail('log.level', `must be one of ${LOG_LEVELS.join(', ')}`);
  let tls: TlsConfig | undefined;
  if (doc.tls !== undefined) {
    if (!isRecord(doc.tls)) fail('tls', 'must be a mapping with `cert` and `key` (file paths)');
    const t = doc.tls as Raw;
    const ca = t.ca === undefined ? undefined : text('tls.ca', t.ca);
    tls = {
      cert: text('tls.cert', t.cert),
      key: text('tls.key', t.key),
      ...(ca === undefined ? {} : { ca }),
    };
  }
  return {
    cluster: text('cluster', doc.cluster, 'flotilla'),
    dataDir: text('dataDir', doc.dataDir, './data'),
    token: text('token', doc.token, 'flotilla-dev-token'),
    nodes,
    raft: { heartbeatMs, electionMs, snapshotEntries, snapshotBytes },
    log: { level: level as LogLevel },
    ...(tls === undefined ? {} : { tls }),
  };
}
