/**
 * A TCP proxy for one directed peer link (node A dials node B through it),
 * whose behaviour the chaos suite switches at run time. The product never
 * knows: node A's cluster file simply names this proxy as B's `peerAddress`.
 *
 * Modes:
 * - `pass`: bytes flow both ways, in order.
 * - `block`: a partition. Existing connections stay open but every byte is
 *   dropped, both ways; new connections are accepted and then hang (nothing
 *   is forwarded, not even the handshake). When the link leaves `block`,
 *   every connection that lost bytes is reset: a TCP stream cannot skip
 *   bytes, so a real network would have ended it by timeout instead.
 * - `delay`: every chunk waits `ms` before it is forwarded, order kept.
 * - `cut`: existing connections are reset, new ones are reset on accept.
 */

import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** How a link treats its traffic. */
export type LinkMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'block' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'cut' };

export const PASS: LinkMode = Object.freeze({ kind: 'pass' });
export const BLOCK: LinkMode = Object.freeze({ kind: 'block' });
export const CUT: LinkMode = Object.freeze({ kind: 'cut' });
export const delay = (ms: number): LinkMode => Object.freeze({ kind: 'delay', ms });

/** Counters, for tests and reports. */
export interface ProxyStats {
  accepted: number;
  bytesForwarded: number;
  bytesDropped: number;
  /** Connections this proxy reset (cut, or healed after losing bytes). */
  resets: number;
}

/** One accepted connection and its upstream (absent while blocked, or before it connects). */
interface Pipe {
  readonly down: Socket;
  up: Socket | undefined;
  /** True once a byte was dropped: the stream is corrupt and must not resume. */
  lostBytes: boolean;
  /** Time before which nothing more may be forwarded, per direction: keeps delayed chunks in order. */
  readonly lastRelease: { toUp: number; toDown: number };
}

export class FaultProxy {
  #mode: LinkMode = PASS;
  readonly #pipes = new Set<Pipe>();
  /** Every socket not yet closed, pipes or not: close() must leave none behind. */
  readonly #sockets = new Set<Socket>();
  readonly stats: ProxyStats = { accepted: 0, bytesForwarded: 0, bytesDropped: 0, resets: 0 };

  private constructor(
    private readonly server: Server,
    readonly target: { readonly host: string; readonly port: number },
    /** `host:port` this proxy listens on: what the dialing node is told. */
    readonly address: string,
  ) {}

  /** Listens on `127.0.0.1:port` (0: any free port) and forwards to `target`. */
  static async start(target: { host: string; port: number }, port = 0): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const bound = (server.address() as { port: number }).port;
    const proxy = new FaultProxy(server, target, `127.0.0.1:${bound}`);
    server.on('connection', (socket) => proxy.#accept(socket));
    return proxy;
  }

  get mode(): LinkMode {
    return this.#mode;
  }

  /** Open connections (for tests). */
  get connections(): number {
    return this.#pipes.size;
  }

  /** Switches the link's behaviour; takes effect for every connection at once. */
  setMode(mode: LinkMode): void {
    const previous = this.#mode;
    this.#mode = mode;
    if (mode.kind === 'cut') {
      for (const pipe of [...this.#pipes]) this.#reset(pipe);
    } else if (previous.kind === 'block' && mode.kind !== 'block') {
      // A stream that lost bytes (or never reached upstream) cannot carry on: see the file comment.
      for (const pipe of [...this.#pipes]) if (pipe.lostBytes || pipe.up === undefined) this.#reset(pipe);
    }
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const pipe of [...this.#pipes]) this.#destroy(pipe);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(down: Socket): void {
    this.stats.accepted++;
    this.#track(down);
    if (this.#mode.kind === 'cut') {
      this.stats.resets++;
      down.resetAndDestroy();
      return;
    }
    down.setNoDelay(true);
    const pipe: Pipe = { down, up: undefined, lostBytes: false, lastRelease: { toUp: 0, toDown: 0 } };
    this.#pipes.add(pipe);
    down.on('data', (chunk: Buffer) => this.#forward(pipe, chunk, 'toUp'));
    down.on('end', () => pipe.up?.end());
    down.on('error', () => this.#destroy(pipe));
    down.on('close', () => this.#closed(pipe));
    // A connection accepted while blocked hangs without an upstream until the link heals (and is then reset).
    if (this.#mode.kind !== 'block') this.#connectUp(pipe);
  }

  #connectUp(pipe: Pipe): void {
    // Hold the dialer's bytes until upstream is open, so none is dropped in between.
    pipe.down.pause();
    const up = createConnection({ host: this.target.host, port: this.target.port, noDelay: true });
    pipe.up = up;
    this.#track(up);
    up.on('connect', () => pipe.down.resume());
    up.on('data', (chunk: Buffer) => this.#forward(pipe, chunk, 'toDown'));
    up.on('end', () => pipe.down.end());
    // The target is down (refused) or went away: the dialer sees a reset, as it would without a proxy.
    up.on('error', () => this.#reset(pipe));
    up.on('close', () => this.#closed(pipe));
  }

  #forward(pipe: Pipe, chunk: Buffer, direction: 'toUp' | 'toDown'): void {
    const mode = this.#mode;
    if (mode.kind === 'block' || mode.kind === 'cut') {
      this.stats.bytesDropped += chunk.length;
      pipe.lostBytes = true;
      return;
    }
    const now = performance.now();
    const wait = mode.kind === 'delay' ? mode.ms : 0;
    // Never before an earlier chunk of the same direction: delays keep the byte order.
    const releaseAt = Math.max(now + wait, pipe.lastRelease[direction]);
    pipe.lastRelease[direction] = releaseAt;
    if (releaseAt <= now) this.#write(pipe, chunk, direction);
    else setTimeout(() => this.#write(pipe, chunk, direction), releaseAt - now);
  }

  #write(pipe: Pipe, chunk: Buffer, direction: 'toUp' | 'toDown'): void {
    if (!this.#pipes.has(pipe)) return;
    // A chunk delayed across a switch to block is lost like any other byte sent during it.
    if (this.#mode.kind === 'block') {
      this.stats.bytesDropped += chunk.length;
      pipe.lostBytes = true;
      return;
    }
    const [from, to] = direction === 'toUp' ? [pipe.down, pipe.up] : [pipe.up, pipe.down];
    if (to === undefined || to.destroyed) return;
    this.stats.bytesForwarded += chunk.length;
    // Backpressure: stop reading the sender until the receiver drains.
    if (!to.write(chunk) && from !== undefined) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  }

  #reset(pipe: Pipe): void {
    if (!this.#pipes.has(pipe)) return;
    this.stats.resets++;
    this.#pipes.delete(pipe);
    if (!pipe.down.destroyed) pipe.down.resetAndDestroy();
    if (pipe.up !== undefined && !pipe.up.destroyed) pipe.up.resetAndDestroy();
  }

  /** One side closed: let the other flush what it holds, then close too. */
  #closed(pipe: Pipe): void {
    if (!this.#pipes.delete(pipe)) return;
    pipe.down.end();
    pipe.up?.end();
  }

  #destroy(pipe: Pipe): void {
    if (!this.#pipes.delete(pipe)) return;
    pipe.down.destroy();
    pipe.up?.destroy();
  }
}
