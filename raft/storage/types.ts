import type { Entry, HardState, PersistedState, Ready, Snapshot } from '../core/types.ts';

/**
 * The log on stable storage. `append` replaces any stored entry at the first
 * new entry's index or later (a follower overwriting a conflicting suffix),
 * so a Ready's `entries` can be handed over as they are.
 */
export interface LogStore {
  /** Index of the first stored entry (last compacted index + 1). */
  firstIndex(): Promise<number>;
  /** Index of the last stored entry (firstIndex - 1 when empty). */
  lastIndex(): Promise<number>;
  /** Entries in [lo, hi), in order. */
  entries(lo: number, hi: number): Promise<Entry[]>;
  append(entries: readonly Entry[]): Promise<void>;
  /** Drops every entry at or below `index` (they are covered by a snapshot). */
  compact(index: number): Promise<void>;
}

/** Term, vote and commit index: durable before a vote is granted or a message of a new term leaves (§5.1). */
export interface StableStore {
  load(): Promise<HardState | undefined>;
  save(state: HardState): Promise<void>;
}

/** The latest state-machine snapshot. `save` is atomic: a crash leaves the old or the new one, never a mix. */
export interface SnapshotStore {
  latest(): Promise<Snapshot | undefined>;
  save(snapshot: Snapshot): Promise<void>;
}

/** The three stores a node needs, split by concern as in hashicorp/raft. */
export interface RaftStorage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
}

/**
 * What the runtime needs from a node's storage, whatever backs it: the state
 * to start from, step 1 of every Ready, and local snapshots.
 */
export interface NodeStorage {
  /** The verified state to build the core from. */
  load(): PersistedState;
  /**
   * Persists a Ready's snapshot, entries and hard state durably, in that
   * order. Resolves true when it wrote and synced, false when nothing had to
   * be durable (see must-sync.ts: a Ready that only moved the commit index).
   */
  persistReady(ready: Ready): Promise<boolean>;
  /** Saves a local FSM snapshot, then drops the log it covers. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  close(): Promise<void>;
}
