/**
 * A watch as an async iterator that survives its node. It opens `watch` on
 * any node, yields the changes in revision order, and when the connection
 * drops or the node ends the watch it opens a new one elsewhere (backoff,
 * any endpoint) from the last revision it delivered. Events at or below that
 * revision are dropped client-side too, so a resumed watch neither skips nor
 * repeats a change.
 *
 * Buffering: a socket cannot be paused for one watch among many, so frames
 * are taken as they come into a queue of at most `maxBuffered` events. When a
 * consumer falls that far behind, the server watch is cancelled and the
 * iterator, after yielding everything buffered, throws WATCH_OVERFLOW with
 * `details.revision` = the last revision yielded: resume from there.
 */

import type { ResyncState, WatchFilter, WatchFrame } from '../protocol/client-protocol.ts';
import type { ChangeEvent } from '../registry/change-history.ts';
import { FlotillaError, invalidArgument } from '../registry/errors.ts';
import { AsyncQueue } from './async-queue.ts';
import { backoffDelay, pause, type RandomSource } from './backoff.ts';
import { isDefinite, isRetryable } from './call-outcome.ts';
import type { Connection, WatchSink } from './connection.ts';
import type { ConnectionPool } from './connection-pool.ts';
import { Deadline } from './deadline.ts';

/** What a watch yields: a change, or a full-state replacement when the history no longer reaches back. */
export type WatchEvent =
  | ChangeEvent
  | { readonly kind: 'resync'; readonly revision: number; readonly state: ResyncState };

/** Options of every watch. */
export interface WatchOptions {
  /** Deliver changes after this revision (absent: from now). */
  readonly fromRevision?: number;
  /** Aborting ends the iteration (normally, without an error). */
  readonly signal?: AbortSignal;
  /** Events buffered for a slow consumer before the watch ends with WATCH_OVERFLOW. */
  readonly maxBuffered?: number;
}

/** A running watch: iterate it with `for await`; `break`, `return()` or disposal cancel it. */
export interface WatchStream extends AsyncIterableIterator<WatchEvent, undefined>, AsyncDisposable {
  /** Cancels the watch (what `break` in a `for await` calls). */
  return(): Promise<IteratorResult<WatchEvent, undefined>>;
  /** Cancels the watch; the iteration ends after nothing more. Idempotent. */
  cancel(): void;
}

/** What a watch needs from its client. */
export interface WatchDeps {
  readonly pool: ConnectionPool;
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly random: RandomSource;
  /** How long opening one server watch may take before another node is tried. */
  readonly timeoutMs: number;
  readonly defaultMaxBuffered: number;
  /** Told when the watch ends, so the client stops tracking it. */
  readonly onEnd: (w: WatchStreamImpl) => void;
}

/** Why one server watch is over. */
type Ending = { readonly resume: true } | { readonly resume: false; readonly error?: FlotillaError };

/** The one implementation of {@link WatchStream}; the client creates and tracks it. */
export class WatchStreamImpl implements WatchStream {
  private readonly queue: AsyncQueue<WatchEvent>;
  /** The last revision handed to the queue: where a resumed watch starts. Unset until known. */
  private cursor: number | undefined;
  private readonly stopping = new AbortController();
  /** The server watch now open, to cancel it. */
  private current: { readonly conn: Connection; readonly id: number } | undefined;
  /** Ends the wait on the current server watch. */
  private endCurrent: ((e: Ending) => void) | undefined;
  /** Failed attempts since the last delivered frame: the backoff exponent. */
  private attempt = 0;
  private readonly signal: AbortSignal | undefined;

