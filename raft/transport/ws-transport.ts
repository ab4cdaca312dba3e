/**
 * The production transport: Raft messages as binary msgpack frames over
 * WebSockets, one connection per *directed* peer link.
 *
 * Why directed links (each node dials every peer for sending and accepts each
 * peer's dial for receiving), not one shared connection per pair: with a
 * shared one both sides dial at once after a restart and must agree on which
 * connection survives, and an accepted connection would need the handshake in
 * both directions. With directed links every connection has one writer and
 * one reader, the dialer alone owns reconnect and backoff, and the acceptor
 * binds the authenticated sender id to the connection. The price is two TCP
 * connections per pair, which is nothing at Raft cluster sizes.
 *
 * Security: the dialer presents the cluster token (compared in constant time)
 * and its node id in the upgrade request; a peer without the token gets 401
 * and a log line. Frames whose `from` is not the connection's peer are
 * rejected. With `tls`, peers are dialed over wss (and served https when this
 * transport creates its server).
 */

import { RaftError } from '../core/errors.ts';
import type { Message, NodeId } from '../core/types.ts';
import { InboundServer } from './inbound-server.ts';
import { encodeMessage } from './message-codec.ts';
import { PeerLink } from './peer-link.ts';
import type { MessageHandler, PeerStats, Transport, TransportStats } from './transport.ts';
import { describe } from './ws-closed.ts';
import {
  checkNodeId,
  type ResolvedWsOptions,
  resolveWsOptions,
  type WsTransportOptions,
} from './ws-options.ts';

type State = 'new' | 'starting' | 'running' | 'closed';

/** A `Transport` over ws/wss. Construct, set `onMessage`, `await start()`, and `close()` when done. */
export class WsTransport implements Transport {
  readonly id: NodeId;
  private readonly o: ResolvedWsOptions;
  private readonly inbound: InboundServer;
  private readonly links = new Map<NodeId, PeerLink>();
  private handler: MessageHandler | undefined;
  private lostHandler: ((peer: NodeId) => void) | undefined;
  private state: State = 'new';
  private closing: Promise<void> | undefined;
  /** The server start in progress or done, so close() can wait for it before closing the server. */
  private listening: Promise<void> | undefined;

  constructor(options: WsTransportOptions) {
    this.o = resolveWsOptions(options);
    this.id = this.o.id;
    this.inbound = new InboundServer(
      this.o,
      (m) => this.dispatch(m),
      (peer) => this.peerLost(peer),
      (peer) => this.links.get(peer)?.redialNow(),
    );
    for (const [id, address] of this.o.peers) this.links.set(id, this.newLink(id, address));
  }

  /** The port the peer server listens on (the real one when `listen.port` was 0); undefined before start. */
  get port(): number | undefined {
    return this.inbound.port;
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new RaftError('CLOSED', `ws transport ${this.id} is closed`);
    if (this.state !== 'new') {
      throw new RaftError('INVALID_ARGUMENT', `ws transport ${this.id}: start() called twice`);
    }
    this.state = 'starting';
    this.listening = this.inbound.start();
    try {
      await this.listening;
    } catch (err) {
      await this.close();
      throw new RaftError('INVALID_ARGUMENT', `ws transport ${this.id}: cannot listen: ${describe(err)}`, {
        cause: err,
      });
    }
    if (this.state !== 'starting') return; // closed meanwhile; close() waited for the listen and undid it
    this.state = 'running';
    for (const link of this.links.values()) link.start();
  }

  send(m: Message): boolean {
    if (this.state !== 'running' || m.from !== this.id) return false;
    const link = this.links.get(m.to);
    if (link === undefined) return false;
    let frame: Uint8Array;
    try {
      frame = encodeMessage(m);
    } catch (err) {
      this.o.logger.error({ peer: m.to, type: m.type, err: describe(err) }, 'cannot encode message');
      return false;
    }
    return link.enqueue(frame);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerLost(handler: (peer: NodeId) => void): void {
    this.lostHandler = handler;
  }

  private newLink(id: NodeId, address: string): PeerLink {
    return new PeerLink(id, address, this.o, (peer) => this.peerLost(peer));
  }

  private peerLost(peer: NodeId): void {
    if (this.state !== 'running') return;
    try {
      this.lostHandler?.(peer);
    } catch (err) {
      this.o.logger.error({ peer, err: describe(err) }, 'peer-lost handler threw');
    }
  }

  addPeer(id: NodeId, address: string): void {
    if (this.state === 'closed' || id === this.id || !checkNodeId(id)) return;
    const existing = this.links.get(id);
    if (existing !== undefined) {
      existing.setAddress(address);
      return;
    }
    const link = this.newLink(id, address);
    this.links.set(id, link);
    if (this.state === 'running') link.start();
  }

  removePeer(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.links.delete(id);
    void link.close();
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [id, link] of this.links) peers.set(id, link.stats(this.inbound.received(id)));
    return { peers, refused: this.inbound.refused, malformed: this.inbound.malformed };
  }

  /** Closes outbound links, then inbound connections and the server (if owned). Every step runs even if one fails. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    const links = [...this.links.values()];
    this.links.clear();
    await this.listening?.catch(() => {}); // start() reports its own failure
    const results = await Promise.allSettled([...links.map((l) => l.close()), this.inbound.close()]);
    for (const r of results) {
      if (r.status === 'rejected')
        this.o.logger.error({ err: describe(r.reason) }, 'error while closing transport');
    }
  }

  private dispatch(m: Message): void {
    if (this.state !== 'running') return;
    this.handler?.(m);
  }
}
