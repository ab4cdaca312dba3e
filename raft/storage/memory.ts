import type { Entry, HardState, PersistedState, Ready, Snapshot } from '../core/types.ts';
import type { LogStore, NodeStorage, RaftStorage, SnapshotStore, StableStore } from './types.ts';

/**
 * In-memory LogStore. Besides the async interface it offers synchronous
 * twins (`*Sync`) so the deterministic simulator can drive it without awaits.
 */
export class MemoryLogStore implements LogStore {
  /** entries[k] has index `offset + k`. */
  #entries: Entry[] = [];
  #offset = 1;

  firstIndexSync(): number {
    return this.#offset;
  }

  lastIndexSync(): number {
    return this.#offset + this.#entries.length - 1;
  }

  entriesSync(lo: number, hi: number): Entry[] {
    const from = Math.max(lo, this.#offset) - this.#offset;
    const to = Math.min(hi, this.lastIndexSync() + 1) - this.#offset;
    return from < to ? this.#entries.slice(from, to) : [];
  }

  appendSync(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index > this.lastIndexSync() + 1) {
      throw new Error(`log gap: appending index ${first.index} after ${this.lastIndexSync()}`);
    }
    if (first.index < this.#offset) {
      // Entries below the compaction point are covered by a snapshot: skip them.
      const skip = this.#offset - first.index;
      this.appendSync(entries.slice(skip));
      return;
    }
    this.#entries.length = first.index - this.#offset;
    this.#entries.push(...entries);
  }

  /** Drops every entry and restarts the log after `index` (a snapshot replaced a conflicting log). */
  resetSync(index: number): void {
    this.#entries = [];
    this.#offset = index + 1;
  }

  compactSync(index: number): void {
    if (index < this.#offset) return;
    if (index > this.lastIndexSync()) {
      this.#entries = [];
    } else {
      this.#entries = this.#entries.slice(index + 1 - this.#offset);
    }
    this.#offset = index + 1;
  }

  firstIndex(): Promise<number> {
    return Promise.resolve(this.firstIndexSync());
  }
  lastIndex(): Promise<number> {
    return Promise.resolve(this.lastIndexSync());
  }
  entries(lo: number, hi: number): Promise<Entry[]> {
    return Promise.resolve(this.entriesSync(lo, hi));
  }
  append(entries: readonly Entry[]): Promise<void> {
    this.appendSync(entries);
    return Promise.resolve();
  }
  compact(index: number): Promise<void> {
    this.compactSync(index);
    return Promise.resolve();
  }
}

/** In-memory StableStore with synchronous twins. */
export class MemoryStableStore implements StableStore {
  #state: HardState | undefined;

  loadSync(): HardState | undefined {
    return this.#state;
  }
  saveSync(state: HardState): void {
    this.#state = { ...state };
  }
  load(): Promise<HardState | undefined> {
    return Promise.resolve(this.loadSync());
  }
  save(state: HardState): Promise<void> {
    this.saveSync(state);
    return Promise.resolve();
  }
}

/** In-memory SnapshotStore with synchronous twins. */
export class MemorySnapshotStore implements SnapshotStore {
  #latest: Snapshot | undefined;

  latestSync(): Snapshot | undefined {
    return this.#latest;
  }
  saveSync(snapshot: Snapshot): void {
    this.#latest = snapshot;
  }
  latest(): Promise<Snapshot | undefined> {
    return Promise.resolve(this.latestSync());
  }
  save(snapshot: Snapshot): Promise<void> {
    this.saveSync(snapshot);
    return Promise.resolve();
  }
}

/**
 * A whole node's storage in memory: what survives a simulated crash. The
 * simulator persists each Ready with `persistReadySync` and rebuilds a crashed
 * node from `loadSync` alone.
 */
export class MemoryStorage implements RaftStorage, NodeStorage {
  readonly log = new MemoryLogStore();
  readonly stable = new MemoryStableStore();
  readonly snapshots = new MemorySnapshotStore();

  /** Step 1 of handling a Ready: snapshot, entries and hard state, in that order. */
  persistReadySync(ready: Ready): void {
    if (ready.snapshot !== undefined) this.installSnapshotSync(ready.snapshot);
    this.log.appendSync(ready.entries);
    if (ready.hardState !== undefined) this.stable.saveSync(ready.hardState);
  }

  /** Records a snapshot and drops the log it covers (both a local compaction and one received from a leader). */
  installSnapshotSync(snapshot: Snapshot): void {
    const current = this.snapshots.latestSync();
    if (current !== undefined && current.meta.index >= snapshot.meta.index) return;
    this.snapshots.saveSync(snapshot);
    const index = snapshot.meta.index;
    const kept = this.log.entriesSync(index, index + 1)[0];
    if (kept !== undefined && kept.term === snapshot.meta.term) {
      // Our log agrees with the snapshot at its last index: keep the suffix (§7, Figure 13 step 6).
      this.log.compactSync(index);
    } else {
      this.log.resetSync(index);
    }
  }

  loadSync(): PersistedState {
    const snapshot = this.snapshots.latestSync();
    const hardState = this.stable.loadSync();
    const entries = this.log.entriesSync(this.log.firstIndexSync(), this.log.lastIndexSync() + 1);
    return {
      entries,
      ...(hardState === undefined ? {} : { hardState }),
      ...(snapshot === undefined ? {} : { snapshot }),
    };
  }

  load(): PersistedState {
    return this.loadSync();
  }

  persistReady(ready: Ready): Promise<boolean> {
    this.persistReadySync(ready);
    return Promise.resolve(true);
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.installSnapshotSync(snapshot);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
