import type { NodeId, ReadState } from '../../../raft/core/types.ts';
import type { CommitRecord, LeaderCommit } from './commit-record.ts';
import { holdsOrCovers, type NodeView } from './node-view.ts';
import type { ViolationLog } from './violations.ts';

/**
 * Checks on each node's volatile state, run after every step of that node:
 * election safety, leader completeness, commit monotonicity, the commit
 * point's entry, leader knowledge, and ReadIndex answers.
 */
export class LeaderChecks {
  /** term → the one node that led it. */
  readonly #leaders = new Map<number, NodeId>();
  /** `${id}@${term}` for leaders already checked for completeness. */
  readonly #checkedLeaders = new Set<string>();
  /** Commit index last seen per live node; forgotten at a crash (a restart may reload an older one). */
  readonly #commitSeen = new Map<NodeId, number>();
  /** ReadIndex ctx → the highest index known committed when the read was asked. */
  readonly #reads = new Map<string, number>();
  readonly #log: ViolationLog;
  readonly #commits: CommitRecord;
  readonly #views: ReadonlyMap<NodeId, NodeView>;

  constructor(log: ViolationLog, commits: CommitRecord, views: ReadonlyMap<NodeId, NodeView>) {
    this.#log = log;
    this.#commits = commits;
    this.#views = views;
  }

  /** The leader recorded for `term`, if any. */
  leaderOf(term: number): NodeId | undefined {
    return this.#leaders.get(term);
  }

  observe(view: NodeView): void {
    if (view.role === 'leader') this.#observeLeader(view);
    else if (view.leader !== '') this.#checkKnownLeader(view);
    this.#checkCommit(view);
  }

  /** Forgets per-incarnation state: a restarted node starts from its durable commit index. */
  onCrash(id: NodeId): void {
    this.#commitSeen.delete(id);
  }

  onReadRequest(ctx: string): void {
    this.#reads.set(ctx, this.#commits.maxIndex);
  }

  onReadState(id: NodeId, read: ReadState): void {
    const floor = this.#reads.get(read.ctx);
    if (floor === undefined) {
      this.#log.report(
        'read-linearizability',
        id,
        `answer for unknown read ${read.ctx} (index ${read.index})`,
      );
    } else if (read.index < floor) {
      this.#log.report(
        'read-linearizability',
        id,
        `read ${read.ctx} got index ${read.index}, but index ${floor} was committed before it was asked`,
      );
    }
  }

  #observeLeader(view: NodeView): void {
    const known = this.#leaders.get(view.term);
    if (known === undefined) {
      this.#leaders.set(view.term, view.id);
    } else if (known !== view.id) {
      this.#log.report('election-safety', view.id, `second leader of term ${view.term} (first: ${known})`);
    }
    const key = `${view.id}@${view.term}`;
    if (!this.#checkedLeaders.has(key)) {
      this.#checkedLeaders.add(key);
      for (const commit of this.#commits.commitsBefore(view.term)) this.#checkHolds(view, commit);
    }
    this.#recordLeaderCommit(view);
  }

  #checkKnownLeader(view: NodeView): void {
    const known = this.#leaders.get(view.term);
    if (known !== view.leader) {
      const actual = known === undefined ? 'nobody was' : `${known} was`;
      this.#log.report(
        'phantom-leader',
        view.id,
        `believes ${view.leader} leads term ${view.term}, but ${actual} leader of term ${view.term}`,
      );
    }
  }

  /** A leader's commit index is a commit made in its term: record it and hold every later-term leader to it. */
  #recordLeaderCommit(view: NodeView): void {
    if (view.commitIndex === 0) return;
    const term = view.termAt(view.commitIndex) ?? this.#commits.termOf(view.commitIndex);
    if (term === undefined) return;
    const commit: LeaderCommit = { leaderTerm: view.term, index: view.commitIndex, term };
    if (!this.#commits.noteLeaderCommit(commit)) return;
    for (const other of this.#views.values()) {
      if (other.role === 'leader' && other.term > view.term) this.#checkHolds(other, commit);
    }
  }

  #checkHolds(view: NodeView, commit: LeaderCommit): void {
    if (holdsOrCovers(view, commit.index, commit.term)) return;
    const has = view.termAt(commit.index);
    this.#log.report(
      'leader-completeness',
      view.id,
      `leader of term ${view.term} lacks entry ${commit.index} (term ${commit.term}) committed by the leader of ` +
        `term ${commit.leaderTerm}; it holds ${has === undefined ? 'nothing' : `term ${has}`} there ` +
        `(log ${view.snapshotMeta?.index ?? 0}..${view.lastIndex})`,
    );
  }

  #checkCommit(view: NodeView): void {
    const seen = this.#commitSeen.get(view.id) ?? 0;
    if (view.commitIndex < seen) {
      this.#log.report(
        'commit-regressed',
        view.id,
        `commit index went from ${seen} down to ${view.commitIndex}`,
      );
    }
    this.#commitSeen.set(view.id, view.commitIndex);
    if (view.appliedIndex > view.commitIndex) {
      this.#log.report(
        'commit-regressed',
        view.id,
        `applied ${view.appliedIndex} beyond commit ${view.commitIndex}`,
      );
    }
    if (view.commitIndex > view.lastIndex) {
      this.#log.report(
        'commit-regressed',
        view.id,
        `commit ${view.commitIndex} beyond last index ${view.lastIndex}`,
      );
    }
    this.#checkCommitPoint(view);
  }

  /** Every index up to the commit index holds the committed entry: spot-check the commit point itself. */
  #checkCommitPoint(view: NodeView): void {
    const index = view.commitIndex;
    const term = view.termAt(index);
    if (index === 0 || term === undefined) return;
    const known = this.#commits.note(index, term);
    if (known !== undefined) {
      this.#log.report(
        'commit-mismatch',
        view.id,
        `commit index ${index} points at an entry of term ${term}, but the committed entry there has term ${known}`,
      );
    }
  }
}
