import type { RaftOptions } from '../../raft/core/config.ts';
import { RaftCore } from '../../raft/core/raft.ts';
import { seededRng } from '../../raft/core/rng.ts';
import type { Entry, Message, NodeId, PersistedState, ReadState } from '../../raft/core/types.ts';
import { MemoryStorage } from '../../raft/storage/memory.ts';

/** Per-node extras for the scripted cluster. */
export type NodeOptions = Partial<Omit<RaftOptions, 'id' | 'rng'>>;

/**
 * A scripted cluster for scenario tests, in the style of etcd's raft_test.go
 * `network`: every message is delivered at once unless a link is cut, so a
 * test says exactly which node ticks, which link fails and what happens next.
 * Each node persists every Ready to its MemoryStorage before sending, and a
 * crash keeps only that storage.
 */
export class ScriptedCluster {
  readonly nodes = new Map<NodeId, RaftCore>();
  readonly storage = new Map<NodeId, MemoryStorage>();
  /** Applied entries per node, in order (normal entries with data only: no-ops and conf entries are skipped). */
  readonly applied = new Map<NodeId, string[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  readonly droppedReads = new Map<NodeId, string[]>();
  /** Directed links that drop everything: "from->to". */
  private readonly cut = new Set<string>();
  private readonly crashed = new Set<NodeId>();
  /** Messages of a type in this set are dropped everywhere. */
  readonly dropTypes = new Set<Message['type']>();
  /** Sees every message before delivery: returns it (possibly rewritten), or undefined to drop it. */
  intercept: ((m: Message) => Message | undefined) | undefined;
  /** Every message delivered, in order, for tests that inspect traffic. */
  readonly delivered: Message[] = [];
  private queue: Message[] = [];
  private readonly options = new Map<NodeId, RaftOptions>();
  /** Compact a node's log whenever it has applied this many entries past its snapshot (0: never). */
  snapshotEvery = 0;

  constructor(ids: readonly NodeId[], extra: NodeOptions = {}, seed = 1) {
    for (const [k, id] of ids.entries()) this.addNode(id, { bootstrap: ids, ...extra }, seed + k);
  }

  /** Creates a node (a founding member when `bootstrap` is set, else a joiner with an empty log). */
  addNode(id: NodeId, extra: NodeOptions, seed: number, persisted?: PersistedState): RaftCore {
    const options: RaftOptions = { electionTicks: 10, heartbeatTicks: 1, ...extra, id, rng: seededRng(seed) };
    this.options.set(id, options);
    const storage = new MemoryStorage();
    if (persisted !== undefined) {
      storage.log.appendSync(persisted.entries);
      if (persisted.hardState !== undefined) storage.stable.saveSync(persisted.hardState);
    }
    this.storage.set(id, storage);
    this.applied.set(id, []);
    this.readStates.set(id, []);
    this.droppedReads.set(id, []);
    const core = new RaftCore(options, persisted);
    this.nodes.set(id, core);
    this.drain(id);
    return core;
  }

  node(id: NodeId): RaftCore {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Handles every pending Ready of `id`: persist, queue messages, apply, advance. */
  private drain(id: NodeId): void {
    const core = this.node(id);
    const storage = this.storage.get(id)!;
    while (core.hasReady()) {
      const rd = core.ready();
      storage.persistReadySync(rd);
      this.queue.push(...rd.messages);
      if (rd.snapshot !== undefined) {
        this.applied.set(id, JSON.parse(new TextDecoder().decode(rd.snapshot.data)) as string[]);
      }
      for (const e of rd.committed) this.apply(id, e);
      this.readStates.get(id)!.push(...rd.readStates);
      this.droppedReads.get(id)!.push(...rd.droppedReads);
      core.advance(rd);
      const snapIndex = core.snapshotMeta?.index ?? 0;
      if (this.snapshotEvery > 0 && core.appliedIndex - snapIndex >= this.snapshotEvery) {
        const data = new TextEncoder().encode(JSON.stringify(this.applied.get(id)));
        core.compact(core.appliedIndex, data);
        storage.installSnapshotSync({ meta: core.snapshotMeta!, data });
      }
    }
  }

  private apply(id: NodeId, e: Entry): void {
    if (e.type === 'normal' && e.data.byteLength > 0)
      this.applied.get(id)!.push(new TextDecoder().decode(e.data));
  }

  /** Delivers queued messages (and the replies they cause) until none is left. */
  deliverAll(maxRounds = 10_000): void {
    for (let round = 0; this.queue.length > 0; round++) {
      if (round > maxRounds) throw new Error('message storm: the cluster never went quiet');
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        if (this.crashed.has(m.to) || !this.nodes.has(m.to)) continue;
        if (this.cut.has(`${m.from}->${m.to}`) || this.dropTypes.has(m.type)) continue;
        const delivered = this.intercept === undefined ? m : this.intercept(m);
        if (delivered === undefined) continue;
        this.delivered.push(delivered);
        this.node(m.to).step(delivered);
        this.drain(m.to);
      }
    }
  }

  /** Ticks `id` `n` times, delivering after each tick. */
  tick(id: NodeId, n = 1): void {
    for (let k = 0; k < n; k++) {
      if (this.crashed.has(id)) return;
      this.node(id).tick();
      this.drain(id);
      this.deliverAll();
    }
  }

  /** Ticks every live node `n` times in lockstep. */
  tickAll(n = 1): void {
    for (let k = 0; k < n; k++) {
      for (const id of this.nodes.keys()) {
        if (this.crashed.has(id)) continue;
        this.node(id).tick();
        this.drain(id);
      }
      this.deliverAll();
    }
  }

  /** Makes `id` campaign now, as if its election timer fired. */
  campaign(id: NodeId): void {
    const core = this.node(id);
    const startTerm = core.term;
    const wasCampaigning = core.role === 'candidate' || core.role === 'pre-candidate';
    for (let k = 0; k < 100; k++) {
      if (wasCampaigning ? core.term > startTerm : core.role !== 'follower') break;
      core.tick();
      this.drain(id);
    }
    this.deliverAll();
  }

  propose(id: NodeId, value: string): { index: number; term: number } {
    const result = this.node(id).propose(new TextEncoder().encode(value));
    this.drain(id);
    this.deliverAll();
    return result;
  }

  /** Runs `fn` on a node and handles what it caused. */
  act(id: NodeId, fn: (core: RaftCore) => void): void {
    fn(this.node(id));
    this.drain(id);
    this.deliverAll();
  }

  /** Drops every message between `a` and the others (both directions). */
  isolate(a: NodeId): void {
    for (const b of this.nodes.keys()) if (b !== a) this.cutLink(a, b, true);
  }

  cutLink(from: NodeId, to: NodeId, bothWays = false): void {
    this.cut.add(`${from}->${to}`);
    if (bothWays) this.cut.add(`${to}->${from}`);
  }

  heal(): void {
    this.cut.clear();
    this.dropTypes.clear();
    this.intercept = undefined;
  }

  /** Loses everything not persisted: the node restarts from its storage alone. */
  crash(id: NodeId): void {
    this.crashed.add(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  restart(id: NodeId): void {
    const persisted = this.storage.get(id)!.loadSync();
    const core = new RaftCore(this.options.get(id)!, persisted);
    this.nodes.set(id, core);
    this.crashed.delete(id);
    const snap = persisted.snapshot;
    this.applied.set(id, snap ? (JSON.parse(new TextDecoder().decode(snap.data)) as string[]) : []);
    this.drain(id);
  }

  leaders(): NodeId[] {
    return [...this.nodes]
      .filter(([id, n]) => !this.crashed.has(id) && n.role === 'leader')
      .map(([id]) => id);
  }

  /** Messages queued but not yet delivered (tests may inspect or discard them). */
  pending(): Message[] {
    return this.queue;
  }

  /** Terms of a node's log from its first index, for comparing logs across nodes. */
  logTerms(id: NodeId): number[] {
    const core = this.node(id);
    return core.entries(core.firstIndex, core.lastIndex + 1).map((e) => e.term);
  }
}

/**
 * A log whose entry k+1 has term terms[k]; entry 1 is the founding
 * configuration (so terms[0] must be 1), the rest carry their index as data.
 */
export function logOfTerms(terms: readonly number[], voters: readonly NodeId[]): Entry[] {
  return terms.map((term, k) =>
    k === 0
      ? { type: 'conf', index: 1, term, conf: { voters, learners: [], promoting: [] } }
      : { type: 'normal', index: k + 1, term, data: new TextEncoder().encode(`e${k + 1}t${term}`) },
  );
}
