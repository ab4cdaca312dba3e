import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import type { Entry, HardState, PersistedState, Ready, Snapshot } from '../core/types.ts';
import { type Logger, noopLogger } from '../logger.ts';
import { StorageCorruptionError } from './corruption-error.ts';
import { FileSnapshotStore } from './file-snapshot-store.ts';
import { mustSync } from './must-sync.ts';
import { decodeRecord, encodeRecord, indexKey, keyIndex } from './record-codec.ts';
import type { LogStore, NodeStorage, RaftStorage, StableStore } from './types.ts';

const ENTRY = 0x65; // 'e' + 8-byte big-endian index
const HARD_STATE = Uint8Array.of(0x68); // 'h'
const FIRST_INDEX = Uint8Array.of(0x66); // 'f': the first index the log may hold (compaction point + 1)

type Db = Level<Uint8Array, Uint8Array>;
type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/**
 * A node's Raft state on disk: entries and hard state in LevelDB (one batch
 * per Ready, written with `sync: true`, so a Ready is durable or absent as a
 * whole — LevelDB's own log drops a torn, unacknowledged batch on recovery),
 * snapshots as files. Every record carries a CRC32, and `open` verifies the
 * whole log: any checksum mismatch, gap or impossible hard state throws
 * StorageCorruptionError naming the directory and index.
 */
export class LevelStorage implements RaftStorage, NodeStorage {
  readonly log: LogStore;
  readonly stable: StableStore;
  /** Index of the first stored entry, and of the last (first - 1 when empty). */
  #first = 1;
  #last = 0;
  #loaded: PersistedState;
  /** A hard state that only moved the commit index, held for the next write. */
  #unwrittenHardState: HardState | undefined;
  /** Index of the newest snapshot stored: an older or equal one changes nothing (MemoryStorage's rule). */
  #snapshotIndex = 0;
  /** Term and vote of the last hard state written with an fsync. */
  #synced: { term: number; vote: string } = { term: 0, vote: '' };
  /** What `open` tolerated and repaired (a torn tail record), for the node's log. */
  readonly warnings: string[] = [];

  private constructor(
    private readonly db: Db,
    readonly snapshots: FileSnapshotStore,
    private readonly dir: string,
    loaded: PersistedState,
  ) {
    this.#loaded = loaded;
    this.log = {
      firstIndex: async () => this.#first,
      lastIndex: async () => this.#last,
      entries: (lo, hi) => this.readEntries(lo, hi),
      append: (entries) => this.write(this.appendOps(entries)),
      compact: (index) => this.compact(index),
    };
    this.stable = {
      load: async () => this.#loaded.hardState,
      save: (state) => this.write([{ type: 'put', key: HARD_STATE, value: encodeRecord(state) }]),
    };
  }

