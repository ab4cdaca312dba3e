/**
 * An in-process `Transport` and the `MemoryNetwork` hub that connects them,
 * for runtime tests without sockets. Same contract as `WsTransport`: explicit
 * peers, a bounded queue per peer with drop-and-count, asynchronous FIFO
 * delivery per link, and every message goes through the real wire codec
 * (encode, then decode and validate) so the receiver gets its own copy in
 * exactly the shape the ws transport would deliver.
 *
 * The network can block directed links, partition groups, isolate a node and
 * drop messages at random (seeded). What it loses it counts in `lost`; the
 * sender does not learn of it, as with a real network.
 */

import { RaftError } from '../core/errors.ts';
import type { Message, NodeId, Rng } from '../core/types.ts';
import { type Logger, noopLogger } from '../logger.ts';
import { mathRandomRng } from './backoff.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';
import type { MessageHandler, PeerStats, Transport, TransportStats } from './transport.ts';
import { DEFAULT_MAX_QUEUE_MESSAGES } from './ws-options.ts';

export interface MemoryTransportOptions {
  /** Peers at start; more via `addPeer`. */
  readonly peers?: readonly NodeId[];
  /** Per-peer bound on messages sent but not yet delivered. */
  readonly maxQueueMessages?: number;
  readonly logger?: Logger;
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}\u0000${to}`;

/** One directed link's outbox: frames waiting for the next delivery turn. */
interface Outbox {
  frames: Uint8Array[];
  flush: NodeJS.Immediate | undefined;
  sent: number;
  dropped: number;
  received: number;
}

/** The hub: a registry of transports by id, and the fault controls. */
export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly blocked = new Set<string>();
  private dropRate = 0;
  private rng: Rng = mathRandomRng;
  /** Messages the network discarded: blocked link, random drop, receiver absent or closed. */
  lost = 0;

  /** Node `id`'s transport closed: like a dead process's sockets, every peer holding a link to it hears so. */
  closed(id: NodeId): void {
    for (const t of this.nodes.values()) if (t.id !== id) queueMicrotask(() => t.linkClosed(id));
  }

  /** Creates the transport of node `id`. Throws when one is already open for `id` (close it first to "restart"). */
  transport(id: NodeId, options: MemoryTransportOptions = {}): MemoryTransport {
    const existing = this.nodes.get(id);
    if (existing !== undefined && !existing.isClosed) {
      throw new RaftError('INVALID_ARGUMENT', `memory network: node ${id} already has an open transport`);
    }
    const t = new MemoryTransport(id, this, options);
    this.nodes.set(id, t);
    return t;
  }

  /** Stops delivery from `from` to `to` (one direction). */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(linkKey(from, to));
  }

  unblock(from: NodeId, to: NodeId): void {
    this.blocked.delete(linkKey(from, to));
  }

  /** Cuts every link between nodes of different groups (both directions). Nodes in no group are unaffected. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    for (const [i, a] of groups.entries()) {
      for (const [j, b] of groups.entries()) {
        if (i === j) continue;
        for (const x of a) for (const y of b) this.block(x, y);
      }
    }
  }

  /** Cuts `id` off from every node known to the network, both directions. */
  isolate(id: NodeId): void {
    this.partition(
      [id],
      [...this.nodes.keys()].filter((n) => n !== id),
    );
  }

  /** Removes every block and the random drop rate. */
  heal(): void {
    this.blocked.clear();
    this.dropRate = 0;
  }

  /** Drops each delivered message with probability `rate`, decided by `rng` (seed it for replayable tests). */
  setDropRate(rate: number, rng: Rng = mathRandomRng): void {
    if (!(rate >= 0 && rate <= 1))
      throw new RaftError('INVALID_ARGUMENT', `drop rate must be in [0, 1], got ${rate}`);
    this.dropRate = rate;
    this.rng = rng;
  }

  /** Whether a message from `from` would reach `to` now (barring random drops). */
  reachable(from: NodeId, to: NodeId): boolean {
    return !this.blocked.has(linkKey(from, to)) && this.nodes.get(to)?.isRunning === true;
  }

  /** Delivers one frame or counts it lost. Called by the sending transport on its delivery turn. */
  deliver(from: NodeId, to: NodeId, frame: Uint8Array): void {
    if (
      !this.reachable(from, to) ||
      (this.dropRate > 0 && this.rng.int(1_000_000) < this.dropRate * 1_000_000)
    ) {
      this.lost += 1;
      return;
    }
    this.nodes.get(to)!.receive(from, frame);
  }
}

/** A node's endpoint on a `MemoryNetwork`. Create it with `network.transport(id)`. */
export class MemoryTransport implements Transport {
  private readonly outboxes = new Map<NodeId, Outbox>();
  private readonly received = new Map<NodeId, number>();
  private readonly maxQueue: number;
  private readonly logger: Logger;
  private handler: MessageHandler | undefined;
  private lostHandler: ((peer: NodeId) => void) | undefined;
  private state: 'new' | 'running' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private malformed = 0;

  /** Use `MemoryNetwork.transport`. */
  constructor(
    readonly id: NodeId,
    private readonly network: MemoryNetwork,
    options: MemoryTransportOptions,
  ) {
    this.maxQueue = options.maxQueueMessages ?? DEFAULT_MAX_QUEUE_MESSAGES;
    this.logger = options.logger ?? noopLogger;
    for (const peer of options.peers ?? []) this.addPeer(peer);
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new RaftError('CLOSED', `memory transport ${this.id} is closed`);
    if (this.state !== 'new') {
      throw new RaftError('INVALID_ARGUMENT', `memory transport ${this.id}: start() called twice`);
    }
    this.state = 'running';
  }

  send(m: Message): boolean {
    const box = this.outboxes.get(m.to);
    if (this.state !== 'running' || box === undefined || m.from !== this.id) return false;
    if (box.frames.length >= this.maxQueue) {
      box.dropped += 1;
      return false;
    }
    box.frames.push(encodeMessage(m));
    box.sent += 1;
    box.flush ??= setImmediate(() => this.flush(m.to, box));
    return true;
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerLost(handler: (peer: NodeId) => void): void {
    this.lostHandler = handler;
  }

  /** Called by the network when `peer`'s transport closed. */
  linkClosed(peer: NodeId): void {
    if (this.state !== 'running' || !this.outboxes.has(peer)) return;
    try {
      this.lostHandler?.(peer);
    } catch (err) {
      this.logger.error(
        { peer, err: err instanceof Error ? err.message : String(err) },
        'peer-lost handler threw',
      );
    }
  }

  addPeer(id: NodeId, _address = ''): void {
    if (id === this.id || this.outboxes.has(id) || this.state === 'closed') return;
    this.outboxes.set(id, { frames: [], flush: undefined, sent: 0, dropped: 0, received: 0 });
  }

  removePeer(id: NodeId): void {
    const box = this.outboxes.get(id);
    if (box === undefined) return;
    clearImmediate(box.flush);
    this.outboxes.delete(id);
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [id, box] of this.outboxes) {
      peers.set(id, {
        connected: this.isRunning && this.network.reachable(this.id, id),
        queued: box.frames.length,
        sent: box.sent,
        dropped: box.dropped,
        received: this.received.get(id) ?? 0,
      });
    }
    return { peers, refused: 0, malformed: this.malformed };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Called by the network with a frame from `from`; decodes it like the ws transport does. */
  receive(from: NodeId, frame: Uint8Array): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok || decoded.message.from !== from || decoded.message.to !== this.id) {
      this.malformed += 1;
      this.logger.warn(
        { peer: from, reason: decoded.ok ? 'wrong from/to' : decoded.reason },
        'rejected frame',
      );
      return;
    }
    this.received.set(from, (this.received.get(from) ?? 0) + 1);
    try {
      this.handler?.(decoded.message);
    } catch (err) {
      this.logger.error(
        { peer: from, err: err instanceof Error ? err.message : String(err) },
        'message handler threw',
      );
    }
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    for (const box of this.outboxes.values()) clearImmediate(box.flush);
    this.outboxes.clear();
    this.network.closed(this.id);
  }

  private flush(to: NodeId, box: Outbox): void {
    box.flush = undefined;
    const frames = box.frames;
    box.frames = [];
    for (const frame of frames) this.network.deliver(this.id, to, frame);
  }
}
