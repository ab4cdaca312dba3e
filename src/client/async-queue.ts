/**
 * A bounded queue behind an async iterator (after nats.js
 * `queued_iterator.ts`): the producer pushes synchronously from socket
 * callbacks, the consumer awaits `next()`. It never holds more than `limit`
 * items; `push` answers false instead, and the producer decides what that
 * means.
 */

interface Waiter<T> {
  readonly resolve: (r: IteratorResult<T, undefined>) => void;
  readonly reject: (err: unknown) => void;
}

/** A bounded FIFO of `T` that a consumer awaits item by item. */
export class AsyncQueue<T> {
  private items: T[] = [];
  /** Consumers waiting for an item, oldest first (only when `items` is empty). */
  private readonly waiters: Waiter<T>[] = [];
  private ended = false;
  /** Thrown by one `next()` once the items before the end are consumed. */
  private error: unknown;

  constructor(readonly limit: number) {}

  /** Items waiting. */
  get size(): number {
    return this.items.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Adds an item; false (and nothing added) when full or ended. */
  push(item: T): boolean {
    if (this.ended) return false;
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve({ done: false, value: item });
      return true;
    }
    if (this.items.length >= this.limit) return false;
    this.items.push(item);
    return true;
  }

  /** No more items: the consumer gets what is buffered, then `error` (if any) or the end. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.items.length === 0) this.settleWaiters();
  }

  /** Ends now, dropping what is buffered (the consumer stopped caring). */
  abort(): void {
    this.items = [];
    this.ended = true;
    this.error = undefined;
    this.settleWaiters();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift() as T });
    if (this.ended) return this.endResult();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The end, once: the error goes to the first consumer to reach it, later ones see `done`. */
  private endResult(): Promise<IteratorResult<T, undefined>> {
    const err = this.error;
    this.error = undefined;
    return err === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(err);
  }

  private settleWaiters(): void {
    for (const w of this.waiters.splice(0)) this.endResult().then(w.resolve, w.reject);
  }
}
