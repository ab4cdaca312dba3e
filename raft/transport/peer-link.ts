/**
 * The sending half of the ws transport for one peer: a ws connection this
 * node dials, a bounded queue in front of it, and reconnection with jittered
 * exponential backoff. Nothing is ever read from this connection; the peer
 * answers over its own link to us.
 */

import WebSocket from 'ws';
import type { NodeId } from '../core/types.ts';
import { backoffDelay } from './backoff.ts';
import { handshakeHeaders } from './handshake.ts';
import { SendQueue } from './send-queue.ts';
import type { PeerStats } from './transport.ts';
import { describe, terminate } from './ws-closed.ts';
import { peerUrl, type ResolvedWsOptions } from './ws-options.ts';

/** Stop handing frames to the socket while this much is buffered in it; the rest waits in the queue. */
const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

export class PeerLink {
  private readonly queue: SendQueue;
  private ws: WebSocket | undefined;
  private connected = false;
  /** Failed dials since the last successful one: the backoff exponent. */
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private sent = 0;
  private dropped = 0;

  constructor(
    readonly peer: NodeId,
    private address: string,
    private readonly o: ResolvedWsOptions,
    /** Told when an open link closes (not on our own close, nor when a dial fails). */
    private readonly lost: (peer: NodeId) => void = () => {},
  ) {
    this.queue = new SendQueue(o.maxQueueMessages, o.maxQueueBytes);
  }

  /** Starts dialing. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.dial();
  }

  /** Queues one encoded frame; false (and counted) when it is too large or the queue is full. */
  enqueue(frame: Uint8Array): boolean {
    if (this.closed || frame.byteLength > this.o.maxFrameBytes || !this.queue.push(frame)) {
      this.dropped += 1;
      return false;
    }
    this.pump();
    return true;
  }

  /**
   * The peer just connected to us, so it is up: if we are waiting out a
   * backoff to dial it, dial now. A restarted peer would otherwise wait for
   * our backoff (up to its cap) before it hears from us.
   */
  redialNow(): void {
    if (this.closed || !this.running || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
    this.dial();
  }

  /** Points the link at a new address: the current connection is dropped and redialed; the queue is kept. */
  setAddress(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.ws?.terminate(); // its 'close' handler schedules the redial
  }

  stats(received: number): PeerStats {
    return {
      connected: this.connected,
      queued: this.queue.length,
      sent: this.sent,
      dropped: this.dropped,
      received,
    };
  }

  /** Stops dialing, discards the queue and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.pinger);
    this.queue.clear();
    const ws = this.ws;
    this.ws = undefined;
    this.connected = false;
    if (ws !== undefined) await terminate(ws);
  }

  private dial(): void {
    let ws: WebSocket;
    try {
      ws = this.open();
    } catch (err) {
      // An unparsable address throws from the WebSocket constructor; this may run in a timer,
      // where a throw would end the process. Log it and keep retrying: the address may be fixed.
      this.o.logger.warn({ peer: this.peer, address: this.address, err: String(err) }, 'cannot dial peer');
      this.scheduleRedial();
      return;
    }
    this.attach(ws);
  }

  private open(): WebSocket {
    const url = peerUrl(this.address, this.o);
    return new WebSocket(url, {
      headers: handshakeHeaders(this.o.token, this.o.id, this.peer),
      handshakeTimeout: this.o.connectTimeoutMs,
      maxPayload: 1024, // the acceptor never sends data frames on this link
      perMessageDeflate: false,
      ...(this.o.tls?.ca === undefined ? {} : { ca: this.o.tls.ca }),
    });
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.connected = true;
      this.attempt = 0;
      this.o.logger.info({ peer: this.peer, url: ws.url }, 'peer link up');
      this.watchLiveness(ws);
      this.pump();
    });
    ws.on('message', () => {
      this.o.logger.warn({ peer: this.peer }, 'peer sent data on our outbound link; closing it');
      ws.terminate();
    });
    ws.on('error', (err) => {
      // Logged once per outage, not once per retry.
      if (this.ws === ws && this.attempt === 0) {
        this.o.logger.warn(
          { peer: this.peer, url: ws.url, err: describe(err) },
          'peer link failed; retrying with backoff',
        );
      }
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      const wasConnected = this.connected;
      if (wasConnected) this.o.logger.info({ peer: this.peer }, 'peer link down');
      this.ws = undefined;
      this.connected = false;
      clearInterval(this.pinger);
      // What queued for a peer that went away is stale by the time it is back (Raft resends what
      // matters; the leader probes it afresh): delivering it would only flood a restarted peer.
      if (wasConnected) {
        this.dropped += this.queue.length;
        this.queue.clear();
      }
      this.scheduleRedial();
      if (wasConnected && !this.closed) this.lost(this.peer);
    });
  }

  /** Pings every interval; a ping still unanswered at the next tick means the link is dead: drop and redial. */
  private watchLiveness(ws: WebSocket): void {
    let answered = true;
    ws.on('pong', () => {
      answered = true;
    });
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      if (!answered) {
        this.o.logger.warn({ peer: this.peer }, 'peer link unresponsive; reconnecting');
        ws.terminate();
        return;
      }
      answered = false;
      ws.ping();
    }, this.o.pingIntervalMs);
  }

  private scheduleRedial(): void {
    if (this.closed) return;
    const delay = backoffDelay(this.attempt, this.o.backoff, this.o.rng);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.dial();
    }, delay);
  }

  /** Moves frames from the queue to the socket while the socket's buffer is below the high-water mark. */
  private pump(): void {
    const ws = this.ws;
    if (!this.connected || ws === undefined) return;
    while (this.queue.length > 0 && ws.bufferedAmount < SOCKET_HIGH_WATER_BYTES) {
      const frame = this.queue.shift()!;
      this.sent += 1;
      // The callback runs once the frame is written out (or the socket failed): room for more.
      ws.send(frame, { binary: true }, () => this.pump());
    }
  }
}
