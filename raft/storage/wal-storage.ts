import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HardState, PersistedState, Ready, Snapshot } from '../core/types.ts';
import { type Logger, noopLogger } from '../logger.ts';
import { StorageCorruptionError } from './corruption-error.ts';
import { FileSnapshotStore } from './file-snapshot-store.ts';
import { mustSync } from './must-sync.ts';
import { syncDir } from './sync-dir.ts';
import type { NodeStorage } from './types.ts';
import { LogTerms } from './wal/log-terms.ts';
import { newFrame, scanSegment, sealFrame } from './wal/wal-frame.ts';
import { packRecord, unpackRecord } from './wal/wal-record-codec.ts';
import { ReplayError, type WalRecord, WalReplay } from './wal/wal-replay.ts';

/** etcd's segment size: large enough that cutting is rare, small enough to drop often after snapshots. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * How far ahead of the last frame a segment file is extended (sparse), the
 * extension synced on its own: a frame's synced write then never changes the
 * file's size (its blocks are still allocated as it lands: zero-filling the
 * extension would save that, unmeasured). Steps, not the whole 64 MB at
 * once, so a start does not read 64 MB of holes.
 */
const PREALLOCATE_BYTES = 4 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{16})\.wal$/;
/**
 * Segments are written with O_DSYNC: a write returns once its data (and the
 * metadata needed to read it back) is durable, which is what write + fdatasync
 * gives, in one trip to the thread pool instead of two — the second trip
 * waited for the event loop to come back to it between the two.
 */
const APPEND_FLAGS = constants.O_RDWR | constants.O_DSYNC;
const CREATE_FLAGS = APPEND_FLAGS | constants.O_CREAT | constants.O_TRUNC;

export interface WalStorageOptions {
  readonly logger?: Logger;
  /** Bytes of frames per segment file before the next is cut (tests use small ones to exercise cutting). */
  readonly segmentBytes?: number;
}

interface Segment {
  readonly seq: number;
  /** The log's last index when this segment was cut: every entry before it is in older segments. */
  readonly cut: number;
  readonly path: string;
}

