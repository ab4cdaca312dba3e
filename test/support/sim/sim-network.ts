import type { Message, NodeId } from '../../../raft/core/types.ts';
import { EventQueue } from './event-queue.ts';
import { intBetween, type SimRng } from './sim-rng.ts';

/** How the network treats every message (link blocks and delays come on top). */
export interface NetworkConditions {
  /** Probability in [0, 1) that a message is lost. */
  readonly dropRate: number;
  /** Probability in [0, 1) that a message is delivered twice (each copy with its own latency). */
  readonly dupRate: number;
  /** Latency bounds in time units, inclusive. */
  readonly minLatency: number;
  readonly maxLatency: number;
  /**
   * Whether messages on one directed link may overtake each other (each gets
   * its own latency draw). Off, a link is FIFO like the TCP connection a real
   * transport keeps per peer pair: a message is never due before the one
   * sent ahead of it.
   */
  readonly reorder: boolean;
}

/** What the network returns to once every fault heals: FIFO links, no loss, small latencies. */
export const CALM_NETWORK: NetworkConditions = Object.freeze({
  dropRate: 0,
  dupRate: 0,
  minLatency: 1,
  maxLatency: 5,
  reorder: false,
});

/**
 * What counts as a message storm: this many messages in flight at once, or
 * this many sent per node per tick on average. Healthy runs stay below ~400
 * in flight and ~9 per node per tick, even with 30% loss, 20% duplication,
 * tiny snapshot chunks and batches of one entry.
 */
export const STORM_IN_FLIGHT = 2500;
export const STORM_RATE = 40;

/** Counters for reports and for tests of the network itself. */
export interface NetworkStats {
  sent: number;
  /** The most messages ever in flight at once. */
  maxInFlight: number;
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
  readonly stats: NetworkStats = {
    sent: 0,
    maxInFlight: 0,
    delivered: 0,
    dropped: 0,
    blocked: 0,
    duplicated: 0,
  };
  #conditions: NetworkConditions;
  /** Directed links that carry nothing, as `from>to`. */
  readonly #blocked = new Set<string>();
  /** Extra latency per directed link, as `from>to` → time units. */
  readonly #delays = new Map<string, number>();
  readonly #inFlight = new EventQueue<Message>();
  /** Per directed link, the due time of the last message sent on it (for FIFO links). */
  readonly #lastDue = new Map<string, number>();
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
    if (from === to || this.#blocked.has(linkKey(from, to))) return;
    this.#blocked.add(linkKey(from, to));
    this.onCut?.(from, to);
  }

  /** Told when a link is newly blocked: like a cut connection, `to` may notice it lost `from`. */
  onCut: ((from: NodeId, to: NodeId) => void) | undefined;

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

  /** Describes a message storm among `nodes` nodes after `ticks` ticks, or returns undefined when there is none. */
  storm(nodes: number, ticks: number): string | undefined {
    const { sent } = this.stats;
    if (this.inFlight <= STORM_IN_FLIGHT && sent <= STORM_RATE * nodes * ticks) return undefined;
    return `${sent} messages sent in ${Math.round(ticks)} ticks, ${this.inFlight} in flight, most of them: ${this.inFlightSummary()}`;
  }

  /** The most common kinds of message in flight, as `type from→to ×count`, most frequent first. */
  inFlightSummary(top = 4): string {
    const counts = new Map<string, number>();
    for (const m of this.#inFlight.items()) {
      const key = `${m.type} ${m.from}→${m.to}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, n]) => `${key} ×${n}`)
      .join(', ');
  }

  #enqueue(now: number, message: Message): void {
    const { minLatency, maxLatency } = this.#conditions;
    const link = linkKey(message.from, message.to);
    const latency = intBetween(this.#rng, minLatency, maxLatency);
    let due = now + latency + (this.#delays.get(link) ?? 0);
    if (!this.#conditions.reorder) due = Math.max(due, this.#lastDue.get(link) ?? 0);
    this.#lastDue.set(link, due);
    this.#inFlight.push(due, copyMessage(message));
    if (this.#inFlight.size > this.stats.maxInFlight) this.stats.maxInFlight = this.#inFlight.size;
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
