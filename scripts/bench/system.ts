/**
 * What the load generator needs from a system under test: a running 3-member
 * cluster of real processes (`BenchCluster`) and clients of it
 * (`BenchClient`). One adapter per system: flotilla-system.ts, etcd-system.ts.
 */

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
  /** Starts a killed member again (same data). */
  restart(member: string): void;
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

/** Options of a cluster start. */
export interface StartOptions {
  readonly heartbeatMs: number;
  readonly electionMs: number;
  /** Flotilla only: run the node processes under `node --cpu-prof`, profiles into this dir. */
  readonly cpuProfileDir?: string;
}
