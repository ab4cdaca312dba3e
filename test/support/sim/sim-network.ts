import type { Message, NodeId } from '../../../raft/core/types.ts';
import { EventQueue } from './event-queue.ts';
import { intBetween, type SimRng } from './sim-rng.ts';

/** How the network treats every message (link blocks and delays come on top). */
export interface NetworkConditions {
  /** Probability in [0, 1) that a message is lost. */
  readonly dropRate: number;
  /** Probability in [0, 1) that a message is delivered twice (each copy with its own latency). */
  readonly dupRate: number;
  /** Latency bounds in time units, inclusive; a range wider than zero reorders messages. */
  readonly minLatency: number;
  readonly maxLatency: number;
}

export const CALM_NETWORK: NetworkConditions = Object.freeze({
  dropRate: 0,
  dupRate: 0,
  minLatency: 1,
  maxLatency: 5,
});

/** Counters for reports and for tests of the network itself. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  blocked: number;
  duplicated: number;
}

/**
 * A virtual network in the style of etcd's `rafttest/network.go`: every
 * message gets a delivery time from a seeded latency draw (so messages
 * reorder), may be lost or duplicated, and never crosses a blocked directed
 * link — checked when sent and again when due, so a partition also swallows
 * what was in flight. Blocks are directed: `block(a, b)` stops a→b only.
 */
export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, blocked: 0, duplicated: 0 };
  #conditions: NetworkConditions;
  /** Directed links that carry nothing, as `from>to`. */
  readonly #blocked = new Set<string>();
  /** Extra latency per directed link, as `from>to` → time units. */
  readonly #delays = new Map<string, number>();
  readonly #inFlight = new EventQueue<Message>();
  readonly #rng: SimRng;

  constructor(rng: SimRng, conditions: NetworkConditions = CALM_NETWORK) {
    this.#rng = rng;
    this.#conditions = checkConditions(conditions);
  }

  get conditions(): NetworkConditions {
    return this.#conditions;
  }

  setConditions(conditions: Partial<NetworkConditions>): void {
    this.#conditions = checkConditions({ ...this.#conditions, ...conditions });
  }

  /** Blocks the directed link from → to (to → from stays open). */
  block(from: NodeId, to: NodeId): void {
    if (from !== to) this.#blocked.add(linkKey(from, to));
  }

  unblock(from: NodeId, to: NodeId): void {
    this.#blocked.delete(linkKey(from, to));
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.#blocked.has(linkKey(from, to));
  }

  /** Symmetric partition: nodes in different groups cannot talk either way; links within a group are untouched. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const [g, group] of groups.entries()) {
      for (const other of groups.slice(g + 1)) {
        for (const a of group) {
          for (const b of other) {
            this.block(a, b);
            this.block(b, a);
          }
        }
      }
    }
  }

  /** Cuts `node` off from every one of `others`, both ways. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    this.partition([[node], others.filter((o) => o !== node)]);
  }

  /** Two halves that cannot reach each other, and a bridge node that reaches both (not listed in either half). */
  bridge(left: readonly NodeId[], right: readonly NodeId[]): void {
    this.partition([left, right]);
  }

  /** Adds `extra` time units to every message on the directed link from → to. */
  delayLink(from: NodeId, to: NodeId, extra: number): void {
    if (extra > 0) this.#delays.set(linkKey(from, to), extra);
    else this.#delays.delete(linkKey(from, to));
  }

  /** Opens every link and removes every link delay (conditions stay as they are). */
  heal(): void {
    this.#blocked.clear();
    this.#delays.clear();
  }

  /** Number of directed links currently blocked. */
  get blockedLinks(): number {
    return this.#blocked.size;
  }

  /** Hands messages to the network at time `now`; each one is dropped, delivered once or twice. */
  send(now: number, messages: readonly Message[]): void {
    for (const message of messages) {
      this.stats.sent++;
      if (this.isBlocked(message.from, message.to)) {
        this.stats.blocked++;
        continue;
      }
      if (this.#draw(this.#conditions.dropRate)) {
        this.stats.dropped++;
        continue;
      }
      this.#enqueue(now, message);
      if (this.#draw(this.#conditions.dupRate)) {
        this.stats.duplicated++;
        this.#enqueue(now, message);
      }
    }
  }

  /** Forgets every message in flight to `node` (it crashed: its socket buffers are gone). */
  dropTo(node: NodeId): void {
    this.stats.dropped += this.#inFlight.removeWhere((m) => m.to === node);
  }

  /** When the next message is due (Infinity when none is in flight). */
  peekTime(): number {
    return this.#inFlight.peekTime();
  }

  /** The next due message, or undefined when it was lost to a block that appeared while it was in flight. */
  deliverNext(): { time: number; message: Message | undefined } | undefined {
    const next = this.#inFlight.pop();
    if (next === undefined) return undefined;
    if (this.isBlocked(next.item.from, next.item.to)) {
      this.stats.blocked++;
      return { time: next.time, message: undefined };
    }
    this.stats.delivered++;
    return { time: next.time, message: next.item };
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #enqueue(now: number, message: Message): void {
    const { minLatency, maxLatency } = this.#conditions;
    const latency = intBetween(this.#rng, minLatency, maxLatency);
    const extra = this.#delays.get(linkKey(message.from, message.to)) ?? 0;
    this.#inFlight.push(now + latency + extra, copyMessage(message));
  }

  #draw(probability: number): boolean {
    return probability > 0 && this.#rng.next() < probability;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

function checkConditions(c: NetworkConditions): NetworkConditions {
  const rateOk = (r: number) => r >= 0 && r < 1;
  if (!rateOk(c.dropRate) || !rateOk(c.dupRate)) throw new Error(`bad network rates ${JSON.stringify(c)}`);
  if (!Number.isInteger(c.minLatency) || c.minLatency < 1 || c.maxLatency < c.minLatency) {
    throw new Error(`bad latency bounds ${c.minLatency}..${c.maxLatency}`);
  }
  return c;
}

/**
 * Each copy in flight is its own envelope (and entry list), as a real
 * transport's encoding would make it: a sender that reuses what it sent, or a
 * receiver that mutates what it got, cannot reach into another copy.
 */
function copyMessage(message: Message): Message {
  if (message.type === 'append') return { ...message, entries: [...message.entries] };
  return { ...message };
}
