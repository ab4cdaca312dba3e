import type { Entry, Message, NodeId, Ready } from '../../../raft/core/types.ts';
import type { MemoryStorage } from '../../../raft/storage/memory.ts';
import type { CommitRecord } from './commit-record.ts';
import { entryDigest } from './hash-chain-fsm.ts';
import type { ViolationLog } from './violations.ts';

/** Term of entry `index` in durable storage: the snapshot's last index included, 0 for index 0. */
export function durableTermAt(storage: MemoryStorage, index: number): number | undefined {
  if (index === 0) return 0;
  const snap = storage.snapshots.latestSync()?.meta;
  if (snap !== undefined && index === snap.index) return snap.term;
  return storage.log.entriesSync(index, index + 1)[0]?.term;
}

/** The highest index durable storage vouches for: its last entry, or its snapshot when the log is empty. */
export function durableLastIndex(storage: MemoryStorage): number {
  const snapIndex = storage.snapshots.latestSync()?.meta.index ?? 0;
  return Math.max(snapIndex, storage.log.lastIndexSync());
}

/** The durable terms a Ready may overwrite, taken before it is persisted. */
export interface DurableTail {
  readonly from: number;
  readonly terms: readonly number[];
}

/**
 * Checks on what reaches durable storage, run around each Ready's persist:
 * log matching (incrementally: every durable (index, term) maps to one entry
 * and one preceding term, which by induction makes equal prefixes), no loss
 * of a committed or of a non-conflicting durable entry, and persistence order
 * (a message never vouches for state that is not yet durable).
 */
export class DurableLogChecks {
  /** `${index}:${term}` → the entry's digest and the term of the entry before it. */
  readonly #entries = new Map<string, { digest: string; prevTerm: number; first: NodeId }>();
  readonly #log: ViolationLog;
  readonly #commits: CommitRecord;

  constructor(log: ViolationLog, commits: CommitRecord) {
    this.#log = log;
    this.#commits = commits;
  }

  /** Captures the durable entries this Ready may replace. */
  beforePersist(storage: MemoryStorage, ready: Ready): DurableTail {
    const last = storage.log.lastIndexSync();
    const from = Math.max(storage.log.firstIndexSync(), Math.min(firstTouched(ready), last + 1));
    const terms = storage.log.entriesSync(from, last + 1).map((e) => e.term);
    return { from, terms };
  }

  afterPersist(id: NodeId, storage: MemoryStorage, ready: Ready, tail: DurableTail): void {
    this.#checkTail(id, storage, ready, tail);
    for (const entry of ready.entries) this.#checkMatching(id, storage, entry);
    this.#checkMessages(id, storage, ready.messages);
  }

  /** Messages sent before their Ready is durable: each must vouch only for what already is. */
  beforeEarlySend(id: NodeId, storage: MemoryStorage, messages: readonly Message[]): void {
    this.#checkMessages(id, storage, messages);
  }

  #checkTail(id: NodeId, storage: MemoryStorage, ready: Ready, tail: DurableTail): void {
    const snapIndex = storage.snapshots.latestSync()?.meta.index ?? 0;
    let replaced = false;
    const lost: number[] = [];
    for (const [k, term] of tail.terms.entries()) {
      const index = tail.from + k;
      if (index <= snapIndex) continue;
      const now = durableTermAt(storage, index);
      if (now === term) continue;
      if (now === undefined) lost.push(index);
      else replaced = true;
      if (this.#commits.termOf(index) === term) {
        this.#log.report(
          'committed-entry-lost',
          id,
          `committed entry ${index} (term ${term}) ${now === undefined ? 'dropped from' : `replaced by term ${now} in`} ` +
            'the durable log',
        );
      }
    }
    if (lost.length > 0 && !replaced && ready.snapshot === undefined) {
      this.#log.report(
        'durable-log-truncated',
        id,
        `durable entries ${lost[0]}..${lost.at(-1)} dropped although no conflicting entry replaced them ` +
          `(Ready appended ${describeRange(ready.entries)})`,
      );
    }
  }

  #checkMatching(id: NodeId, storage: MemoryStorage, entry: Entry): void {
    if (durableTermAt(storage, entry.index) !== entry.term) return; // skipped: below the snapshot
    const prevTerm = durableTermAt(storage, entry.index - 1);
    if (prevTerm === undefined) return;
    const key = `${entry.index}:${entry.term}`;
    const digest = entryDigest(entry);
    const known = this.#entries.get(key);
    if (known === undefined) {
      this.#entries.set(key, { digest, prevTerm, first: id });
      return;
    }
    if (known.digest !== digest) {
      this.#log.report(
        'log-matching',
        id,
        `entry ${entry.index} of term ${entry.term} is ${digest} here but ${known.digest} on ${known.first}`,
      );
    } else if (known.prevTerm !== prevTerm) {
      this.#log.report(
        'log-matching',
        id,
        `entry ${entry.index} of term ${entry.term} follows an entry of term ${prevTerm} here but of term ` +
          `${known.prevTerm} on ${known.first}`,
      );
    }
  }

  /**
   * Persistence order, for messages of the durable term: a granted vote is
   * the durable vote, an acknowledged index is in the durable log. A message
   * of an older term is superseded: the node handled a newer term in the
   * same Ready, and a durable newer term keeps it from ever acting on the
   * older one again (a node that handles several messages per Ready — a slow
   * one, or one whose writes take time — legitimately sends such messages).
   */
  #checkMessages(id: NodeId, storage: MemoryStorage, messages: readonly Message[]): void {
    const hard = storage.stable.loadSync();
    const durableTerm = hard?.term ?? 0;
    for (const m of messages) {
      if (m.from !== id || m.to === id) {
        this.#log.report('malformed-message', id, `sent ${m.type} from ${m.from} to ${m.to}`);
        continue;
      }
      if (m.type === 'pre-vote' || m.type === 'pre-vote-resp') continue;
      if (m.term > durableTerm) {
        this.#log.report(
          'persistence-order',
          id,
          `sent ${m.type} of term ${m.term} while durable term is ${durableTerm}`,
        );
      } else if (m.term < durableTerm) {
        continue;
      }
      if (m.type === 'vote-resp' && m.granted && hard?.vote !== m.to) {
        this.#log.report(
          'persistence-order',
          id,
          `granted its term ${m.term} vote to ${m.to} while its durable vote is '${hard?.vote ?? ''}'`,
        );
      }
      if (m.type === 'append-resp' && m.success && m.index > durableLastIndex(storage)) {
        this.#log.report(
          'persistence-order',
          id,
          `acknowledged index ${m.index} to ${m.to} while its durable log ends at ${durableLastIndex(storage)}`,
        );
      }
    }
  }
}

/** The lowest log index a Ready can overwrite: its first entry, or everything above its snapshot. */
function firstTouched(ready: Ready): number {
  const first = ready.entries[0]?.index ?? Number.POSITIVE_INFINITY;
  const snap = ready.snapshot === undefined ? Number.POSITIVE_INFINITY : ready.snapshot.meta.index + 1;
  return Math.min(first, snap);
}

function describeRange(entries: readonly Entry[]): string {
  const first = entries[0];
  const last = entries.at(-1);
  if (first === undefined || last === undefined) return 'nothing';
  return `${first.index}..${last.index} (terms ${first.term}..${last.term})`;
}