function segmentName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.wal`;
}

/**
 * A node's Raft state as a write-ahead log of segment files plus snapshot
 * files, as etcd keeps it. Each Ready is one frame (entries, hard state, a
 * snapshot marker) appended with one O_DSYNC write into a segment file
 * extended (sparse) ahead of its frames, so a frame's sync never also carries
 * a size change. A later append at index i replaces everything from i on when the
 * log is replayed; segments wholly below a snapshot are deleted.
 *
 * Replaces LevelStorage for new data directories: a LevelDB batch of a few
 * hundred entries costs milliseconds of CPU on the event loop before its
 * fsync even starts (docs/benchmarks.md), the WAL one pack and one copy.
 *
 * Opening replays every segment and verifies every frame's CRC32. A torn last
 * frame (in the last segment, part of it never written, nothing valid after
 * it) was never acknowledged and is dropped with a warning; anything else
 * that fails verification throws StorageCorruptionError naming the file and
 * offset or index.
 */
export class WalStorage implements NodeStorage {
  /** What `open` tolerated and repaired (a torn last frame), for the node's log. */
  readonly warnings: string[] = [];
  /** The state read at open, until the node first writes (load() hands it over; keeping it would hold the whole startup log). */
  #loaded: PersistedState | undefined;
  #segments: Segment[];
  #handle: FileHandle;
  /** Where the next frame goes in the current segment, and the segment's preallocated size. */
  #offset: number;
  /** The current segment file's size: frames up to it need no size change. */
  #capacity: number;
  /** Frames in the current segment: a segment holding only its cut frame takes any frame, however large. */
  #framesInSegment: number;
  #terms: LogTerms;
  /** The hard state last written, and one that only moved the commit index, held for the next write. */
  #written: HardState | undefined;
  #unwrittenHardState: HardState | undefined;
  /** Index of the newest snapshot stored: an older or equal one changes nothing. */
  #snapshotIndex: number;
  /** The append in progress: appends are written one after another. */
  #appending: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    private readonly walDir: string,
    readonly snapshots: FileSnapshotStore,
    private readonly segmentBytes: number,
    state: {
      loaded: PersistedState;
      segments: Segment[];
      handle: FileHandle;
      offset: number;
      capacity: number;
      frames: number;
      terms: LogTerms;
    },
  ) {
    this.#loaded = state.loaded;
    this.#segments = state.segments;
    this.#handle = state.handle;
    this.#offset = state.offset;
    this.#capacity = state.capacity;
    this.#framesInSegment = state.frames;
    this.#terms = state.terms;
    this.#written = state.loaded.hardState;
    this.#snapshotIndex = state.loaded.snapshot?.meta.index ?? 0;
  }

  /** Opens (creating if needed) the WAL in `dir`/wal and the snapshots in `dir`/snapshots, verifying both. */
  static async open(dir: string, options: WalStorageOptions = {}): Promise<WalStorage> {
    const walDir = join(dir, 'wal');
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    await mkdir(walDir, { recursive: true });
    const snapshots = await FileSnapshotStore.open(join(dir, 'snapshots'));
    await syncDir(dir); // wal/ and snapshots/ themselves survive a crash
    const snapshot = await snapshots.latest();
    const names = await readdir(walDir);
    // A .tmp file is a segment whose creation crashed before its rename: it holds nothing acknowledged.
    for (const name of names) if (name.endsWith('.tmp')) await rm(join(walDir, name), { force: true });
    const segments = names
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((m) => m !== null)
      .map((m) => ({ seq: Number(m[1]), cut: 0, path: join(walDir, m[0]) }))
      .sort((a, b) => a.seq - b.seq);
    const warnings: string[] = [];
    let opened: Awaited<ReturnType<typeof replaySegments>>;
    if (segments.length === 0) {
      if (snapshot !== undefined)
        throw new StorageCorruptionError(walDir, 'a snapshot is stored but the write-ahead log is missing');
      const first = await createSegment(walDir, 1, segmentBytes, { cut: 0 });
      opened = {
        segments: [first.segment],
        state: { entries: [], walLast: 0, snapshotNotRecorded: false },
        tail: first,
      };
    } else {
      opened = await replaySegments(walDir, segments, snapshot, warnings);
    }
    const { state, tail } = opened;
    const loaded: PersistedState = {
      entries: state.entries,
      ...(state.hardState === undefined ? {} : { hardState: state.hardState }),
      ...(snapshot === undefined ? {} : { snapshot }),
    };
    // Until the snapshot's record is written below, the WAL still ends where it ended: a segment
    // cut for that record must say so.
    const terms = state.snapshotNotRecorded
      ? new LogTerms(state.walLast, [])
      : new LogTerms(snapshot?.meta.index ?? 0, state.entries);
    const storage = new WalStorage(walDir, snapshots, segmentBytes, {
      loaded,
      segments: opened.segments,
      handle: tail.handle,
      offset: tail.offset,
      capacity: tail.capacity,
      frames: tail.frames,
      terms,
    });
    storage.warnings.push(...warnings);
    for (const warning of warnings) (options.logger ?? noopLogger).warn({ dir }, warning);
    if (state.snapshotNotRecorded && snapshot !== undefined) {
      // The snapshot superseded the log but the crash came before its record: write it now, so the
      // next replay drops the same entries before anything appended after them.
      const { index, term } = snapshot.meta;
      await storage.append({
        snap: { index, term, keep: false },
        ...(state.hardState ? { hardState: state.hardState } : {}),
      });
    }
    return storage;
  }

  /**
   * What the core needs to start: the state verified by `open`. Valid until
   * the first write; after it the storage no longer holds the startup log
   * (the core compacts it away, and this copy would keep it in memory).
   */
  load(): PersistedState {
    if (this.#loaded === undefined) throw new Error('WalStorage.load() is only valid before the first write');
    return this.#loaded;
  }

  /**
   * Step 1 of handling a Ready: the snapshot file first (tmp, fsync, rename),
   * then one frame with the snapshot marker, the entries and the hard state.
   */
  async persistReady(ready: Ready): Promise<boolean> {
    this.#loaded = undefined;
    const hs = ready.hardState;
    // A snapshot no newer than ours changes nothing (MemoryStorage's rule; the core never sends one).
    const snapshot =
      ready.snapshot !== undefined && ready.snapshot.meta.index > this.#snapshotIndex
        ? ready.snapshot
        : undefined;
    if (!mustSync(ready, snapshot !== undefined, this.#written)) {
      if (hs !== undefined) this.#unwrittenHardState = hs;
      return false;
    }
    const hardState = hs ?? this.#unwrittenHardState;
    let snap: WalRecord['snap'];
    if (snapshot !== undefined) {
      await this.snapshots.save(snapshot);
      this.#snapshotIndex = snapshot.meta.index;
      const { index, term } = snapshot.meta;
      snap = { index, term, keep: this.#terms.termAt(index) === term };
    }
    await this.append({
      ...(snap === undefined ? {} : { snap }),
      ...(ready.entries.length === 0 ? {} : { entries: ready.entries }),
      ...(hardState === undefined ? {} : { hardState }),
    });
    if (snap !== undefined) await this.dropSegmentsBelow(snap.index);
    return true;
  }

  /** Saves a local FSM snapshot, then deletes the segments it covers. An older or equal one changes nothing. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.#loaded = undefined;
    const { index, term } = snapshot.meta;
    if (index <= this.#snapshotIndex) return;
    await this.snapshots.save(snapshot);
    this.#snapshotIndex = index;
    if (index > this.#terms.last) {
      // Past the end of the log (the runtime never does this: it snapshots at the applied index):
      // the WAL must record it, or the next append would replay as a gap.
      await this.append({ snap: { index, term, keep: false } });
    } else {
      this.#terms.compact(index);
    }
    await this.dropSegmentsBelow(index);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#appending;
    // A clean stop keeps the latest commit index (a restart then applies up to it at once).
    if (this.#unwrittenHardState !== undefined) await this.append({ hardState: this.#unwrittenHardState });
    this.#closed = true;
    await this.#handle.close();
  }

  /** Appends one record as a frame (after any append in progress), cutting a new segment first when it does not fit. */
  private append(record: WalRecord): Promise<void> {
    const done = this.#appending.then(() => this.appendNow(record));
    this.#appending = done.catch(() => undefined);
    return done;
  }

  private async appendNow(record: WalRecord): Promise<void> {
    if (this.#closed) throw new Error('WAL is closed');
    // packRecord() returns a view of the packer's shared buffer: newFrame copies it before anything else packs.
    const frame = newFrame(packRecord(record));
    if (this.#offset + frame.byteLength > this.segmentBytes && this.#framesInSegment > 1) await this.cut();
    const end = this.#offset + frame.byteLength;
    if (end > this.#capacity) {
      // Extending the file is a metadata change: make it durable on its own (once per 4 MB), so a
      // frame's synced write never depends on the size being flushed with it.
      this.#capacity = Math.max(end, Math.min(this.segmentBytes, this.#capacity + PREALLOCATE_BYTES));
      await this.#handle.truncate(this.#capacity);
      await this.#handle.sync();
    }
    sealFrame(frame, this.#segments.at(-1)!.seq, this.#offset);
    await writeAt(this.#handle, frame, this.#offset); // durable on return (O_DSYNC)
    this.#offset += frame.byteLength;
    this.#framesInSegment++;
    if (record.snap !== undefined) this.#terms.installSnapshot(record.snap.index, record.snap.keep);
    if (record.entries !== undefined) this.#terms.append(record.entries);
    if (record.hardState !== undefined) {
      this.#written = record.hardState;
      this.#unwrittenHardState = undefined;
    }
  }

  /** Starts the next segment, whose first frame records where the log ended and the hard state. */
  private async cut(): Promise<void> {
    const seq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    const next = await createSegment(this.walDir, seq, this.segmentBytes, {
      cut: this.#terms.last,
      ...(this.#written === undefined ? {} : { hardState: this.#written }),
    });
    await this.#handle.close();
    this.#segments.push(next.segment);
    this.#handle = next.handle;
    this.#offset = next.offset;
    this.#capacity = next.capacity;
    this.#framesInSegment = next.frames;
  }

  /**
   * Deletes the oldest segments while the next one starts at or below
   * `index`: everything they hold is covered by the snapshot. The current
   * segment is never deleted. Oldest first, so a crash leaves a suffix.
   */
  private async dropSegmentsBelow(index: number): Promise<void> {
    let keepFrom = 0;
    for (let k = 1; k < this.#segments.length; k++) if (this.#segments[k]!.cut <= index) keepFrom = k;
    // One directory sync per deletion: a crash must leave a suffix of the segments, never a gap.
    for (const segment of this.#segments.splice(0, keepFrom)) {
      await rm(segment.path, { force: true });
      await syncDir(this.walDir);
    }
  }
}

async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

interface Tail {
  readonly handle: FileHandle;
  readonly offset: number;
  readonly capacity: number;
  /** Valid frames already in the segment (its cut frame included). */
  readonly frames: number;
}

/**
 * Creates segment `seq` as `<name>.tmp`, preallocated (sparse) to `bytes`,
 * with its cut frame written and synced, then renames it into place and
 * syncs the directory: a segment that exists always starts with its cut.
 */
async function createSegment(
  walDir: string,
  seq: number,
  bytes: number,
  header: WalRecord,
): Promise<Tail & { segment: Segment }> {
  const path = join(walDir, segmentName(seq));
  const tmp = `${path}.tmp`;
  const frame = newFrame(packRecord(header));
  sealFrame(frame, seq, 0);
  const handle = await open(tmp, CREATE_FLAGS);
  try {
    await handle.truncate(Math.min(bytes, PREALLOCATE_BYTES));
    await writeAt(handle, frame, 0);
    await handle.sync();
    await rm(path, { force: true });
    await rename(tmp, path);
    await syncDir(walDir);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    segment: { seq, cut: header.cut ?? 0, path },
    handle,
    offset: frame.byteLength,
    capacity: Math.max(Math.min(bytes, PREALLOCATE_BYTES), frame.byteLength),
    frames: 1,
  };
}

/**
 * Replays every segment in order and reconciles the result with the snapshot.
 * Opens the last segment for appending after its last valid frame.
 */
async function replaySegments(
  walDir: string,
  found: Segment[],
  snapshot: Snapshot | undefined,
  warnings: string[],
): Promise<{
  segments: Segment[];
  state: ReturnType<WalReplay['finish']>;
  tail: Tail;
}> {
  const replay = new WalReplay();
  const segments: Segment[] = [];
  let tornAt: number | undefined;
  let end = 0;
  let frames = 0;
  for (const [k, segment] of found.entries()) {
    const isLast = k === found.length - 1;
    if (k > 0 && segment.seq !== found[k - 1]!.seq + 1)
      throw new StorageCorruptionError(
        segment.path,
        `segment ${found[k - 1]!.seq + 1} is missing between ${found[k - 1]!.path} and this one`,
      );
    const file = await readFile(segment.path);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const scan = scanSegment(bytes, segment.seq);
    if (scan.bad !== undefined) {
      const { offset, detail, torn, validFrameAfter } = scan.bad;
      if (!isLast || !torn) {
        const why = validFrameAfter
          ? ', with valid frames after it'
          : isLast
            ? ', and every sector of it was written: damage, not a torn write'
            : '';
        throw new StorageCorruptionError(segment.path, `${detail} at byte ${offset}${why}`);
      }
      // etcd's WAL rule: a torn write at the very end was never synced, so never acknowledged.
      tornAt = offset;
      warnings.push(`dropped a torn frame at the end of ${segment.path}, byte ${offset} (${detail})`);
    }
    if (scan.payloads.length === 0)
      throw new StorageCorruptionError(
        segment.path,
        'segment has no cut frame (it is empty or its first frame is bad)',
      );
    let cut = 0;
    for (const [i, payload] of scan.payloads.entries()) {
      let record: WalRecord;
      try {
        record = unpackRecord(payload);
      } catch (cause) {
        throw new StorageCorruptionError(segment.path, `undecodable frame ${i}: ${(cause as Error).message}`);
      }
      try {
        replay.apply(record, i === 0);
      } catch (error) {
        if (!(error instanceof ReplayError)) throw error;
        throw new StorageCorruptionError(segment.path, `frame ${i}: ${error.message}`, error.index);
      }
      if (i === 0) cut = record.cut ?? 0;
    }
    segments.push({ ...segment, cut });
    end = scan.end;
    frames = scan.payloads.length;
  }
  let state: ReturnType<WalReplay['finish']>;
  try {
    state = replay.finish(snapshot);
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    throw new StorageCorruptionError(walDir, error.message, error.index);
  }
  const last = segments.at(-1)!;
  const handle = await open(last.path, APPEND_FLAGS);
  const size = (await stat(last.path)).size;
  if (tornAt !== undefined) {
    // Zero the torn bytes (truncate, then extend as a hole again), so they cannot be mistaken for
    // frames once new ones are written in front of them.
    await handle.truncate(end);
    await handle.truncate(size);
    await handle.sync();
  }
  return { segments, state, tail: { handle, offset: end, capacity: size, frames } };
}
