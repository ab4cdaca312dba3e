/**
 * A watcher that runs through the whole chaos run: one SDK watch of every
 * change from a given revision, its events kept in arrival order for
 * watch-check.ts. The SDK resumes it on another node when its node dies; a
 * watch that ends on its own (an error) is recorded, not hidden.
 */

import type { FlotillaClient, WatchEvent, WatchStream } from '../../../src/client/index.ts';

export class WatchLog {
  readonly events: WatchEvent[] = [];
  /** Why the watch ended before it was cancelled, if it did. */
  endedEarly: string | undefined;
  readonly #stream: WatchStream;
  readonly #consumed: Promise<void>;
  #cancelled = false;

  constructor(
    client: FlotillaClient,
    readonly fromRevision: number,
  ) {
    this.#stream = client.watch({}, { fromRevision });
    this.#consumed = this.#consume();
  }

  /** The revision of the last event (or resync) seen. */
  get lastRevision(): number {
    return this.events.at(-1)?.revision ?? this.fromRevision;
  }

  async #consume(): Promise<void> {
    try {
      for await (const event of this.#stream) this.events.push(event);
      if (!this.#cancelled) this.endedEarly = 'the watch ended without an error';
    } catch (error) {
      this.endedEarly = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }

  async stop(): Promise<void> {
    this.#cancelled = true;
    this.#stream.cancel();
    await this.#consumed;
  }
}
