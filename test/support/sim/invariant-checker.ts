import type { Entry, Message, NodeId, ReadState, Ready } from '../../../raft/core/types.ts';
import type { MemoryStorage } from '../../../raft/storage/memory.ts';
import { type AppliedAt, ApplyChecks } from './apply-checks.ts';
import { CommitRecord } from './commit-record.ts';
import { DurableLogChecks, type DurableTail } from './durable-log-checks.ts';
import type { ChainState } from './hash-chain-fsm.ts';
import { LeaderChecks } from './leader-checks.ts';
import type { NodeView } from './node-view.ts';
import { ViolationLog } from './violations.ts';

/**
 * Every safety invariant of the simulation, fed by the simulator at each step.
 * The simulator attaches a node's view when it starts, calls `observe` after
 * each input it handles, wraps each Ready's persist in
 * `beforePersist`/`afterPersist`, and reports applies, restores and reads.
 * Violations land in `log`, stamped with the virtual time.
 */
export class InvariantChecker {
  readonly log = new ViolationLog();
  readonly commits = new CommitRecord();
  readonly #views = new Map<NodeId, NodeView>();
  readonly #leaders: LeaderChecks;
  readonly #durable: DurableLogChecks;
  readonly #applies: ApplyChecks;

  constructor() {
    this.#leaders = new LeaderChecks(this.log, this.commits, this.#views);
    this.#durable = new DurableLogChecks(this.log, this.commits);
    this.#applies = new ApplyChecks(this.log, this.commits);
  }

  get ok(): boolean {
    return this.log.count === 0;
  }

  /** A node (re)started: its state is checked from now on. */
  attach(view: NodeView): void {
    this.#views.set(view.id, view);
    this.observe(view.id);
  }

  /** A node crashed: its volatile state is gone. */
  detach(id: NodeId): void {
    this.#views.delete(id);
    this.#leaders.onCrash(id);
  }

  /** Checks a live node's volatile state after it handled an input. */
  observe(id: NodeId): void {
    const view = this.#views.get(id);
    if (view !== undefined) this.#leaders.observe(view);
  }

  /** The leader recorded for `term`. */
  leaderOf(term: number): NodeId | undefined {
    return this.#leaders.leaderOf(term);
  }

  beforePersist(storage: MemoryStorage, ready: Ready): DurableTail {
    return this.#durable.beforePersist(storage, ready);
  }

  beforeEarlySend(id: NodeId, storage: MemoryStorage, messages: readonly Message[]): void {
    this.#durable.beforeEarlySend(id, storage, messages);
  }

  afterPersist(id: NodeId, storage: MemoryStorage, ready: Ready, tail: DurableTail): void {
    this.#durable.afterPersist(id, storage, ready, tail);
  }

  onApply(id: NodeId, entry: Entry, before: ChainState, after: ChainState): void {
    this.#applies.onApply(id, entry, before, after);
  }

  onRestore(id: NodeId, state: ChainState, appliedBefore: number | undefined): void {
    this.#applies.onRestore(id, state, appliedBefore);
  }

  /** What the first node to apply (or restore) up to `index` recorded there. */
  appliedAt(index: number): AppliedAt | undefined {
    return this.#applies.appliedAt(index);
  }

  onReadRequest(ctx: string): void {
    this.#leaders.onReadRequest(ctx);
  }

  onReadState(id: NodeId, read: ReadState): void {
    this.#leaders.onReadState(id, read);
  }
}
