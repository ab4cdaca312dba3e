import type { ConfChange, ConfEntry, Message, NodeId } from '../../../raft/core/types.ts';
import { EventQueue } from './event-queue.ts';
import { InvariantChecker } from './invariant-checker.ts';
import type { CoreFactory } from './sim-core.ts';
import { CALM_NETWORK, type NetworkConditions, SimNetwork } from './sim-network.ts';
import { type ClientOutcome, type NodeSettings, SimNode } from './sim-node.ts';
import { deriveRng, intBetween, type SimRng } from './sim-rng.ts';
import { describeMessage, describeNetwork, describeNode, describeOutcome } from './trace.ts';

/** Nodes a cluster may hold at once, founders and later additions together. */
export const MAX_NODES = 7;
/** Messages a slow node buffers between two ticks; later ones are lost. */
const SLOW_INBOX_LIMIT = 512;

export interface ClusterSettings {
  readonly seed: number;
  /** Founding voters, named n1…nN. */
  readonly nodes: number;
  readonly raft: NodeSettings['raft'];
  readonly snapshotThreshold: number;
  readonly snapshotPadding: number;
  /** Virtual time a Ready's durable write takes (0: the synchronous Ready loop); see NodeSettings. */
  readonly persistDelay: number;
  /** Virtual time units between two ticks of a normal node. */
  readonly tickUnits: number;
  readonly network?: NetworkConditions;
  /** Shut a node down for good once its removal is applied (otherwise it keeps running). */
  readonly retireRemoved: boolean;
  /** Receives a line per delivery, client call, crash and node state change (for debugging a schedule). */
  readonly trace?: (line: string) => void;
}

/** What the driver counts for reports. */
export interface ClusterStats {
  proposals: number;
  accepted: number;
  refused: number;
  confChanges: number;
  crashes: number;
  reads: number;
}

/** A node's next tick (stale once the node restarted), or an action scheduled with `at`. */
type Timer =
  | { readonly kind: 'tick'; readonly id: NodeId; readonly incarnation: number }
  | { readonly kind: 'action'; readonly run: () => void; readonly fault: boolean };

/**
 * A whole cluster on a virtual clock: nodes tick on their own periods (a slow
 * node ticks less often and handles its messages only when it ticks), the
 * network delivers in time order, and every step is checked by `checker`.
 * `runUntil` stops early at the first violation.
 */
export class SimCluster {
  readonly checker = new InvariantChecker();
  readonly network: SimNetwork;
  readonly stats: ClusterStats = {
    proposals: 0,
    accepted: 0,
    refused: 0,
    confChanges: 0,
    crashes: 0,
    reads: 0,
  };
  readonly settings: ClusterSettings;
  /** Every node ever created, in creation order. */
  readonly #nodes = new Map<NodeId, SimNode>();
  /** Per node, its normal tick period (a little drift between nodes). */
  readonly #periods = new Map<NodeId, number>();
  readonly #timers = new EventQueue<Timer>();
  /** Per node, the last term it was seen leading (to report each new leader once). */
  readonly #ledTerm = new Map<NodeId, number>();
  /** Called once per (node, term) when a node is first seen as leader, right after the step that elected it. */
  onLeader: ((node: SimNode) => void) | undefined;
  /** Called right after a step that moved a leader's commit index forward. */
  onLeaderCommit: ((node: SimNode) => void) | undefined;
  /** Per node, the commit index seen after its last step. */
  readonly #commitSeen = new Map<NodeId, number>();
  readonly #rng: SimRng;
  /** When a node notices a closed connection (a stream of its own, so other draws stay as they were). */
  readonly #linkRng: SimRng;
  readonly #factory: CoreFactory;
  /** Members of the latest applied configuration, and its index. */
  #members: ReadonlySet<NodeId>;
  #confIndex = 0;
  readonly #toRetire: NodeId[] = [];
  /** Per node, the state line last traced. */
  readonly #traced = new Map<NodeId, string>();
  #now = 0;
  #seq = 0;

