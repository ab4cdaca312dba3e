import { Bitset, VisitedStates, zobristTable } from './bitset.ts';
import type { Budget } from './budget.ts';
import { buildEventLists, type EventNode, lift, unlift } from './event-list.ts';
import { canonicalJson } from './json.ts';
import type { Model } from './model.ts';

/** One op of a single key's sub-history, as the search sees it. */
export interface SearchOp<Input = unknown, Output = unknown> {
  readonly op: string;
  readonly input: Input;
  /** undefined for an info op: its output is unknown. */
  readonly output: Output | undefined;
  readonly invokeAt: number;
  /** null for an info op: it may take effect at any time after invokeAt, or never. */
  readonly completeAt: number | null;
}

/** Where the search got furthest before every branch died: the heart of a failure report. */
export interface DeadEnd<State> {
  /** The op whose completion no linearization could reach (an index into the search ops). */
  readonly stuck: number;
  /** The longest linearizable prefix found, in linearization order. */
  readonly linearized: readonly number[];
  /** The model state after that prefix. */
  readonly state: State;
  /** Other ops invoked by then but not in the prefix: none of them could go next either. */
  readonly pending: readonly number[];
}

/** The verdict on one key. */
export type SearchOutcome<State> =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'not-linearizable'; readonly deadEnd: DeadEnd<State> }
  | { readonly kind: 'unknown' };

/**
 * Wing & Gong's search with Lowe's improvements, as in Porcupine / Knossos
 * "linear": walk the event list; at a call, tentatively linearize the op (if the
 * model allows and the state is new to the memo) and restart from the head; at
 * a return whose op is not linearized yet, backtrack. Ops are linearized "just
 * in time": only when they are the earliest candidates, never ahead of need.
 *
 * Info ops (no return event) are tried only once the completed candidates
 * are stuck at a pending return (the "blocker"), and only those invoked
 * before it: "not applied yet" is explored first, which is both the common
 * case and the order in which the subsumption memo prunes best.
 */
export function searchLinearization<State, Input, Output>(
  ops: readonly SearchOp<Input, Output>[],
  model: Model<State, Input, Output>,
  budget: Budget,
): SearchOutcome<State> {
  return new Search(ops, model, budget).run();
}

/** Lane 0: completed ops (calls and returns); 1: info ops of blind kinds; 2: other info ops. */
type Lane = 0 | 1 | 2;

interface Frame<State> {
  readonly call: EventNode;
  readonly lane: Lane;
  /** The pending return that bounded the info candidates when this op was pushed. */
  readonly blocker: EventNode | null;
  /** The state before this op was applied, restored on backtrack. */
  readonly before: State;
  /** The op's possible successor states, and the next one to try on backtrack. */
  readonly successors: readonly State[];
  readonly next: number;
}

class Search<State, Input, Output> {
  readonly #ops: readonly SearchOp<Input, Output>[];
  readonly #model: Model<State, Input, Output>;
  readonly #budget: Budget;
  readonly #heads: readonly EventNode[];
  /** Completed ops linearized so far; the search succeeds when it holds all of them. */
  readonly #ok: Bitset;
  /** Info ops linearized so far (optional ones: never required). */
  readonly #info: Bitset;
  readonly #visited = new VisitedStates();
  readonly #stack: Frame<State>[] = [];
  readonly #mustLinearize: number;
  /** For an info op, the previous info op (in invocation order) with the same op and input; -1 if none. */
  readonly #previousTwin: Int32Array;
  #state: State;
  /** Completed ops on the stack; `#done <= #mustLinearize`. */
  #done = 0;
  #deadEnd: DeadEnd<State> | undefined;
  #deadEndRank: Rank = [-1, -1, Number.NEGATIVE_INFINITY];

