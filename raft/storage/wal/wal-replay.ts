import type { Entry, HardState, Snapshot } from '../../core/types.ts';

/** What one WAL frame holds. Every field is optional; a Ready writes the ones it has. */
export interface WalRecord {
  /** The first frame of every segment: the log's last index when the segment was cut. */
  readonly cut?: number;
  /**
   * A leader's snapshot was installed here: the log up to `index` is superseded, and the rest
   * too unless the log agreed with the snapshot at its index (`keep`, decided by the writer, which
   * knows the term there even when the segment holding it was since deleted).
   */
  readonly snap?: { readonly index: number; readonly term: number; readonly keep: boolean };
  /** Entries appended; the first replaces any stored entry at its index or later. */
  readonly entries?: readonly Entry[];
  /** The hard state from this frame on. */
  readonly hardState?: HardState;
}

/** A replay found a record that cannot follow what came before it. */
export class ReplayError extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}

/** What the node starts from, after the snapshot on disk is taken into account. */
export interface ReplayedState {
  readonly entries: Entry[];
  /** Where the log in the WAL ends, before the snapshot is taken into account. */
  readonly walLast: number;
  readonly hardState?: HardState;
  /**
   * The snapshot supersedes entries the WAL still holds (a crash between saving a leader's
   * snapshot and writing its record): the WAL must record the install before anything else.
   */
  readonly snapshotNotRecorded: boolean;
}

/**
 * Replays WAL records in order (etcd's rule: a later append at index i
 * replaces everything from i on), starting from the oldest segment kept.
 * Entries at or below `base` are in segments compacted away.
 */
export class WalReplay {
  #base: number | undefined;
  #entries: Entry[] = [];
  #hardState: HardState | undefined;

  get last(): number {
    return (this.#base ?? 0) + this.#entries.length;
  }

  /** Applies one record; `firstOfSegment` says whether it opened its segment (and so must be a cut). */
  apply(record: WalRecord, firstOfSegment: boolean): void {
    if (firstOfSegment) {
      if (typeof record.cut !== 'number') throw new ReplayError('segment does not start with a cut record');
      if (this.#base === undefined) this.#base = record.cut;
      else if (record.cut !== this.last)
        throw new ReplayError(
          `segment was cut when the log ended at ${record.cut}, but the segments before it end at ${this.last}`,
        );
    } else if (record.cut !== undefined) {
      throw new ReplayError('cut record in the middle of a segment');
    }
    if (record.snap !== undefined) this.installSnapshot(record.snap.index, record.snap.keep);
    if (record.entries !== undefined && record.entries.length > 0) this.append(record.entries);
    if (record.hardState !== undefined) this.#hardState = record.hardState;
  }

  private termAt(index: number): number | undefined {
    const base = this.#base ?? 0;
    return index > base ? this.#entries[index - base - 1]?.term : undefined;
  }

  private installSnapshot(index: number, keep: boolean): void {
    const base = this.#base ?? 0;
    if (!keep) {
      this.#entries = [];
      this.#base = index;
    } else if (index > base) {
      this.#entries = this.#entries.slice(index - base);
      this.#base = index;
    }
  }

  private append(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    for (const [k, e] of entries.entries()) {
      if (e.index !== first + k)
        throw new ReplayError(`entries out of order: expected index ${first + k}, found ${e.index}`, e.index);
    }
    const base = this.#base ?? 0;
    if (first > this.last + 1)
      throw new ReplayError(`gap in the log: expected index ${this.last + 1}, found ${first}`, first);
    if (first <= base) {
      this.#base = first - 1;
      this.#entries = [...entries];
      return;
    }
    this.#entries.length = first - base - 1;
    for (const e of entries) this.#entries.push(e);
  }

  /**
   * The state to start from: entries after `snapshot`, checked against it and
   * against the hard state. Throws ReplayError when they cannot be reconciled.
   */
  finish(snapshot: Snapshot | undefined): ReplayedState {
    const base = this.#base ?? 0;
    const snapIndex = snapshot?.meta.index ?? 0;
    let entries = this.#entries;
    let snapshotNotRecorded = false;
    if (snapshot === undefined) {
      if (base > 0) throw new ReplayError(`the log was compacted to ${base} but no snapshot is stored`, base);
    } else {
      // Segments are dropped only below a snapshot, and a snap record never passes the snapshot
      // file (the file is saved first): a log that starts after the snapshot has lost entries.
      if (base > snapIndex)
        throw new ReplayError(`log starts at ${base + 1} but the snapshot ends at ${snapIndex}`, snapIndex);
      const agrees =
        snapIndex <= this.last && (snapIndex === base || this.termAt(snapIndex) === snapshot.meta.term);
      snapshotNotRecorded = !agrees;
      entries = agrees ? entries.slice(snapIndex - base) : [];
    }
    const last = entries.at(-1)?.index ?? snapIndex;
    const hs = this.#hardState;
    if (hs !== undefined && hs.commit > last)
      throw new ReplayError(`hard state commits index ${hs.commit} but the log ends at ${last}`, hs.commit);
    return {
      entries,
      walLast: this.last,
      ...(hs === undefined ? {} : { hardState: hs }),
      snapshotNotRecorded,
    };
  }
}
