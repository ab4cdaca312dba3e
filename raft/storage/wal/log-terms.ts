import type { Entry } from '../../core/types.ts';

/**
 * The term of every index the WAL holds, as runs (terms change rarely), so
 * the writer can tell whether a leader's snapshot agrees with the log
 * without reading entries back.
 */
export class LogTerms {
  /** Runs in index order: `term` from `from` up to the next run (or `last`). */
  #runs: { from: number; term: number }[] = [];
  #base: number;
  #last: number;

  constructor(base: number, entries: readonly Entry[]) {
    this.#base = base;
    this.#last = base;
    this.append(entries);
  }

  get last(): number {
    return this.#last;
  }

  termAt(index: number): number | undefined {
    if (index <= this.#base || index > this.#last) return undefined;
    for (let k = this.#runs.length - 1; k >= 0; k--)
      if (this.#runs[k]!.from <= index) return this.#runs[k]!.term;
    return undefined;
  }

  /** Appends entries; the first replaces any index at or after it. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.#base) this.reset(first.index - 1);
    while (this.#runs.length > 0 && this.#runs.at(-1)!.from >= first.index) this.#runs.pop();
    for (const e of entries) {
      if (this.#runs.at(-1)?.term !== e.term) this.#runs.push({ from: e.index, term: e.term });
    }
    this.#last = entries.at(-1)!.index;
  }

  /** A leader's snapshot at `index`: keeps the suffix when the log agreed with it there, else drops everything. */
  installSnapshot(index: number, keep: boolean): void {
    if (keep) this.compact(index);
    else this.reset(index);
  }

  /** Forgets indexes at or below `index` (covered by a snapshot). */
  compact(index: number): void {
    if (index <= this.#base) return;
    if (index >= this.#last) {
      this.reset(index);
      return;
    }
    const term = this.termAt(index + 1)!;
    this.#runs = this.#runs.filter((r) => r.from > index + 1);
    this.#runs.unshift({ from: index + 1, term });
    this.#base = index;
  }

  private reset(base: number): void {
    this.#runs = [];
    this.#base = base;
    this.#last = base;
  }
}
