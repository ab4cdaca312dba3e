import type { NodeId, Role, SnapshotMeta } from '../../../raft/core/types.ts';

/**
 * What the checkers read of a live node after each step. `RaftCore`
 * satisfies it as it is; checker tests hand-craft plain objects.
 */
export interface NodeView {
  readonly id: NodeId;
  readonly term: number;
  readonly role: Role;
  /** The leader this node believes in for its term ('' when none). */
  readonly leader: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotMeta: SnapshotMeta | undefined;
  /** Term of entry `index` (the snapshot's last index included); undefined when compacted or beyond the log. */
  termAt(index: number): number | undefined;
}

/** Whether `view`'s log holds entry (index, term), or has compacted it into a snapshot at or beyond `index`. */
export function holdsOrCovers(view: NodeView, index: number, term: number): boolean {
  const snapIndex = view.snapshotMeta?.index ?? 0;
  if (index < snapIndex) return true;
  if (index === 0) return true;
  return view.termAt(index) === term;
}
