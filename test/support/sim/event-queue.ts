/**
 * A min-heap of timed items for the simulator's virtual clock. Items with the
 * same time come out in insertion order, so a run is a pure function of its
 * inputs (no reliance on sort stability or object identity).
 */
export class EventQueue<T> {
  /** Heap-ordered by (time, seq): heap[k] precedes heap[2k+1] and heap[2k+2]. */
  readonly #heap: { time: number; seq: number; item: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(time: number, item: T): void {
    const heap = this.#heap;
    heap.push({ time, seq: this.#seq++, item });
    let k = heap.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.#less(k, parent)) break;
      this.#swap(k, parent);
      k = parent;
    }
  }

  /** The time of the earliest item, or Infinity when empty. */
  peekTime(): number {
    return this.#heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  pop(): { time: number; item: T } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
    return { time: top.time, item: top.item };
  }

  /** Every item, in no particular order. */
  *items(): IterableIterator<T> {
    for (const e of this.#heap) yield e.item;
  }

  /** Removes every item for which `drop` returns true; returns how many went. */
  removeWhere(drop: (item: T) => boolean): number {
    const kept = this.#heap.filter((e) => !drop(e.item));
    const removed = this.#heap.length - kept.length;
    if (removed > 0) {
      this.#heap.length = 0;
      for (const e of kept.sort((a, b) => a.time - b.time || a.seq - b.seq)) this.#heap.push(e);
    }
    return removed;
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let k = start;
    for (;;) {
      const left = 2 * k + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const child = right < heap.length && this.#less(right, left) ? right : left;
      if (!this.#less(child, k)) return;
      this.#swap(k, child);
      k = child;
    }
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a]!;
    const y = this.#heap[b]!;
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const tmp = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = tmp;
  }
}
