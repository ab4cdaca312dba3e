/**
 * The steady load of a failover run: one SDK client, one key, sequential
 * `kv.put`s, each recorded with when it was sent (the call made) and when it
 * ended (acknowledged or failed), on the monotonic clock.
 *
 * Instrumentation: the client's jitter source (the `random` seam of
 * `connect`) is wrapped, so every retry backoff the SDK takes is logged with
 * its time. Writes are sequential and nothing else in this client draws
 * jitter (no watches; `connect` draws only if no endpoint answers), so the
 * k-th draw inside a write is that call's backoff number k, whose delay is
 * `backoffDelay(k, retry, () => r)`: the SDK's own formula, recomputed here.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../src/client/backoff.ts';
import { type ConnectOptions, connect, type FlotillaClient, FlotillaError } from '../../src/client/index.ts';

export interface WriterOptions extends ConnectOptions {
  /** The key every write of this writer puts. */
  readonly key: string;
}

export interface WriteRecord {
  readonly n: number;
  /** performance.now() when kv.put was called. */
  readonly sentAt: number;
  /** performance.now() when it resolved or rejected. */
  readonly endAt: number;
  readonly ok: boolean;
  readonly revision?: number;
  readonly code?: string;
  readonly maybeApplied?: boolean;
  readonly message?: string;
}

export interface BackoffDraw {
  readonly at: number;
  /** The uniform [0, 1) value the SDK drew. */
  readonly r: number;
}

/** One backoff of one write, reconstructed from the draws. */
export interface Backoff {
  readonly at: number;
  readonly attempt: number;
  readonly capMs: number;
  readonly delayMs: number;
}

export class Writer {
  readonly records: WriteRecord[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly client: FlotillaClient,
    private readonly options: WriterOptions,
    /** Every jitter draw of the client since it connected, in order. */
    readonly draws: readonly BackoffDraw[],
    readonly retry: { readonly baseMs: number; readonly maxMs: number },
    readonly attemptTimeoutMs: number,
  ) {}

  static async open(options: WriterOptions): Promise<Writer> {
    const draws: BackoffDraw[] = [];
    const { key: _key, ...connectOptions } = options;
    const client = await connect(connectOptions, {
      random: () => {
        const r = Math.random();
        draws.push({ at: performance.now(), r });
        return r;
      },
    });
    // Draws made while connecting belong to no write.
    draws.length = 0;
    return new Writer(client, options, draws, client.options.retry, client.options.attemptTimeoutMs);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const sentAt = performance.now();
      try {
        const { revision } = await this.client.kv.put(this.options.key, n);
        this.records.push({ n, sentAt, endAt: performance.now(), ok: true, revision });
      } catch (err) {
        const e = err instanceof FlotillaError ? err : undefined;
        this.records.push({
          n,
          sentAt,
          endAt: performance.now(),
          ok: false,
          code: e?.code ?? 'ERROR',
          maybeApplied: e?.maybeApplied ?? true,
          message: err instanceof Error ? err.message : String(err),
        });
        // A write that fails at once must not turn the loop into a spin.
        if (!this.stopped) await sleep(5);
      }
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves after the next write ends (or at once if the writer is stopped). */
  nextEnd(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Resolves once `predicate` holds for the records, checked after every
   * write; rejects after `timeoutMs`, or once the writer is stopped (else the
   * wait would spin on resolved promises and starve the event loop).
   */
  async until(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (this.stopped) throw new Error(`writer stopped while waiting for ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      const timer = new AbortController();
      await Promise.race([
        this.nextEnd(),
        sleep(Math.min(left, 100), undefined, { signal: timer.signal }).catch(() => {}),
      ]);
      timer.abort();
    }
  }

  /** The backoffs the SDK took during write `record` (sequential writes: every draw in its span is its own). */
  backoffsOf(record: WriteRecord): Backoff[] {
    return this.draws
      .filter((d) => d.at >= record.sentAt && d.at <= record.endAt)
      .map((d, attempt) => {
        const capMs = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** Math.min(attempt, 30));
        return { at: d.at, attempt, capMs, delayMs: backoffDelay(attempt, this.retry, () => d.r) };
      });
  }

  /** Stops after the write in flight ends, then closes the client. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.waiters.splice(0)) wake();
    try {
      await this.loop;
    } finally {
      await this.client.close();
    }
  }

  /** Closes the client at once (a write in flight ends CLOSED): for teardown on error or Ctrl-C. */
  async abort(): Promise<void> {
    this.stopped = true;
    await this.client.close();
    await this.loop;
  }
}
