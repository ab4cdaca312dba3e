/**
 * The peer transport contract: how a Raft node hands messages to its peers and
 * receives theirs. Two implementations share it: `WsTransport` (real sockets)
 * and `MemoryTransport` (an in-process hub for runtime tests).
 *
 * Choices, all made so the runtime can treat every implementation alike:
 * - `send` takes the message alone: a core `Message` already names its `to`,
 *   and a second argument could only disagree with it.
 * - `send` is synchronous, never throws and never blocks. It answers whether
 *   the message was accepted; a `false` (queue full, unknown peer, not
 *   running) needs no handling because Raft retransmits (§5.3: AppendEntries
 *   is retried, elections time out and restart).
 * - Delivery is at most once and FIFO per directed link; messages may be lost
 *   (a link went down), never duplicated by the transport, never reordered
 *   within one link.
 * - Inbound messages reach one callback, asynchronously (never inside `send`),
 *   already validated: `from` is the authenticated sender and `to` is this
 *   node. A callback rather than an `AsyncIterable` because the core's `step`
 *   is synchronous and cheap; an iterator would add a second buffer that would
 *   itself need a bound.
 * - Peers are added and removed at run time, because membership changes
 *   (learners joining, servers removed) happen while the node runs.
 */

import type { Message, NodeId } from '../core/types.ts';

/** Receives every inbound message. An exception it throws is logged and the message is lost; the link stays up. */
export type MessageHandler = (m: Message) => void;

/** Counters for one directed link from this node to a peer. Counters only grow; `queued` is a level. */
export interface PeerStats {
  /** Whether the outbound link is up now (a message sent now would leave at once). */
  readonly connected: boolean;
  /** Messages accepted by `send` and waiting for the link (bounded by the queue limits). */
  readonly queued: number;
  /** Messages handed to the link. */
  readonly sent: number;
  /** Messages refused by `send` for this peer: queue full or frame too large. */
  readonly dropped: number;
  /** Valid messages received from this peer. */
  readonly received: number;
}

/** A point-in-time view of a transport's counters. */
export interface TransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerStats>;
  /** Inbound connections refused (bad token, bad node id, wrong path). */
  readonly refused: number;
  /** Inbound frames rejected (oversized, undecodable, wrong shape, forged sender); each closed its connection. */
  readonly malformed: number;
}

/** Moves Raft messages between this node and its peers. */
export interface Transport extends AsyncDisposable {
  /** This node's id: the `from` of everything it sends, the `to` of everything it accepts. */
  readonly id: NodeId;
  /** Starts accepting peers and dialing them. Call once (a second call throws `INVALID_ARGUMENT`); throws `CLOSED` after `close()`. */
  start(): Promise<void>;
  /** Queues `m` for `m.to`. Returns false when dropped: not started, closed, unknown peer, queue full, or too large. */
  send(m: Message): boolean;
  /** Sets the one inbound handler, replacing any previous one. Messages arriving without a handler are lost. */
  onMessage(handler: MessageHandler): void;
  /**
   * Sets the one handler told when an open connection with a peer closes. A
   * peer whose process dies has its sockets closed by its kernel, so this
   * arrives long before any timeout; a flapping link causes it too, so it is
   * a hint, never proof that the peer is down.
   */
  onPeerLost(handler: (peer: NodeId) => void): void;
  /** Adds a peer (or changes its address). `address` is `host:port`; in-memory transports ignore it. */
  addPeer(id: NodeId, address: string): void;
  /** Forgets a peer and discards its queue. Unknown ids are ignored. */
  removePeer(id: NodeId): void;
  /** A snapshot of the counters, per peer and for inbound traffic. */
  stats(): TransportStats;
  /** Stops everything and releases every socket and timer. Idempotent: later calls return the same promise. */
  close(): Promise<void>;
}