  constructor(settings: ClusterSettings, factory: CoreFactory) {
    this.settings = settings;
    this.#factory = factory;
    this.#rng = deriveRng(settings.seed, 'cluster');
    this.network = new SimNetwork(deriveRng(settings.seed, 'network'), settings.network ?? CALM_NETWORK);
    this.#linkRng = deriveRng(settings.seed, 'links');
    this.network.onCut = (from, to) => {
      const node = this.#nodes.get(to);
      if (node !== undefined) this.#linkLost(node, from);
    };
    const founders = Array.from({ length: settings.nodes }, (_, k) => `n${k + 1}`);
    this.#members = new Set(founders);
    for (const id of founders) this.#create(id, founders);
  }

  get now(): number {
    return this.#now;
  }

  get ok(): boolean {
    return this.checker.ok;
  }

  node(id: NodeId): SimNode | undefined {
    return this.#nodes.get(id);
  }

  /** Nodes not retired, in creation order (up or down). */
  nodes(): SimNode[] {
    return [...this.#nodes.values()].filter((n) => !n.retired);
  }

  /** The live leader of the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.#nodes.values()) {
      const core = node.core;
      if (core?.role === 'leader' && (best === undefined || core.term > best.core!.term)) best = node;
    }
    return best;
  }

  /** Runs every event due at or before `time`, then sets the clock to `time`; stops at the first violation. */
  runUntil(time: number): void {
    while (this.checker.ok) {
      const next = Math.min(this.network.peekTime(), this.#timers.peekTime());
      if (next > time) break;
      this.#setNow(next);
      if (this.network.peekTime() <= this.#timers.peekTime()) this.#deliverNext();
      else this.#fireTimer();
      this.#retirePending();
      this.#checkStorm();
    }
    if (this.checker.ok) this.#setNow(Math.max(this.#now, time));
  }

  crash(id: NodeId): void {
    const node = this.#nodes.get(id);
    if (node?.live !== true) return;
    this.stats.crashes++;
    node.crash();
    this.network.dropTo(id);
    this.trace(`${id} crashed`);
    // Its kernel closes its sockets: every live peer notices, a little later.
    for (const other of this.#nodes.values()) if (other.id !== id) this.#linkLost(other, id);
  }

  restart(id: NodeId): void {
    const node = this.#nodes.get(id);
    if (node === undefined || node.live || node.retired) return;
    node.start(this.#now);
    this.#scheduleFirstTick(node);
    this.trace(`${id} restarted`);
    this.#afterInput(node);
  }

  /** Runs a fault `action` at virtual time `time` (not before the current time), between two node steps. */
  at(time: number, action: () => void): void {
    this.#timers.push(Math.max(time, this.#now), { kind: 'action', run: action, fault: true });
  }

  /** Drops every fault action scheduled with `at` that has not run yet (the nodes' own pending writes stay). */
  cancelActions(): void {
    this.#timers.removeWhere((timer) => timer.kind === 'action' && timer.fault);
  }

  /** `factor` > 1: the node ticks `factor` times less often and handles messages only when it ticks. */
  setSlow(id: NodeId, factor: number): void {
    const node = this.#nodes.get(id);
    if (node !== undefined) node.slowFactor = Math.max(1, factor);
  }

  /** Restores a normal pace everywhere; buffered messages are handled at each node's next tick. */
  clearSlow(): void {
    for (const node of this.#nodes.values()) node.slowFactor = 1;
  }

  /** Proposes `count` entries through a client that picks a live leader (possibly a stale one), or on `to`. */
  propose(count: number, to?: SimNode): ClientOutcome | undefined {
    let last: ClientOutcome | undefined;
    for (let k = 0; k < count; k++) {
      const target = to ?? this.#pickLeader();
      if (target === undefined) return undefined;
      this.stats.proposals++;
      last = target.propose(this.#now, this.#payload(target.id));
      this.trace(`propose on ${target.id}: ${describeOutcome(last)}`);
      this.#afterInput(target);
      if (last !== undefined && 'refused' in last) this.stats.refused++;
      else if (last !== undefined) this.stats.accepted++;
    }
    return last;
  }

  /** Proposes one entry on `node` with an exact payload (used by the liveness check). */
  proposeOn(node: SimNode, data: Uint8Array): ClientOutcome | undefined {
    this.stats.proposals++;
    const outcome = node.propose(this.#now, data);
    this.trace(`propose ${Buffer.from(data).toString('latin1')} on ${node.id}: ${describeOutcome(outcome)}`);
    this.#afterInput(node);
    return outcome;
  }

  /** Asks the highest-term leader to change the membership. */
  changeConf(change: ConfChange): ClientOutcome | undefined {
    const leader = this.leader();
    if (leader === undefined) return undefined;
    this.stats.confChanges++;
    const outcome = leader.proposeConfChange(this.#now, change);
    this.trace(`conf change ${change.type} ${change.node} on ${leader.id}: ${describeOutcome(outcome)}`);
    this.#afterInput(leader);
    return outcome;
  }

  /** Starts a brand-new node (no bootstrap) and asks the leader to add it as a learner to be promoted. */
  addNode(): SimNode | undefined {
    if (this.#nodes.size >= MAX_NODES) return undefined;
    const id = `n${this.#nodes.size + 1}`;
    const node = this.#create(id, undefined);
    this.changeConf({ type: 'add-learner', node: id, promote: true });
    return node;
  }

  transferLeadership(to: NodeId): void {
    const leader = this.leader();
    if (leader === undefined || leader.id === to) return;
    this.trace(`transfer leadership ${leader.id} → ${to}`);
    leader.transferLeadership(this.#now, to);
    this.#afterInput(leader);
  }

  readIndex(id: NodeId): void {
    const node = this.#nodes.get(id);
    if (node?.live !== true) return;
    this.stats.reads++;
    const ctx = `r${++this.#seq}`;
    this.trace(`readIndex ${ctx} on ${id}`);
    node.readIndex(this.#now, ctx);
    this.#afterInput(node);
  }

  /** Hands a line to the trace sink, if any, stamped with the virtual time. */
  trace(line: string): void {
    this.settings.trace?.(`t=${this.#now} ${line}`);
  }

  /** One line per node, for failure reports. */
  describe(): string {
    const lines = [`t=${this.#now} network: ${describeNetwork(this.network)}`];
    for (const node of this.#nodes.values()) lines.push(`  ${describeNode(node)}`);
    return lines.join('\n');
  }

  #create(id: NodeId, bootstrap: readonly NodeId[] | undefined): SimNode {
    const { seed, raft, snapshotThreshold, snapshotPadding, persistDelay, tickUnits } = this.settings;
    const settings: NodeSettings = {
      raft,
      bootstrap,
      seed,
      snapshotThreshold,
      snapshotPadding,
      persistDelay,
    };
    const node: SimNode = new SimNode(id, settings, this.#factory, this.checker, {
      send: (now, messages) => this.network.send(now, messages),
      onConfApplied: (entry) => this.#onConfApplied(entry),
      later: (delay, fn) => {
        const run = () => {
          fn(this.#now);
          this.#afterInput(node);
        };
        this.#timers.push(this.#now + delay, { kind: 'action', run, fault: false });
      },
    });
    this.#nodes.set(id, node);
    this.#periods.set(id, intBetween(this.#rng, tickUnits - 1, tickUnits + 1));
    node.start(this.#now);
    this.#scheduleFirstTick(node);
    this.trace(`${id} created`);
    return node;
  }

  /** `node` notices, within a tick, that its connection with `peer` closed. */
  #linkLost(node: SimNode, peer: NodeId): void {
    if (!node.live) return;
    const incarnation = node.incarnation;
    const run = () => {
      if (!node.live || node.incarnation !== incarnation) return;
      this.trace(`${node.id} lost its connection with ${peer}`);
      node.peerLost(this.#now, peer);
      this.#afterInput(node);
    };
    const delay = 1 + this.#linkRng.int(this.#period(node));
    this.#timers.push(this.#now + delay, { kind: 'action', run, fault: false });
  }

  #scheduleFirstTick(node: SimNode): void {
    const first = this.#now + 1 + this.#rng.int(this.#period(node));
    this.#timers.push(first, { kind: 'tick', id: node.id, incarnation: node.incarnation });
  }

  #period(node: SimNode): number {
    return this.#periods.get(node.id)! * node.slowFactor;
  }

  #setNow(time: number): void {
    this.#now = time;
    this.checker.log.time = time;
  }

  #deliverNext(): void {
    const message = this.network.deliverNext()?.message;
    if (message === undefined) return;
    const node = this.#nodes.get(message.to);
    if (node?.live !== true) return;
    if (node.slowFactor > 1) {
      if (node.inbox.length < SLOW_INBOX_LIMIT) node.inbox.push(message);
      return;
    }
    this.#deliverTo(node, message);
  }

  #checkStorm(): void {
    const storm = this.network.storm(this.#nodes.size, Math.max(50, this.#now / this.settings.tickUnits));
    if (storm !== undefined) this.checker.log.report('message-storm', '-', storm);
  }

  #deliverTo(node: SimNode, message: Message): void {
    if (this.settings.trace !== undefined) this.trace(`${node.id} ← ${describeMessage(message)}`);
    node.deliver(this.#now, message);
    this.#afterInput(node);
  }

  /** Reports a newly elected leader, and traces a node's state when it changed. */
  #afterInput(node: SimNode): void {
    const core = node.core;
    if (core?.role === 'leader' && this.#ledTerm.get(node.id) !== core.term) {
      this.#ledTerm.set(node.id, core.term);
      this.onLeader?.(node);
    }
    const committed = this.#commitSeen.get(node.id) ?? 0;
    this.#commitSeen.set(node.id, core?.commitIndex ?? 0);
    if (core?.role === 'leader' && core.commitIndex > committed) this.onLeaderCommit?.(node);
    if (this.settings.trace === undefined) return;
    const line = describeNode(node);
    if (this.#traced.get(node.id) === line) return;
    this.#traced.set(node.id, line);
    this.trace(`  ${line}`);
  }

  #fireTimer(): void {
    const timer = this.#timers.pop()!.item;
    if (timer.kind === 'action') {
      timer.run();
      return;
    }
    const node = this.#nodes.get(timer.id);
    if (node?.live !== true || node.incarnation !== timer.incarnation) return;
    const held: Message[] = node.inbox.splice(0);
    for (const message of held) {
      if (!node.live || !this.checker.ok) return;
      this.#deliverTo(node, message);
    }
    if (!node.live) return;
    node.tick(this.#now);
    this.#afterInput(node);
    if (node.live) this.#timers.push(this.#now + this.#period(node), timer);
  }

  #pickLeader(): SimNode | undefined {
    const leaders = [...this.#nodes.values()].filter((n) => n.core?.role === 'leader');
    return leaders.length === 0 ? undefined : leaders[this.#rng.int(leaders.length)];
  }

  #payload(origin: NodeId): Uint8Array {
    const seq = ++this.#seq;
    return Buffer.from(`${origin}:${seq}:${'x'.repeat(this.#rng.int(40))}`, 'latin1');
  }

  #onConfApplied(entry: ConfEntry): void {
    if (entry.index <= this.#confIndex) return;
    this.#confIndex = entry.index;
    const next = new Set([...entry.conf.voters, ...entry.conf.learners]);
    if (this.settings.retireRemoved) {
      for (const id of this.#members) if (!next.has(id)) this.#toRetire.push(id);
    }
    this.#members = next;
  }

  /** Retires removed nodes between events, never inside another node's Ready loop. */
  #retirePending(): void {
    for (const id of this.#toRetire.splice(0)) {
      const node = this.#nodes.get(id);
      if (node === undefined) continue;
      this.crash(id);
      node.retired = true;
    }
  }
}
