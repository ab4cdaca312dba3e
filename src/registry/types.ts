/**
 * The data of the replicated registry (DESIGN.md "The replicated state"):
 * what clients send (registrations, deployment and routing inputs, kv values)
 * and what the registry stores. Plain data only, so it encodes with msgpack.
 */

/** Result of an instance's health checks. */
export type Health = 'passing' | 'warning' | 'critical';
/** Whether an instance takes new traffic (`active`) or is finishing its work (`draining`). */
export type InstanceState = 'active' | 'draining';

/** A JSON value: what a kv entry holds unless it holds bytes. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A kv value: raw bytes or a JSON value (never top-level `null`, which means "absent"). */
export type KvValue = Uint8Array | Exclude<JsonValue, null>;

/**
 * A health check definition, stored as data; `src/health` runs it. `http`:
 * GET `url` (or `path` on the instance's own address): 2xx passing, 429
 * warning, anything else or no answer in `timeoutMs` critical. `tcp`: a
 * connection to `address` (default: the instance's) opens in `timeoutMs`.
 * `ttl`: passing while heartbeats arrive at least every `ttlMs`.
 */
export interface CheckDefinition {
  readonly type: 'http' | 'tcp' | 'ttl';
  /** http only: an absolute http(s) URL. Exclusive with `path`. */
  readonly url?: string;
  /** http only: a path on the instance's own address and port, starting with `/`. */
  readonly path?: string;
  /** tcp only: `host:port` to connect to. */
  readonly address?: string;
  /** http and tcp: time between probes. */
  readonly intervalMs?: number;
  /** http and tcp: time a probe may take, at most `intervalMs`. */
  readonly timeoutMs?: number;
  /** ttl only: how long a heartbeat keeps the check passing. */
  readonly ttlMs?: number;
  /** Consecutive passing probes before a failing check counts as passing again (default 1). */
  readonly successesBeforePassing?: number;
  /** Consecutive failing probes before a passing check counts as critical (default 1). */
  readonly failuresBeforeCritical?: number;
  /** Deregister the instance once this check has been critical this long. */
  readonly deregisterCriticalAfterMs?: number;
}

/** What a client sends to register an instance. Unknown fields are rejected. */
export interface Registration {
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  readonly address: string;
  readonly port: number;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly weight?: number;
  readonly zone?: string;
  readonly checks?: readonly CheckDefinition[];
}

/** A registered instance, as stored: every optional field resolved. */
export interface Instance {
  readonly id: string;
  readonly name: string;
  readonly version: string | null;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly weight: number;
  readonly zone: string | null;
  readonly checks: readonly CheckDefinition[];
  readonly state: InstanceState;
  readonly health: Health;
  /** Leader time (ms) of the command that last changed `health` (or registered the instance). */
  readonly healthSince: number;
  /** Revision (log index) of the command that last changed this instance. */
  readonly modRevision: number;
}

/** Lifecycle of a deployment record. */
export type DeploymentStatus = 'pending' | 'running' | 'paused' | 'promoted' | 'rolled-back' | 'failed';

/** One step of a rollout: the share of traffic (0–100) the new version gets. */
export interface DeploymentStep {
  readonly weight: number;
  /** How long to hold this step before the next one. */
  readonly pauseMs?: number;
}

/** What a client (or the deploy controller) sends to create or update a deployment record. */
export interface DeploymentInput {
  readonly id: string;
  readonly service: string;
  readonly strategy: 'canary' | 'blue-green';
  readonly from: string;
  readonly to: string;
  /** Traffic share per version, integers 0–100 summing to 100. */
  readonly weights: Readonly<Record<string, number>>;
  readonly steps: readonly DeploymentStep[];
  readonly status: DeploymentStatus;
}

/** One entry of a deployment's status history, stamped with the command's leader time. */
export interface DeploymentHistoryEntry {
  readonly at: number;
  readonly status: DeploymentStatus;
  readonly revision: number;
}

/** A stored deployment record: the input plus a history the registry appends on status changes. */
export interface Deployment extends DeploymentInput {
  readonly history: readonly DeploymentHistoryEntry[];
  readonly modRevision: number;
}

/** How the router picks an instance of a service. */
export type RoutingStrategy =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'random'
  | 'least-request'
  | 'consistent-hash';

/** Per-service routing policy, stored as data; the router and the gateway apply it. */
export interface RoutingPolicy {
  readonly strategy: RoutingStrategy;
  /**
   * consistent-hash only: what a request is hashed by — `header:<name>`,
   * `query:<name>`, `cookie:<name>` or `path` (default `path`).
   */
  readonly hashKey?: string;
  /** Requests the gateway lets through to the service at once (absent: no limit). */
  readonly maxConcurrent?: number;
  /** Requests that may wait for a slot beyond `maxConcurrent` (default 0: refuse at once with 429). */
  readonly queue?: number;
  /** Longest a queued request waits before a 503 (default 1000). */
  readonly queueTimeoutMs?: number;
  /** Traffic weight per version (0–1000); versions not named get no traffic when set. */
  readonly versionWeights?: Readonly<Record<string, number>>;
}

/** A stored kv entry. */
export interface KvEntry {
  readonly value: KvValue;
  /** Revision of the command that created the key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the command that last wrote the key. */
  readonly modRevision: number;
}