  constructor(ops: readonly SearchOp<Input, Output>[], model: Model<State, Input, Output>, budget: Budget) {
    this.#ops = ops;
    this.#model = model;
    this.#budget = budget;
    const laneOf = (i: number): Lane =>
      ops[i]!.completeAt !== null ? 0 : model.blind?.(ops[i]!.op) === true ? 1 : 2;
    this.#heads = buildEventLists(ops, 3, laneOf);
    const table = zobristTable(ops.length);
    this.#ok = new Bitset(ops.length, table);
    this.#info = new Bitset(ops.length, table);
    this.#mustLinearize = ops.filter((o) => o.completeAt !== null).length;
    this.#previousTwin = previousTwins(ops);
    this.#state = model.init();
  }

  run(): SearchOutcome<State> {
    let lane: Lane = 0;
    let entry = this.#heads[0]!.next;
    let blocker: EventNode | null = null;
    while (this.#done < this.#mustLinearize) {
      if (!this.#budget.spend()) return { kind: 'unknown' };
      if (lane === 0 && (entry === null || entry.kind === 'return')) {
        // No completed candidate fits before this pending return: try info ops invoked before it.
        blocker = entry;
        [lane, entry] = this.#infoCandidate(1, this.#heads[1]!.next, blocker);
      } else if (entry === null) {
        // Nothing fits, not even an info op: a dead end, so backtrack.
        this.#noteDeadEnd(blocker);
        const frame = this.#pop();
        if (frame === undefined) return { kind: 'not-linearizable', deadEnd: this.#deadEnd! };
        blocker = frame.blocker;
        [lane, entry] = this.#tryPush(frame.call, frame.successors, frame.next, frame.lane, blocker)
          ? [0, this.#heads[0]!.next]
          : this.#nextCandidate(frame.lane, frame.call, blocker);
      } else {
        const pushed: boolean =
          (lane === 0 || this.#isFirstPendingTwin(entry.op)) &&
          this.#tryPush(entry, this.#successors(entry), 0, lane, blocker);
        [lane, entry] = pushed ? [0, this.#heads[0]!.next] : this.#nextCandidate(lane, entry, blocker);
      }
    }
    return { kind: 'linearizable' };
  }

  #nextCandidate(lane: Lane, after: EventNode, blocker: EventNode | null): [Lane, EventNode | null] {
    return lane === 0 ? [0, after.next] : this.#infoCandidate(lane, after.next, blocker);
  }

  /**
   * The next info candidate from `from` on, in lane 1 then lane 2; null when
   * none is left. Right after another info op the blind lane is skipped: a
   * blind write there would overwrite that op, reaching a state its sibling
   * branch (the same write without the other op) reaches with fewer ops.
   */
  #infoCandidate(lane: 1 | 2, from: EventNode | null, blocker: EventNode | null): [Lane, EventNode | null] {
    const top = this.#stack.at(-1);
    if (lane === 1 && (top === undefined || top.lane === 0) && before(from, blocker)) return [1, from];
    const next = lane === 1 ? this.#heads[2]!.next : from;
    return [2, before(next, blocker) ? next : null];
  }

  /**
   * Symmetry reduction: info ops with the same op and input (say, retried
   * deletes) are interchangeable, and once invoked stay candidates forever,
   * so only the earliest one not yet linearized is tried. Without this, k
   * needed effects among m such twins make C(m, k) equivalent branches. As
   * only first twins are ever linearized, the linearized twins are always a
   * prefix, and checking the previous one suffices.
   */
  #isFirstPendingTwin(op: number): boolean {
    const previous = this.#previousTwin[op]!;
    return previous < 0 || this.#info.has(previous);
  }

  /**
   * The states the op may lead to from here. For an info op applied right
   * after another info op, drop the successors reachable without that other
   * op: the sibling branch that skips it covers them with fewer ops used, so
   * exploring them here only multiplies states. (The generic form of the
   * blind-lane skip, for models without a `blind` hook.)
   */
  #successors(call: EventNode): readonly State[] {
    const o = this.#ops[call.op]!;
    const next = this.#model.step(this.#state, o.op, o.input, o.output);
    const top = this.#stack.at(-1);
    if (!isInfo(call) || top === undefined || top.lane === 0) return next;
    const skipped = this.#model.step(top.before, o.op, o.input, o.output);
    const without = new Set(skipped.map((s) => this.#model.key(s)));
    return next.filter((s) => !without.has(this.#model.key(s)));
  }

  /** Linearizes `call` into the first successor from `from` on that reaches an unvisited state. */
  #tryPush(
    call: EventNode,
    successors: readonly State[],
    from: number,
    lane: Lane,
    blocker: EventNode | null,
  ): boolean {
    const bits = lane === 0 ? this.#ok : this.#info;
    bits.set(call.op);
    for (let i = from; i < successors.length; i++) {
      const state = successors[i]!;
      if (!this.#visited.add(this.#ok, this.#info, this.#model.key(state))) continue;
      this.#stack.push({ call, lane, blocker, before: this.#state, successors, next: i + 1 });
      this.#state = state;
      lift(call);
      if (lane === 0) this.#done++;
      return true;
    }
    bits.clear(call.op);
    return false;
  }

  #pop(): Frame<State> | undefined {
    const frame = this.#stack.pop();
    if (frame === undefined) return undefined;
    unlift(frame.call);
    (frame.lane === 0 ? this.#ok : this.#info).clear(frame.call.op);
    if (frame.lane === 0) this.#done--;
    this.#state = frame.before;
    return frame;
  }

  /**
   * Keeps the branch that got furthest in time, then placed the most
   * completed ops, then used the fewest optional info ops (the plainest
   * story for a human): every branch died, so the history up to its
   * blocking return is the shortest prefix the search shows cannot be
   * linearized.
   */
  #noteDeadEnd(blocker: EventNode | null): void {
    // Lane 0 runs out of events only once every completed op is placed, which ends the search.
    if (blocker === null) throw new Error('lincheck: a dead end without a pending return');
    const rank = [blocker.position, this.#done, -(this.#stack.length - this.#done)] as const;
    if (!isBetter(rank, this.#deadEndRank)) return;
    this.#deadEndRank = rank;
    const pending: EventNode[] = [];
    for (const head of this.#heads) {
      for (let e = head.next; e !== null && before(e, blocker); e = e.next) {
        if (e.kind === 'call' && e.op !== blocker.op) pending.push(e);
      }
    }
    this.#deadEnd = {
      stuck: blocker.op,
      linearized: this.#stack.map((f) => f.call.op),
      state: this.#state,
      pending: pending.sort((a, b) => a.position - b.position).map((e) => e.op),
    };
  }
}

/** For each info op, its previous twin (same op, same JSON input) in invocation order, else -1. */
function previousTwins(ops: readonly SearchOp<unknown, unknown>[]): Int32Array {
  const previous = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  const infos = ops.flatMap((o, i) => (o.completeAt === null ? [i] : []));
  // The event lists' order: by invocation, ties by index.
  infos.sort((a, b) => ops[a]!.invokeAt - ops[b]!.invokeAt || a - b);
  for (const i of infos) {
    const kind = `${ops[i]!.op}\u0000${canonicalJson(ops[i]!.input)}`;
    previous[i] = last.get(kind) ?? -1;
    last.set(kind, i);
  }
  return previous;
}

/** True when `node` exists and comes before `blocker` (every node does when there is no blocker). */
function before(node: EventNode | null, blocker: EventNode | null): boolean {
  return node !== null && (blocker === null || node.position < blocker.position);
}

/** (position of the blocking return, completed ops placed, minus info ops placed): higher is better. */
type Rank = readonly [number, number, number];

function isBetter(a: Rank, b: Rank): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

function isInfo(call: EventNode): boolean {
  return call.match === null;
}
