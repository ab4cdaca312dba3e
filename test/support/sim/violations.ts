import type { NodeId } from '../../../raft/core/types.ts';

/** What a violation broke. Safety kinds first, then liveness and harness-level failures. */
export type ViolationKind =
  /** At most one leader per term (§5.2). */
  | 'election-safety'
  /** A node names a leader for its term that was never leader of that term. */
  | 'phantom-leader'
  /** Same index and term ⇒ same entry and same preceding log (§5.3). */
  | 'log-matching'
  /** A leader lacks an entry committed in an earlier term (§5.4). */
  | 'leader-completeness'
  /** A node's commit index points at an entry other than the committed one, or two commits disagree. */
  | 'commit-mismatch'
  /** A live node's commit index went down, or its applied index passed it, or it passed its log. */
  | 'commit-regressed'
  /** A committed entry left a node's durable log without a snapshot covering it. */
  | 'committed-entry-lost'
  /** Durable entries were dropped although no conflicting entry replaced them (Figure 2, AppendEntries rule 3). */
  | 'durable-log-truncated'
  /** A message left before the state it vouches for was durable (§5.1: persist before responding). */
  | 'persistence-order'
  /** Two nodes applied different entries (or prefixes) at one index (§5.4.3). */
  | 'state-machine-safety'
  /** A node applied out of order, skipped an index or went back. */
  | 'applied-order'
  /** A snapshot did not restore to what was snapshotted. */
  | 'snapshot-corrupt'
  /** A ReadIndex answer is below what was committed when the read was asked (§6.4). */
  | 'read-linearizability'
  /** A message that no correct core would send (to itself, from someone else). */
  | 'malformed-message'
  /** Far more messages in flight than any healthy run has: the core multiplies its own traffic. */
  | 'message-storm'
  /** The core threw something other than a documented RaftError. */
  | 'core-exception'
  /** After every fault healed, no stable leader or no commit within the bound. */
  | 'liveness'
  /** After every fault healed, a live voter never applied what a majority applied within the bound. */
  | 'catch-up';

export interface Violation {
  /** Virtual time of the step after which it was seen. */
  readonly time: number;
  readonly kind: ViolationKind;
  readonly node: NodeId;
  readonly message: string;
}

/** Keeps this many violations in full; the rest are only counted (the first one is what matters). */
const KEEP = 20;

/** The sink every checker reports into, stamped with the simulator's current virtual time. */
export class ViolationLog {
  /** The virtual time the next report is stamped with; the simulator moves it forward. */
  time = 0;
  readonly list: Violation[] = [];
  #count = 0;

  get count(): number {
    return this.#count;
  }

  report(kind: ViolationKind, node: NodeId, message: string): void {
    this.#count++;
    if (this.list.length < KEEP) this.list.push({ time: this.time, kind, node, message });
  }
}

/** One line per violation: `t=120 [election-safety] n2: …`. */
export function formatViolation(v: Violation): string {
  return `t=${v.time} [${v.kind}] ${v.node}: ${v.message}`;
}
