/**
 * Coalesces the frames written to one socket within a turn of the event loop
 * into one write syscall. A leader answers a whole batch of committed writes
 * at once, and the SDK sends many requests at once; loopback writes cost tens
 * of microseconds each, and one frame per syscall made socket writes the
 * largest self time in the leader's profile. The first frame corks the
 * socket and a process.nextTick uncorks it. Answers come from promise
 * callbacks, and Node runs a tick queued during a microtask only once the
 * whole microtask queue has drained, so every answer of the batch joins the
 * same write. Order is untouched: ws writes every frame through the same socket.
 */

export interface Corkable {
  cork(): void;
  uncork(): void;
}

export class WriteBatcher {
  #socket: Corkable | undefined;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket?.uncork();
  };

  /** The socket under the WebSocket; until it is known, frames are written one by one. */
  attach(socket: Corkable): void {
    this.#socket = socket;
  }

  /** Call right before each send. */
  beforeSend(): void {
    if (this.#corked || this.#socket === undefined) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(this.#uncork);
  }
}
