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
  /** Draining only: leader time (ms) of the drain command. */
  readonly drainingSince?: number;
  /** Draining only: the leader deregisters the instance this long after `drainingSince`. */
  readonly drainTimeoutMs?: number;
}

/**
 * Lifecycle of a deployment record (src/deploy/deployment-model.ts has the
 * state machine). `pending`: waiting for the new version to be ready, no
 * traffic to it. `running`: a canary at its current step, or a blue-green
 * whose old version is live. `promoted`: a blue-green switched to the new
 * version (switching back is one command). `paused`: kept for records
 * written with `deployment.put`. Terminal: `succeeded`, `rolled-back`, `failed`.
 */
export type DeploymentStatus =
  | 'pending'
  | 'running'
  | 'paused'
  | 'promoted'
  | 'succeeded'
  | 'rolled-back'
  | 'failed';

/** One step of a rollout: the share of traffic (0–100) the new version gets. */
export interface DeploymentStep {
  readonly weight: number;
  /** How long to hold this step before the next one. */
  readonly pauseMs?: number;
}

/** Canary or blue-green. */
export type DeploymentStrategy = 'canary' | 'blue-green';

/** What a client (or the deploy controller) sends to create or update a deployment record. */
export interface DeploymentInput {
  readonly id: string;
  readonly service: string;
  readonly strategy: DeploymentStrategy;
  readonly from: string;
  readonly to: string;
  /** Traffic share per version, integers 0–100 summing to 100. */
  readonly weights: Readonly<Record<string, number>>;
  readonly steps: readonly DeploymentStep[];
  readonly status: DeploymentStatus;
}

/** The gates and limits of a deployment (defaults in src/deploy/deployment-model.ts). */
export interface DeploymentGates {
  /** Move to the next step by itself once the step's pause is over and the gates pass. */
  readonly autoPromote: boolean;
  /** Roll back by itself, at once, when a gate fails (else: stay, and the deadline decides). */
  readonly autoRollback: boolean;
  /** Error gate: the share (0–100) of the new version's requests answered 5xx that fails it. */
  readonly maxErrorPercent: number;
  /** Error gate: requests of the new version in the window before its error rate counts. */
  readonly minRequests: number;
  /** A deployment waiting on the controller (not on a person) this long without progress fails. */
  readonly progressDeadlineMs: number;
}

/** What `deployment.create` takes: the registry resolves `from`, the id, the steps and the weights. */
export interface DeploymentCreate extends Partial<DeploymentGates> {
  /** Default: `<service>-<revision>`. */
  readonly id?: string;
  readonly service: string;
  readonly strategy: DeploymentStrategy;
  readonly to: string;
  /** Default: the one other version the service's instances run. */
  readonly from?: string;
  /** Canary only: the share of the first (and, without `steps`, only) step. */
  readonly percent?: number;
  /** Canary only: increasing shares; after the last one the canary goes to 100 and succeeds. */
  readonly steps?: readonly DeploymentStep[];
}

/**
 * One entry of a deployment's history, stamped with the command's leader
 * time and revision: every status change and every canary step, once.
 */
export interface DeploymentHistoryEntry {
  readonly at: number;
  readonly status: DeploymentStatus;
  readonly revision: number;
  /** Canary: the step index entered (absent for records written with `deployment.put`). */
  readonly step?: number;
  /** Canary: the new version's share after this entry. */
  readonly weight?: number;
  /** Why: who or which gate decided. */
  readonly reason?: string;
}

/** A stored deployment record: the input plus a history the registry appends on status changes. */
export interface Deployment extends DeploymentInput, DeploymentGates {
  readonly history: readonly DeploymentHistoryEntry[];
  readonly modRevision: number;
  /** Revision of the command that created the record: the newest created governs routing. */
  readonly createRevision: number;
  /** Leader time of the creation. */
  readonly createdAt: number;
  /** Canary: index in `steps` of the current step. */
  readonly stepIndex: number;
  /** Leader time the current step (or status) began: pauses and the deadline count from it. */
  readonly stepStartedAt: number;
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

/**
 * Where a cluster member is reached: the replicated address book (members
 * added at run time, and the founders once the first member is added), so
 * every node, and a node restored from a snapshot, can dial every member.
 */
export interface MemberAddress {
  /** The Raft node id. */
  readonly id: string;
  /** `host:port` clients (and, without `peerAddress`, peers) reach the node at. */
  readonly address: string;
  /** `host:port` the other nodes dial, when not `address` (a NAT, a proxy). */
  readonly peerAddress?: string;
}
