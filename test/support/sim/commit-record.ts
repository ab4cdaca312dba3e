/** A commit a leader reported: in its term `leaderTerm`, everything up to `index` (whose entry has `term`). */
export interface LeaderCommit {
  readonly leaderTerm: number;
  readonly index: number;
  readonly term: number;
}

/**
 * What the whole simulation knows to be committed: the term of the entry at
 * each committed index (from leaders' commit indexes, applied entries and
 * installed snapshots) and, per leader term, the highest commit its leader
 * reported. Knowledge only grows; a second, different term for one index is
 * itself a violation, which `note` reports by returning the older term.
 */
export class CommitRecord {
  /** index → term of the committed entry there. */
  readonly #terms = new Map<number, number>();
  /** leader term → the highest commit the leader of that term reported. */
  readonly #byLeaderTerm = new Map<number, LeaderCommit>();
  #maxIndex = 0;

  /** The highest index known committed (0 when none). */
  get maxIndex(): number {
    return this.#maxIndex;
  }

  termOf(index: number): number | undefined {
    return this.#terms.get(index);
  }

  /** Records that `index` is committed with an entry of `term`; returns the recorded term when it differs. */
  note(index: number, term: number): number | undefined {
    const known = this.#terms.get(index);
    if (known !== undefined) return known === term ? undefined : known;
    this.#terms.set(index, term);
    if (index > this.#maxIndex) this.#maxIndex = index;
    return undefined;
  }

  /** Records a leader's commit index; returns true when it is news (higher than that term's previous one). */
  noteLeaderCommit(commit: LeaderCommit): boolean {
    const known = this.#byLeaderTerm.get(commit.leaderTerm);
    if (known !== undefined && known.index >= commit.index) return false;
    this.#byLeaderTerm.set(commit.leaderTerm, commit);
    return true;
  }

  /** Every term's highest leader commit made in a term below `term` (what a leader of `term` must hold, §5.4). */
  *commitsBefore(term: number): Iterable<LeaderCommit> {
    for (const commit of this.#byLeaderTerm.values()) {
      if (commit.leaderTerm < term) yield commit;
    }
  }
}