  constructor(
    private readonly d: WatchDeps,
    private readonly filter: WatchFilter,
    options: WatchOptions,
  ) {
    const { fromRevision, signal, maxBuffered } = options;
    if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 0)) {
      throw invalidArgument('fromRevision', 'must be a non-negative integer');
    }
    const limit = maxBuffered ?? d.defaultMaxBuffered;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw invalidArgument('maxBuffered', 'must be a positive integer');
    this.cursor = fromRevision;
    this.queue = new AsyncQueue(limit);
    this.signal = signal;
  }

  /** Starts watching (after the client tracks the stream, so an early end is seen). */
  start(): void {
    if (this.signal?.aborted === true) {
      this.finish();
      return;
    }
    this.signal?.addEventListener('abort', () => this.cancel(), { once: true, signal: this.stopping.signal });
    this.run().catch((cause: unknown) =>
      this.finish(new FlotillaError('INTERNAL', `watch failed: ${String(cause)}`, { cause })),
    );
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent, undefined>> {
    return this.queue.next();
  }

  async return(): Promise<IteratorResult<WatchEvent, undefined>> {
    this.cancel();
    return { done: true, value: undefined };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
  }

  cancel(): void {
    this.queue.abort();
    this.finish();
  }

  /** Opens server watches one after another until the watch is over. Never rejects. */
  private async run(): Promise<void> {
    const tried = new Set<string>();
    while (!this.stopping.signal.aborted) {
      if (this.attempt > 0)
        await pause(backoffDelay(this.attempt - 1, this.d.retry, this.d.random), this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      this.attempt++;
      const address = this.d.pool.pickRead(tried);
      tried.add(address);
      if (this.d.pool.triedAll(tried)) tried.clear();
      const ending = await this.openOnce(address);
      if (!ending.resume) {
        this.finish(ending.error);
        return;
      }
    }
  }

  /** One server watch on `address`, from open to end. */
  private async openOnce(address: string): Promise<Ending> {
    const deadline = new Deadline(this.d.timeoutMs);
    const dialed = await this.d.pool.connect(address, deadline);
    if (dialed.conn === undefined || this.stopping.signal.aborted) return { resume: true };
    const conn = dialed.conn;
    const ended = new Promise<Ending>((resolve) => {
      this.endCurrent = resolve;
    });
    const sink: WatchSink = {
      onFrame: (frame) => this.handleFrame(frame),
      onLost: () => this.endCurrent?.({ resume: true }),
    };
    const args = { filter: this.filter, ...(this.cursor === undefined ? {} : { fromRevision: this.cursor }) };
    const { id, outcome } = conn.request('watch', args, undefined, deadline, sink);
    this.current = { conn, id };
    const o = await outcome;
    if (o.kind === 'result') {
      // Without fromRevision the node watches "from now": its answer says which revision that is.
      const revision = (o.value as { revision?: unknown } | null)?.revision;
      if (this.cursor === undefined && typeof revision === 'number') this.cursor = revision;
      return await ended;
    }
    this.dropCurrent(o.kind === 'timeout');
    if (o.kind === 'error' && !isRetryable(o.error)) {
      return { resume: false, error: FlotillaError.fromInfo(o.error) };
    }
    return { resume: !this.stopping.signal.aborted };
  }

  private handleFrame(frame: WatchFrame): void {
    if (this.stopping.signal.aborted) return;
    if (frame.type === 'end') {
      this.dropCurrent(false);
      const error = FlotillaError.fromInfo(frame.error);
      this.endCurrent?.(isDefinite(frame.error) ? { resume: false, error } : { resume: true });
      return;
    }
    const base = this.cursor;
    if (frame.type === 'resync') {
      if (base === undefined || frame.revision > base) {
        this.deliver({ kind: 'resync', revision: frame.revision, state: frame.state });
      }
      return;
    }
    for (const event of frame.events) {
      // The guard against a resumed node replaying what was already delivered.
      if (base !== undefined && event.revision <= base) continue;
      if (!this.deliver(event)) return;
    }
  }

  /** Queues one event and moves the cursor; on overflow ends the watch (see the file comment). */
  private deliver(event: WatchEvent): boolean {
    if (this.queue.push(event)) {
      this.cursor = event.revision;
      this.attempt = 0;
      return true;
    }
    const revision = this.cursor ?? 0;
    this.queue.end(
      new FlotillaError(
        'WATCH_OVERFLOW',
        `watch fell ${this.queue.limit} events behind; resume with fromRevision ${revision}`,
        { details: { revision, maxBuffered: this.queue.limit } },
      ),
    );
    this.finish();
    return false;
  }

  /** Stops for good: cancels the server watch, ends the queue (keeping what is buffered), tells the client. */
  private finish(error?: FlotillaError): void {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.dropCurrent(true);
    this.queue.end(error);
    this.endCurrent?.({ resume: false });
    this.d.onEnd(this);
  }

  /** Forgets the current server watch, asking its node to cancel it when `cancel` and the socket is up. */
  private dropCurrent(cancel: boolean): void {
    const cur = this.current;
    this.current = undefined;
    if (cur === undefined) return;
    cur.conn.dropWatch(cur.id);
    if (cancel && cur.conn.isOpen) {
      // Best effort: its outcome (never a rejection) is ignored; a lost cancel dies with its socket.
      void cur.conn.request('watch.cancel', { watchId: cur.id }, undefined, new Deadline(this.d.timeoutMs))
        .outcome;
    }
  }
}
