/**
 * What the load generator needs from a system under test: a running 3-member
 * cluster of real processes, which can grow by a member (`BenchCluster`) and clients of it
 * (`BenchClient`). One adapter per system: flotilla-system.ts, etcd-system.ts.
 */

import type { ChildProcess } from 'node:child_process';

/** The systems the harness compares. */
export type SystemName = 'flotilla' | 'etcd';

/** How the etcd3 client handles faults (Flotilla's SDK has one behaviour). */
export type EtcdFaultHandling = 'default' | 'connection-only';

/** Read consistency: `stale` is Flotilla's name, etcd calls it serializable. */
export type ReadMode = 'linearizable' | 'stale';

/** A service instance as the write and watch workloads register it. */
export interface BenchRegistration {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly meta: Readonly<Record<string, string>>;
}

/** Options of {@link BenchCluster.connect}. */
export interface BenchClientOptions {
  /** Most operations the caller will have in flight on this client. */
  readonly concurrency: number;
  /** etcd only: the client's fault handling. */
  readonly faultHandling?: EtcdFaultHandling;
}

/** One client of the system under test; every call resolves on acknowledgement and rejects on failure. */
export interface BenchClient {
  put(key: string, value: string): Promise<void>;
  register(r: BenchRegistration): Promise<void>;
  get(key: string, mode: ReadMode): Promise<void>;
  /**
   * Watches the instances of service `name`; `onChange` gets the `seq` meta
   * field of every changed instance. Resolves with a cancel function once the
   * watch is open (etcd: created on the server; Flotilla: asked from a known
   * revision, so nothing after it is missed).
   */
  watchService(name: string, onChange: (seq: number) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** Member ids, pids, data and faults of a running cluster. */
export interface BenchCluster {
  readonly system: SystemName;
  /** The version of the server software. */
  readonly version: string;
  readonly members: readonly string[];
  /** The temp dir holding every member's data (removed by {@link close}). */
  readonly tempDir: string;
  /** The id of the member every running member agrees is the leader. */
  leader(timeoutMs?: number): Promise<string>;
  pid(member: string): number | undefined;
  /** The member's data directory. */
  dataDir(member: string): string;
  /** Where the latest snapshot of the member's state machine lies, and its size (undefined: none yet). */
  snapshotFile(member: string): Promise<{ path: string; bytes: number } | undefined>;
  /** `kill -9`. */
  kill(member: string): Promise<void>;
  /**
   * Starts a stopped member: a killed one again on its data, or one from
   * {@link addMember} for the first time, empty, joining the running cluster.
   */
  restart(member: string): void;
  /**
   * Adds a new, empty member to the running cluster's configuration, on
   * fresh loopback ports with its data dir in {@link tempDir}, and resolves
   * once the change is committed. Flotilla: `client.cluster.addMember` (a
   * learner, which the leader promotes to voter once it has caught up), and
   * the node appended to the cluster file with `join: true`; etcd:
   * `Cluster.MemberAdd` of a voter, as `etcdctl member add` does. The member
   * is not started: {@link restart} starts it (Flotilla `start --join`; etcd
   * `--initial-cluster-state existing` with every member in
   * `--initial-cluster`). From then on it is one of {@link members}, every
   * call taking a member id takes its id, and {@link close} stops it with the
   * others.
   */
  addMember(): Promise<AddedMember>;
  /**
   * Whether the configuration has `member` as a voter (false: a learner, or
   * not a member), or undefined when nobody answers. Flotilla: the leader's
   * latest configuration entry; etcd: the member list of another running
   * member.
   */
  isVoter(member: string): Promise<boolean | undefined>;
  /**
   * Resolves once the member answers and has applied at least `index` (a
   * leader's commit index from {@link commitIndex}); polls every 10 ms.
   */
  waitApplied(member: string, index: number, timeoutMs: number): Promise<void>;
  /**
   * The member's durable-write counter from its /metrics: how many synced
   * writes and their total seconds (Flotilla: `flotilla_fsync_duration_seconds`,
   * one LevelDB batch per Ready; etcd: `etcd_disk_wal_fsync_duration_seconds`).
   */
  fsyncStats(member: string): Promise<FsyncStats | undefined>;
  /** The member's commit index (etcd: raft index), or undefined when it does not answer. */
  commitIndex(member: string): Promise<number | undefined>;
  connect(options: BenchClientOptions): Promise<BenchClient>;
  /** Stops every process (SIGKILL) and removes the temp dir. Idempotent. */
  close(): Promise<void>;
  /** The member's applied index, or undefined when it does not answer. */
  appliedIndex(member: string): Promise<number | undefined>;
  /**
   * Index of the newest Raft snapshot in the member's data dir, or undefined
   * when there is none (Flotilla: `snapshots/snap-<index>-<term>.snap`; etcd:
   * `member/snap/<term>-<index>.snap`).
   */
  raftSnapshotIndex(member: string): Promise<number | undefined>;
  /**
   * One linearizable read of `key`, served by `member` itself: the client
   * talks to that member only. Resolves on an answer; rejects on any failure
   * or after `timeoutMs`.
   */
  readAt(member: string, key: string, timeoutMs: number): Promise<void>;
  /** The member's Prometheus page. */
  metricsUrl(member: string): string;
  /** What the member's current process has printed so far (its last 100,000 characters). */
  output(member: string): string;
  /**
   * A writer for loading many small entries fast: kv puts straight to the
   * current leader, up to {@link BenchLoader.concurrency} in flight.
   */
  connectLoader(): Promise<BenchLoader>;
}

/** What {@link BenchCluster.addMember} did. */
export interface AddedMember {
  /** The new member's id (what {@link BenchCluster.members} lists). */
  readonly id: string;
  /** ms from sending the add request that was accepted to its answer (the configuration change committed). */
  readonly addMs: number;
  /**
   * Add requests refused before one was accepted (etcd refuses a voter,
   * "unhealthy cluster", until every voter has been connected to the leader
   * for 5 s, so right after a follower's restart).
   */
  readonly refused: number;
}

/** See {@link BenchCluster.connectLoader}. */
export interface BenchLoader {
  /** How many puts the loader is built to have in flight. */
  readonly concurrency: number;
  /** What the loader writes through, for the report. */
  readonly description: string;
  put(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** How much of a member's output the adapters keep. */
export const OUTPUT_TAIL_CHARS = 100_000;

/** A member's current process, as both adapters track it. */
export interface MemberProcess {
  process?: ChildProcess | undefined;
  exited?: Promise<void>;
  output: string;
}

/** Makes `child` the member's current process: keeps the tail of its output and a promise of its exit. */
export function adoptProcess(member: MemberProcess, child: ChildProcess): void {
  member.output = '';
  const keep = (chunk: Buffer): void => {
    member.output = (member.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  member.process = child;
  member.exited = new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A histogram's count and sum, read from a Prometheus text page. */
export interface FsyncStats {
  readonly count: number;
  readonly seconds: number;
}

/** Reads `<name>_count` and `<name>_sum` (summed over label sets) from the Prometheus page at `url`. */
export async function scrapeHistogram(url: string, name: string): Promise<FsyncStats | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    let count = 0;
    let seconds = 0;
    for (const line of text.split('\n')) {
      const m = /^(\S+?)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (m === null) continue;
      if (m[1] === `${name}_count`) count += Number(m[2]);
      else if (m[1] === `${name}_sum`) seconds += Number(m[2]);
    }
    return { count, seconds };
  } catch {
    return undefined;
  }
}

/** The sum of every sample of `name` (a counter or gauge, any labels) on the Prometheus page at `url`. */
export async function scrapeValue(url: string, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return undefined;
    let sum = 0;
    for (const line of (await res.text()).split('\n')) {
      const m = /^(\S+?)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (m !== null && m[1] === name) sum += Number(m[2]);
    }
    return sum;
  } catch {
    return undefined;
  }
}

/** Options of a cluster start. */
export interface StartOptions {
  readonly heartbeatMs: number;
  readonly electionMs: number;
  /** Flotilla only: run the node processes under `node --cpu-prof`, profiles into this dir. */
  readonly cpuProfileDir?: string;
  /**
   * Take a Raft snapshot (and compact the log) every this many applied
   * entries: Flotilla's `raft.snapshotEntries`, etcd's `--snapshot-count`.
   * Undefined: each system's default (Flotilla 10,000; etcd 3.4 100,000).
   */
  readonly snapshotEntries?: number;
  /** The members' log level (default `warn`); `info` makes them log their start-up phases. */
  readonly logLevel?: 'info' | 'warn';
}
