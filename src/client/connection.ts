/**
 * One WebSocket to one node, multiplexing every call to it: request ids are
 * unique per connection, answers may come in any order, and watch frames are
 * routed to the watch that opened them. A connection is never reopened: when
 * it closes it fails what it holds (as data, see call-outcome.ts) and the
 * pool makes a fresh one on demand.
 */

import WebSocket from 'ws';
import { CLIENT_PATH, type WatchFrame } from '../protocol/client-protocol.ts';
import { decodeServerFrame, encodeFrame } from '../protocol/frame-codec.ts';
import { WriteBatcher } from '../protocol/write-batcher.ts';
import type { Outcome } from './call-outcome.ts';
import type { ClientTlsOptions } from './client-options.ts';
import type { Deadline } from './deadline.ts';

/** Ping an idle node this often; a connection that missed one whole interval is dropped (half-open TCP). */
export const KEEPALIVE_MS = 10_000;

/** Receives the frames of one watch, and hears when its connection is gone. */
export interface WatchSink {
  onFrame(frame: WatchFrame): void;
  onLost(reason: string): void;
}

/** How waiting for the socket to open ended. */
export type OpenState = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface Pending {
  readonly resolve: (o: Outcome) => void;
  readonly timer: NodeJS.Timeout;
}

/** Write fields of a request: the registry applies one `(clientId, seq)` once. */
export interface Session {
  /** `<clientId>.<lane>` (see write-lanes.ts). */
  readonly clientId: string;
  readonly seq: number;
}

/** The ws (or wss, with TLS) URL of a node's client endpoint. */
export function clientUrl(address: string, secure = false): string {
  return `${secure ? 'wss' : 'ws'}://${address}${CLIENT_PATH}`;
}

/** One socket to one node, shared by every call to it. */
export class Connection {
  private readonly ws: WebSocket;
  /** Ids of this connection's requests; a watch's id is also its watch id. */
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly watches = new Map<number, WatchSink>();
  private state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Why it closed, for the errors of calls that land on it. */
  private reason: string;
  /** Set by any frame or pong; cleared by each keepalive ping. */
  private alive = true;
  private keepalive: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<void>;
  /** Settles once, when the socket opens or fails to; never rejects. */
  readonly opened: Promise<OpenState>;
  private readonly batcher = new WriteBatcher();

  constructor(
    readonly address: string,
    connectTimeoutMs: number,
    private readonly onClosed: (c: Connection) => void,
    tls?: ClientTlsOptions,
  ) {
    this.reason = `${address}: connection closed`;
    this.ws = new WebSocket(clientUrl(address, tls !== undefined), {
      perMessageDeflate: false,
      handshakeTimeout: connectTimeoutMs,
      ...(tls ?? {}),
    });
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => {
        this.state = 'open';
        this.startKeepalive();
        resolve({ ok: true });
      });
      this.ws.once('close', () => resolve({ ok: false, reason: this.reason }));
    });
    this.closedPromise = new Promise((resolve) => this.ws.once('close', () => resolve()));
    // Errors are reported through 'close', which always follows; the listener keeps them from being thrown.
    this.ws.on('error', (err) => {
      this.reason = `${address}: ${err.message}`;
    });
    this.ws.once('upgrade', (response) => this.batcher.attach(response.socket));
    this.ws.on('message', (data, isBinary) => this.handleMessage(data, isBinary));
    this.ws.on('pong', () => {
      this.alive = true;
    });
    this.ws.on('close', () => this.handleClose());
  }

  /** True until the socket closed (a connecting socket counts as usable). */
  get usable(): boolean {
    return this.state !== 'closed';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Waits for the socket to open, at most until `deadline`. */
  async waitOpen(
    deadline: Deadline,
  ): Promise<OpenState | { readonly ok: false; readonly reason: 'timeout' }> {
    if (this.state === 'open') return { ok: true };
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<{ ok: false; reason: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), deadline.remaining());
    });
    try {
      return await Promise.race([this.opened, expiry]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request and resolves with its outcome (never rejects). With
   * `watch`, frames of the watch this request opens go to it until
   * {@link dropWatch}; it is registered before sending, so none is missed.
   */
  request(op: string, args: unknown, session: Session | undefined, deadline: Deadline, watch?: WatchSink) {
    const id = this.nextId++;
    const outcome = new Promise<Outcome>((resolve) => {
      if (this.state !== 'open') {
        resolve({ kind: 'lost', sent: false, reason: this.state === 'closed' ? this.reason : 'not open' });
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = encodeFrame({ id, op, args, ...session });
      } catch (err) {
        resolve({ kind: 'error', error: { code: 'INVALID_ARGUMENT', message: `args: ${String(err)}` } });
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: 'timeout', sent: true });
      }, deadline.remaining());
      this.pending.set(id, { resolve, timer });
      if (watch !== undefined) this.watches.set(id, watch);
      // A send error surfaces as 'error' + 'close', which fails this request through handleClose.
      this.batcher.beforeSend();
      this.ws.send(bytes, { binary: true }, () => {});
    });
    return { id, outcome };
  }

  /** Stops routing frames of watch `id` (after a cancel, or when its stream ended). */
  dropWatch(id: number): void {
    this.watches.delete(id);
  }

  /**
   * Closes the socket. `closing` is true when the client itself closes: the
   * calls held are then told `closed` rather than `lost` (they must not retry).
   */
  close(closing: boolean): Promise<void> {
    if (closing) this.failAll({ kind: 'closed', sent: true }, 'client closed');
    if (this.state === 'open') {
      this.ws.close(1000, 'client closed');
      // A node that never answers the close handshake must not hold close() up.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    } else if (this.state === 'connecting') {
      this.ws.terminate();
    }
    return this.closedPromise;
  }

  private handleMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.alive = true;
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof Buffer
        ? data
        : new Uint8Array(data);
    const decoded = isBinary ? decodeServerFrame(bytes) : { ok: false as const, reason: 'text frame' };
    if (!decoded.ok) {
      // A node that speaks something else cannot be trusted with the calls on this socket.
      this.reason = `${this.address}: bad frame from node (${decoded.reason})`;
      this.ws.terminate();
      return;
    }
    const frame = decoded.frame;
    if ('watch' in frame && typeof frame.watch === 'number') {
      this.watches.get(frame.watch)?.onFrame(frame);
      return;
    }
    if (!('id' in frame)) return;
    const p = this.pending.get(frame.id);
    if (p === undefined) return; // answered after its caller gave up, or id 0
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    p.resolve(
      'error' in frame ? { kind: 'error', error: frame.error } : { kind: 'result', value: frame.result },
    );
  }

  private handleClose(): void {
    this.state = 'closed';
    clearInterval(this.keepalive);
    this.failAll({ kind: 'lost', sent: true, reason: this.reason }, this.reason);
    this.onClosed(this);
  }

  private failAll(outcome: Outcome, reason: string): void {
    const pending = [...this.pending.values()];
    const watches = [...this.watches.values()];
    this.pending.clear();
    this.watches.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.resolve(outcome);
    }
    for (const w of watches) w.onLost(reason);
  }

  private startKeepalive(): void {
    this.keepalive = setInterval(() => {
      if (!this.alive) {
        this.reason = `${this.address}: no answer to keepalive ping`;
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }
}
