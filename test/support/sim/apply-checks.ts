import type { Entry, NodeId } from '../../../raft/core/types.ts';
import type { CommitRecord } from './commit-record.ts';
import { type ChainState, entryDigest } from './hash-chain-fsm.ts';
import type { ViolationLog } from './violations.ts';

/** What was applied at one index, by whichever node got there first. */
export interface AppliedAt {
  readonly term: number;
  /** The entry's digest; undefined when the index was first seen as a snapshot's last index. */
  readonly digest: string | undefined;
  /** The hash chain after applying it: equal chains ⇔ equal applied prefixes. */
  readonly chain: string;
  readonly first: NodeId;
}

/**
 * State-machine safety (§5.4.3): no two nodes apply different entries at one
 * index, and — through the hash chain, which snapshots carry across restarts
 * and installs — every node's applied sequence is a prefix of the longest.
 * Per node, applied indexes are contiguous and never go back.
 */
export class ApplyChecks {
  readonly #applied = new Map<number, AppliedAt>();
  readonly #log: ViolationLog;
  readonly #commits: CommitRecord;

  constructor(log: ViolationLog, commits: CommitRecord) {
    this.#log = log;
    this.#commits = commits;
  }

  /** What the first node to apply (or restore) up to `index` recorded there. */
  appliedAt(index: number): AppliedAt | undefined {
    return this.#applied.get(index);
  }

  /** `before` is the node's FSM state before applying `entry`, `after` the state after. */
  onApply(id: NodeId, entry: Entry, before: ChainState, after: ChainState): void {
    if (entry.index !== before.index + 1) {
      this.#log.report(
        'applied-order',
        id,
        `applied entry ${entry.index} right after ${before.index} (expected ${before.index + 1})`,
      );
    }
    this.#noteCommitted(id, entry.index, entry.term);
    this.#compare(id, entry.index, {
      term: entry.term,
      digest: entryDigest(entry),
      chain: after.chain,
      first: id,
    });
  }

  /**
   * The FSM was reset to a snapshot: received from a leader (`appliedBefore`
   * is what it had applied) or loaded at restart (`appliedBefore` undefined).
   */
  onRestore(id: NodeId, state: ChainState, appliedBefore: number | undefined): void {
    if (appliedBefore !== undefined && state.index < appliedBefore) {
      this.#log.report(
        'applied-order',
        id,
        `snapshot at ${state.index} moved the state machine back from applied index ${appliedBefore}`,
      );
    }
    if (state.index === 0) return;
    this.#noteCommitted(id, state.index, state.term);
    this.#compare(id, state.index, { term: state.term, digest: undefined, chain: state.chain, first: id });
  }

  #noteCommitted(id: NodeId, index: number, term: number): void {
    const known = this.#commits.note(index, term);
    if (known !== undefined) {
      this.#log.report(
        'commit-mismatch',
        id,
        `applied entry ${index} of term ${term}, but the entry committed there has term ${known}`,
      );
    }
  }

  #compare(id: NodeId, index: number, at: AppliedAt): void {
    const known = this.#applied.get(index);
    if (known === undefined) {
      this.#applied.set(index, at);
      return;
    }
    if (known.digest === undefined && at.digest !== undefined) {
      this.#applied.set(index, { ...known, digest: at.digest });
    }
    const sameEntry =
      known.term === at.term &&
      (known.digest === undefined || at.digest === undefined || known.digest === at.digest);
    if (!sameEntry) {
      this.#log.report(
        'state-machine-safety',
        id,
        `applied ${at.digest ?? 'a snapshot'} (term ${at.term}) at index ${index}, but ${known.first} applied ` +
          `${known.digest ?? 'a snapshot'} (term ${known.term}) there`,
      );
    } else if (known.chain !== at.chain) {
      this.#log.report(
        'state-machine-safety',
        id,
        `applied prefix up to ${index} differs from ${known.first}'s (chain ${at.chain} vs ${known.chain})`,
      );
    }
  }
}
