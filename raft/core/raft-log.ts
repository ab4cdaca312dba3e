import { EMPTY_CONF } from './config.ts';
import { RaftError } from './errors.ts';
import type { ConfState, Entry, SnapshotMeta } from './types.ts';

/** Bytes an entry counts for when messages are size-limited. */
export function entrySize(entry: Entry): number {
  return entry.type === 'normal' ? entry.data.byteLength + 16 : 64;
}

/**
 * The in-memory view of a node's log: the entries since the last snapshot,
 * with the bookkeeping that ties them to storage and to the state machine.
 *
 * Invariants (§5.3, §5.4 and the Ready contract):
 *   snapIndex <= applied <= applying <= committed
 *   applying <= stable (only durable entries are applied)
 *   stable <= persisting <= lastIndex (handed-out entries become stable on advance)
 *   snapIndex <= committed: compacted entries are always committed.
 */
export class RaftLog {
  /** Last index and term covered by the snapshot (0/0 for none). */
  snapIndex = 0;
  snapTerm = 0;
  /** Configuration in force at `snapIndex`. */
  snapConf: ConfState = EMPTY_CONF;
  /** entries[k] has index snapIndex + 1 + k. */
  private entries: Entry[] = [];
  /** Conf entries still in `entries`, in index order, so truncation can restore the previous configuration. */
  private confs: { index: number; conf: ConfState }[] = [];

  committed = 0;
  /** Highest index handed to the caller for applying. */
  applying = 0;
  /** Highest index the caller reported applied. */
  applied = 0;
  /** Highest index known durable. */
  stable = 0;
  /** Highest index handed to the caller for persisting. */
  persisting = 0;

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /** The configuration from the latest conf entry in the log, committed or not (§4.1 of the thesis). */
  conf(): ConfState {
    return this.confs.at(-1)?.conf ?? this.snapConf;
  }

  /** Index of the latest conf entry still in the log, or the snapshot index when there is none. */
  lastConfIndex(): number {
    return this.confs.at(-1)?.index ?? this.snapIndex;
  }

  confAt(index: number): ConfState {
    let conf = this.snapConf;
    for (const c of this.confs) {
      if (c.index > index) break;
      conf = c.conf;
    }
    return conf;
  }

  /** Entries in [lo, hi) limited to `maxCount` entries and about `maxBytes` (at least one entry). */
  slice(
    lo: number,
    hi: number,
    maxCount = Number.POSITIVE_INFINITY,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Entry[] {
    const from = Math.max(lo, this.firstIndex());
    const to = Math.min(hi, this.lastIndex() + 1, from + maxCount);
    if (from >= to) return [];
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i < to; i++) {
      const e = this.entries[i - this.snapIndex - 1]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Last index whose term is `term`, searching at or below `upTo`; 0 when there is none. */
  lastIndexOfTerm(term: number, upTo: number): number {
    for (let i = Math.min(upTo, this.lastIndex()); i > this.snapIndex; i--) {
      const t = this.entries[i - this.snapIndex - 1]!.term;
      if (t === term) return i;
      if (t < term) return 0;
    }
    return this.snapTerm === term ? this.snapIndex : 0;
  }

  /** First index of the run of `term` that contains `index` (bounded below by committed + 1). */
  firstIndexOfTermRun(index: number): number {
    const term = this.term(index);
    let i = index;
    while (i - 1 > this.committed && i - 1 > this.snapIndex && this.term(i - 1) === term) i--;
    return i;
  }

  /**
   * Follower side of AppendEntries (§5.3): if our entry at prevIndex has
   * prevTerm, append what conflicts or is new and return the last new index;
   * otherwise undefined and nothing changes.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      if (!this.matchTerm(e.index, e.term)) {
        // First conflict (or first new entry): everything from here is replaced.
        this.append(entries.slice(k));
        break;
      }
    }
    return lastNew;
  }

  /** Appends entries, replacing any existing entry at the same or a later index. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.committed) {
      throw new Error(
        `raft: refusing to overwrite committed index ${first.index} (committed ${this.committed})`,
      );
    }
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`raft: log gap appending index ${first.index} after ${this.lastIndex()}`);
    }
    const keep = first.index - this.snapIndex - 1;
    if (keep < this.entries.length) {
      this.entries.length = keep;
      while ((this.confs.at(-1)?.index ?? 0) >= first.index) this.confs.pop();
    }
    this.stable = Math.min(this.stable, first.index - 1);
    this.persisting = Math.min(this.persisting, first.index - 1);
    for (const e of entries) {
      this.entries.push(e);
      if (e.type === 'conf') this.confs.push({ index: e.index, conf: e.conf });
    }
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new Error(`raft: commit ${index} is beyond the last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  /** Entries to hand out for persisting (and marks them handed out). */
  takeUnpersisted(): Entry[] {
    const out = this.slice(this.persisting + 1, this.lastIndex() + 1);
    this.persisting = this.lastIndex();
    return out;
  }

  hasUnpersisted(): boolean {
    return this.persisting < this.lastIndex();
  }

  /** Called on advance: entries up to (index, term) are durable, unless they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.matchTerm(index, term)) this.stable = index;
  }

  /** Committed, durable entries not yet handed out for applying. */
  hasApplicable(): boolean {
    return Math.min(this.committed, this.stable) > this.applying;
  }

  /** Up to `max` of them, in order (the rest stay applicable for the next call). */
  takeApplicable(max = Number.POSITIVE_INFINITY): Entry[] {
    const hi = Math.min(this.committed, this.stable);
    const out = this.slice(this.applying + 1, hi + 1, max);
    if (out.length > 0) this.applying = out.at(-1)!.index;
    return out;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the whole log with a snapshot received from the leader (§7). */
  restore(meta: SnapshotMeta): void {
    this.entries = [];
    this.confs = [];
    this.snapIndex = meta.index;
    this.snapTerm = meta.term;
    this.snapConf = meta.conf;
    this.committed = Math.max(this.committed, meta.index);
    this.applying = Math.max(this.applying, meta.index);
    this.stable = meta.index;
    this.persisting = meta.index;
  }

  /** Drops entries at or below `index`, now covered by a local snapshot. */
  compact(index: number): void {
    if (index <= this.snapIndex) return;
    if (index > this.applied) {
      throw new RaftError('INVALID_ARGUMENT', `cannot compact to ${index}: only ${this.applied} is applied`);
    }
    this.snapTerm = this.term(index)!;
    this.snapConf = this.confAt(index);
    this.entries = this.entries.slice(index - this.snapIndex);
    this.confs = this.confs.filter((c) => c.index > index);
    this.snapIndex = index;
  }
}