  /**
   * Opens (creating if needed) the storage in `dir` and verifies everything
   * in it. A torn last record — beyond the commit index, so never
   * acknowledged as committed — is dropped and reported through `logger` and
   * `warnings`; anything else that fails verification throws.
   */
  static async open(dir: string, options: { readonly logger?: Logger } = {}): Promise<LevelStorage> {
    await mkdir(dir, { recursive: true });
    const db: Db = new Level(join(dir, 'raft-log'), { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      const snapshots = await FileSnapshotStore.open(join(dir, 'snapshots'));
      const snapshot = await snapshots.latest();
      const storage = new LevelStorage(db, snapshots, dir, { entries: [] });
      storage.#loaded = await storage.verifyAndLoad(snapshot);
      storage.#snapshotIndex = snapshot?.meta.index ?? 0;
      const hs = storage.#loaded.hardState;
      if (hs !== undefined) storage.#synced = { term: hs.term, vote: hs.vote };
      for (const warning of storage.warnings) (options.logger ?? noopLogger).warn({ dir }, warning);
      return storage;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** What the core needs to start: the state verified by `open`. */
  load(): PersistedState {
    return this.#loaded;
  }

  private corrupt(detail: string, index?: number): StorageCorruptionError {
    return new StorageCorruptionError(this.dir, detail, index);
  }

  private async verifyAndLoad(snapshot: Snapshot | undefined): Promise<PersistedState> {
    const snapIndex = snapshot?.meta.index ?? 0;
    const firstRaw = await this.db.get(FIRST_INDEX);
    let first = 1;
    if (firstRaw !== undefined) {
      const decoded = decodeRecord(firstRaw);
      if ('error' in decoded) throw this.corrupt(`first-index record: ${decoded.error}`);
      first = decoded.value as number;
    }
    const hardState = await this.readHardState();
    const raw: [number, Uint8Array][] = [];
    for await (const [key, value] of this.db.iterator({
      gte: indexKey(ENTRY, 0),
      lte: indexKey(ENTRY, 2 ** 53),
    })) {
      raw.push([keyIndex(key), value]);
    }
    const entries: Entry[] = [];
    for (const [k, [index, value]] of raw.entries()) {
      const decoded = decodeRecord(value);
      if ('error' in decoded) {
        const isTail = k === raw.length - 1;
        if (!isTail || index <= (hardState?.commit ?? 0))
          throw this.corrupt(`log entry: ${decoded.error}`, index);
        // etcd's WAL rule: a torn write at the very end was never fsynced, so never acknowledged.
        await this.db.del(indexKey(ENTRY, index), { sync: true });
        this.warnings.push(`dropped a torn record at the tail of the log, index ${index} (${decoded.error})`);
        break;
      }
      const entry = decoded.value as Entry;
      if (entry.index !== index)
        throw this.corrupt(`entry stored under index ${index} says ${entry.index}`, index);
      const expected = (entries.at(-1)?.index ?? first - 1) + 1;
      if (index !== expected)
        throw this.corrupt(`gap in the log: expected index ${expected}, found ${index}`, index);
      entries.push(entry);
    }
    let kept = entries;
    if (snapshot !== undefined) {
      // Entries the snapshot covers are redundant; a suffix that disagrees with it was replaced by it
      // (a crash between saving a leader's snapshot and dropping the log it superseded).
      const atSnap = entries.find((e) => e.index === snapIndex);
      const agrees =
        atSnap === undefined
          ? (entries[0]?.index ?? snapIndex + 1) <= snapIndex + 1
          : atSnap.term === snapshot.meta.term;
      kept = agrees ? entries.filter((e) => e.index > snapIndex) : [];
      if (!agrees && (entries[0]?.index ?? 0) > snapIndex + 1) {
        throw this.corrupt(
          `log starts at ${entries[0]?.index} but the snapshot ends at ${snapIndex}`,
          snapIndex,
        );
      }
    } else if (entries.length > 0 && entries[0]!.index !== 1 && first === 1) {
      throw this.corrupt(`log starts at ${entries[0]!.index} with no snapshot before it`, entries[0]!.index);
    } else if (first > 1 && snapshot === undefined) {
      throw this.corrupt(`the log was compacted to ${first - 1} but no snapshot is stored`, first - 1);
    }
    if (hardState !== undefined) {
      const last = kept.at(-1)?.index ?? snapIndex;
      if (hardState.commit > last) {
        throw this.corrupt(
          `hard state commits index ${hardState.commit} but the log ends at ${last}`,
          hardState.commit,
        );
      }
    }
    if (snapshot !== undefined) await this.repairAfterSnapshot(entries, kept, snapIndex, first);
    this.#first = kept[0]?.index ?? snapIndex + 1;
    this.#last = kept.at(-1)?.index ?? snapIndex;
    return {
      entries: kept,
      ...(hardState === undefined ? {} : { hardState }),
      ...(snapshot === undefined ? {} : { snapshot }),
    };
  }

  /**
   * A crash between saving a snapshot file and the batch that compacts the
   * log leaves entries the snapshot covers or superseded. Delete them now,
   * durably, so the stored log is exactly what was loaded: otherwise a later
   * compaction or append would work against keys it does not know about.
   */
  private async repairAfterSnapshot(
    all: Entry[],
    kept: Entry[],
    snapIndex: number,
    first: number,
  ): Promise<void> {
    const keep = new Set(kept.map((e) => e.index));
    const ops: BatchOp[] = all
      .filter((e) => !keep.has(e.index))
      .map((e) => ({ type: 'del' as const, key: indexKey(ENTRY, e.index) }));
    if (first !== snapIndex + 1)
      ops.push({ type: 'put', key: FIRST_INDEX, value: encodeRecord(snapIndex + 1) });
    await this.write(ops);
  }

  private async readHardState(): Promise<HardState | undefined> {
    const raw = await this.db.get(HARD_STATE);
    if (raw === undefined) return undefined;
    const decoded = decodeRecord(raw);
    if ('error' in decoded) throw this.corrupt(`hard state: ${decoded.error}`);
    return decoded.value as HardState;
  }

  private async readEntries(lo: number, hi: number): Promise<Entry[]> {
    const out: Entry[] = [];
    for await (const [key, value] of this.db.iterator({
      gte: indexKey(ENTRY, lo),
      lt: indexKey(ENTRY, hi),
    })) {
      const decoded = decodeRecord(value);
      if ('error' in decoded) throw this.corrupt(`log entry: ${decoded.error}`, keyIndex(key));
      out.push(decoded.value as Entry);
    }
    return out;
  }

  /** Ops that append `entries`, deleting any stored suffix they replace. Updates the in-memory bounds. */
  private appendOps(entries: readonly Entry[]): BatchOp[] {
    const first = entries[0];
    if (first === undefined) return [];
    if (first.index > this.#last + 1) {
      throw new Error(`log gap: appending index ${first.index} after ${this.#last}`);
    }
    const ops: BatchOp[] = [];
    const newLast = entries.at(-1)!.index;
    for (let i = newLast + 1; i <= this.#last; i++) ops.push({ type: 'del', key: indexKey(ENTRY, i) });
    for (const e of entries) {
      if (e.index < this.#first) continue; // covered by the snapshot
      ops.push({ type: 'put', key: indexKey(ENTRY, e.index), value: encodeRecord(e) });
    }
    this.#last = Math.max(newLast, this.#first - 1);
    return ops;
  }

  /** Ops that drop every entry at or below `index`; with `resetTo` the whole log restarts after it. */
  private dropOps(index: number, everything: boolean): BatchOp[] {
    const ops: BatchOp[] = [];
    const upTo = everything ? this.#last : Math.min(index, this.#last);
    for (let i = this.#first; i <= upTo; i++) ops.push({ type: 'del', key: indexKey(ENTRY, i) });
    const first = Math.max(this.#first, index + 1);
    ops.push({ type: 'put', key: FIRST_INDEX, value: encodeRecord(first) });
    this.#first = first;
    if (everything || this.#last < first) this.#last = first - 1;
    return ops;
  }

  private async write(ops: BatchOp[], sync = true): Promise<void> {
    if (ops.length === 0) return;
    await this.db.batch(ops, { sync });
  }

  /** Drops entries covered by a local snapshot (already saved in `snapshots`). */
  async compact(index: number): Promise<void> {
    if (index < this.#first) return;
    await this.write(this.dropOps(index, false));
  }

  /**
   * Step 1 of handling a Ready: the snapshot file first (tmp, fsync, rename),
   * then the log it supersedes, the new entries and the hard state in one
   * synced batch.
   */
  async persistReady(ready: Ready): Promise<boolean> {
    const ops: BatchOp[] = [];
    const snapshot =
      ready.snapshot !== undefined && ready.snapshot.meta.index > this.#snapshotIndex
        ? ready.snapshot
        : undefined;
    if (snapshot !== undefined) {
      await this.snapshots.save(snapshot);
      this.#snapshotIndex = snapshot.meta.index;
      const { index, term } = snapshot.meta;
      const atSnap =
        index >= this.#first && index <= this.#last ? await this.readEntries(index, index + 1) : [];
      ops.push(...this.dropOps(index, atSnap[0]?.term !== term));
    }
    ops.push(...this.appendOps(ready.entries));
    const hs = ready.hardState;
    if (!mustSync(ready, snapshot !== undefined, this.#synced)) {
      if (hs !== undefined) this.#unwrittenHardState = hs;
      return false;
    }
    const latest = hs ?? this.#unwrittenHardState;
    if (latest !== undefined) ops.push({ type: 'put', key: HARD_STATE, value: encodeRecord(latest) });
    await this.write(ops, true);
    this.#unwrittenHardState = undefined;
    if (latest !== undefined) this.#synced = { term: latest.term, vote: latest.vote };
    return true;
  }

  /** Saves a local FSM snapshot, then drops the log it covers. An older or equal one changes nothing. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    if (snapshot.meta.index <= this.#snapshotIndex) return;
    await this.snapshots.save(snapshot);
    this.#snapshotIndex = snapshot.meta.index;
    await this.compact(snapshot.meta.index);
  }

  async close(): Promise<void> {
    const hs = this.#unwrittenHardState;
    this.#unwrittenHardState = undefined;
    // A clean stop keeps the latest commit index (a restart then applies up to it at once).
    if (hs !== undefined) await this.write([{ type: 'put', key: HARD_STATE, value: encodeRecord(hs) }], true);
    await this.db.close();
  }
}
