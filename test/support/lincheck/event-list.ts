/**
 * The doubly linked lists of invocation and completion events that the
 * Wing & Gong search walks. Linearizing an op "lifts" its call and return out
 * of its list; backtracking puts them back (dancing links, so undo is O(1)).
 */
export interface EventNode {
  readonly kind: 'head' | 'call' | 'return';
  /** Index of the op in the partition; -1 for a head. */
  readonly op: number;
  /** Rank in time order across all lists: how far into the history this event is. */
  readonly position: number;
  prev: EventNode | null;
  next: EventNode | null;
  /** A call's return event; null for an info op, which never returns (it completes at +infinity). */
  match: EventNode | null;
}

/** An op's interval; `completeAt: null` for an info op. */
export interface Interval {
  readonly invokeAt: number;
  readonly completeAt: number | null;
}

/**
 * Builds one list per lane (`laneOf(op)`, 0..lanes-1), each in time order
 * behind its own head, with positions ranked across all lanes. The search
 * keeps completed ops (calls and returns) in lane 0 and info ops (calls only)
 * in their own lanes, so scanning for completed candidates never walks past
 * the info ops that pile up, never linearized, over a long history.
 *
 * On equal timestamps calls come before returns, so ops whose bounds touch
 * count as concurrent: the lenient choice, as one clock reading cannot tell
 * which came first.
 */
export function buildEventLists(
  ops: readonly Interval[],
  lanes: number,
  laneOf: (op: number) => number,
): EventNode[] {
  const events: { kind: 'call' | 'return'; op: number; at: number }[] = [];
  ops.forEach((o, op) => {
    events.push({ kind: 'call', op, at: o.invokeAt });
    if (o.completeAt !== null) events.push({ kind: 'return', op, at: o.completeAt });
  });
  events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.op - b.op : a.kind === 'call' ? -1 : 1));
  const heads = Array.from({ length: lanes }, (): EventNode => head());
  const tails = [...heads];
  const calls = new Map<number, EventNode>();
  events.forEach((e, position) => {
    const lane = laneOf(e.op);
    const node: EventNode = { kind: e.kind, op: e.op, position, prev: tails[lane]!, next: null, match: null };
    tails[lane]!.next = node;
    tails[lane] = node;
    if (e.kind === 'call') calls.set(e.op, node);
    else calls.get(e.op)!.match = node;
  });
  return heads;
}

function head(): EventNode {
  return { kind: 'head', op: -1, position: -1, prev: null, next: null, match: null };
}

/** Removes a call and its return from their list. */
export function lift(call: EventNode): void {
  unlink(call);
  if (call.match !== null) unlink(call.match);
}

/** Undoes `lift(call)`: re-links in the reverse order of removal. */
export function unlift(call: EventNode): void {
  if (call.match !== null) relink(call.match);
  relink(call);
}

function unlink(node: EventNode): void {
  node.prev!.next = node.next;
  if (node.next !== null) node.next.prev = node.prev;
}

function relink(node: EventNode): void {
  node.prev!.next = node;
  if (node.next !== null) node.next.prev = node;
}
