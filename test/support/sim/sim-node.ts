import type { RaftOptions } from '../../../raft/core/config.ts';
import { RaftError, type RaftErrorCode } from '../../../raft/core/errors.ts';
import {
  type ConfChange,
  type ConfEntry,
  type Message,
  maySendBeforePersist,
  type NodeId,
  type Ready,
} from '../../../raft/core/types.ts';
import { MemoryStorage } from '../../../raft/storage/memory.ts';
import { HashChainFsm } from './hash-chain-fsm.ts';
import type { InvariantChecker } from './invariant-checker.ts';
import type { CoreFactory, SimCore } from './sim-core.ts';
import { deriveRng } from './sim-rng.ts';

/** How one node is built and run. */
export interface NodeSettings {
  /** Raft options shared by every node (id, rng and bootstrap are filled in per node). */
  readonly raft: Omit<RaftOptions, 'id' | 'rng' | 'bootstrap'>;
  /** Founding members pass the initial voters; a node that joins later passes undefined. */
  readonly bootstrap: readonly NodeId[] | undefined;
  /** Run seed: a node's election jitter is drawn from it, its id and its incarnation. */
  readonly seed: number;
  /** Compact once this many entries were applied since the last snapshot. */
  readonly snapshotThreshold: number;
  /** Filler bytes in each snapshot, to make InstallSnapshot take several chunks. */
  readonly snapshotPadding: number;
  /**
   * Virtual time one Ready's durable write takes. 0: the synchronous loop
   * (persist, send, apply and advance at once). Above 0: an asynchronous
   * runtime — the node keeps stepping, ticking and taking proposals while a
   * Ready is being written (no new Ready until it is advanced), and a crash
   * in that window loses the whole Ready.
   */
  readonly persistDelay: number;
}

/** What a node hands to the rest of the simulation. */
export interface NodeHooks {
  send(now: number, messages: readonly Message[]): void;
  /** A conf entry was applied here. */
  onConfApplied(entry: ConfEntry): void;
  /** Runs `fn` with the clock's time once `delay` time units have passed (asynchronous persistence). */
  later(delay: number, fn: (now: number) => void): void;
}

/** Outcome of a client call: accepted at (index, term), or refused with a documented code. */
export type ClientOutcome =
  | { readonly index: number; readonly term: number }
  | { readonly refused: RaftErrorCode };

/** Codes a client call may legitimately be refused with; anything else thrown is a core bug. */
const CLIENT_CODES: ReadonlySet<RaftErrorCode> = new Set([
  'NOT_LEADER',
  'TRANSFER_IN_PROGRESS',
  'PROPOSAL_DROPPED',
  'CONF_CHANGE_PENDING',
  'INVALID_CONF_CHANGE',
]);

/** A Ready loop that does not drain after this many rounds is reported as a core bug. */
const MAX_READY_ROUNDS = 10_000;

/**
 * One simulated server: durable storage that survives crashes, and — while
 * up — a core and a hash-chain FSM, driven by the runtime's Ready loop
 * (persist → send → restore/apply → advance → maybe compact) with every
 * checker hook in place.
 */
export class SimNode {
  readonly id: NodeId;
  /** What survives a crash. */
  readonly storage = new MemoryStorage();
  /** Messages received while slow, handled at the node's next tick. */
  readonly inbox: Message[] = [];
  /** Ticks are this many times further apart, and messages wait for a tick (1 = normal). */
  slowFactor = 1;
  /** Removed from the cluster and shut down for good. */
  retired = false;
  #core: SimCore | undefined;
  #fsm: HashChainFsm | undefined;
  /** Asynchronous persistence: the Ready being written, not yet advanced. */
  #writing: Ready | undefined;
  #incarnation = 0;
  readonly #settings: NodeSettings;
  readonly #factory: CoreFactory;
  readonly #checker: InvariantChecker;
  readonly #hooks: NodeHooks;

  constructor(
    id: NodeId,
    settings: NodeSettings,
    factory: CoreFactory,
    checker: InvariantChecker,
    hooks: NodeHooks,
  ) {
    this.id = id;
    this.#settings = settings;
    this.#factory = factory;
    this.#checker = checker;
    this.#hooks = hooks;
  }

  get live(): boolean {
    return this.#core !== undefined;
  }

  /** The running core, undefined while down. */
  get core(): SimCore | undefined {
    return this.#core;
  }

  get fsm(): HashChainFsm | undefined {
    return this.#fsm;
  }

  /** How many times the node started; a tick timer of an older incarnation is stale. */
  get incarnation(): number {
    return this.#incarnation;
  }

  /** Starts (or restarts) the node from durable storage alone. */
  start(now: number): void {
    if (this.#core !== undefined) return;
    this.#incarnation++;
    const persisted = this.storage.loadSync();
    const options: RaftOptions = {
      ...this.#settings.raft,
      id: this.id,
      rng: deriveRng(this.#settings.seed, `${this.id}#${this.#incarnation}`),
      ...(this.#settings.bootstrap === undefined ? {} : { bootstrap: this.#settings.bootstrap }),
    };
    const fsm = new HashChainFsm(this.#settings.snapshotPadding);
    if (persisted.snapshot !== undefined && !this.#restore(fsm, persisted.snapshot.data, undefined)) return;
    try {
      this.#core = this.#factory(options, persisted);
    } catch (error) {
      this.#checker.log.report('core-exception', this.id, `constructor threw at restart: ${describe(error)}`);
      return;
    }
    this.#fsm = fsm;
    this.#checker.attach(this.#core);
    this.#drain(now);
  }

  /** Loses the core, the FSM and every queued message; storage stays. */
  crash(): void {
    if (this.#core === undefined) return;
    this.#core = undefined;
    this.#fsm = undefined;
    this.#writing = undefined;
    this.inbox.length = 0;
    this.#checker.detach(this.id);
  }

  tick(now: number): void {
    this.#input(now, 'tick', (core) => core.tick());
  }

  deliver(now: number, message: Message): void {
    this.#input(now, `step(${message.type} from ${message.from})`, (core) => core.step(message));
  }

  /** The runtime saw its connection with `peer` close (the peer crashed, or the link was cut). */
  peerLost(now: number, peer: NodeId): void {
    this.#input(now, `peerLost(${peer})`, (core) => core.peerLost(peer));
  }

  propose(now: number, data: Uint8Array): ClientOutcome | undefined {
    return this.#client(now, 'propose', (core) => core.propose(data));
  }

  proposeConfChange(now: number, change: ConfChange): ClientOutcome | undefined {
    return this.#client(now, `proposeConfChange(${change.type} ${change.node})`, (core) =>
      core.proposeConfChange(change),
    );
  }

  readIndex(now: number, ctx: string): void {
    this.#checker.onReadRequest(ctx);
    this.#client(now, 'readIndex', (core) => {
      core.readIndex(ctx);
      return undefined;
    });
  }

  transferLeadership(now: number, to: NodeId): void {
    this.#client(now, `transferLeadership(${to})`, (core) => {
      core.transferLeadership(to);
      return undefined;
    });
  }

  #input(now: number, what: string, fn: (core: SimCore) => void): void {
    const core = this.#core;
    if (core === undefined) return;
    try {
      fn(core);
    } catch (error) {
      this.#checker.log.report('core-exception', this.id, `${what} threw: ${describe(error)}`);
      return;
    }
    this.#drain(now);
  }

  #client(
    now: number,
    what: string,
    fn: (core: SimCore) => ClientOutcome | undefined,
  ): ClientOutcome | undefined {
    const core = this.#core;
    if (core === undefined) return undefined;
    let outcome: ClientOutcome | undefined;
    try {
      outcome = fn(core);
    } catch (error) {
      if (!(error instanceof RaftError) || !CLIENT_CODES.has(error.code)) {
        this.#checker.log.report('core-exception', this.id, `${what} threw: ${describe(error)}`);
        return undefined;
      }
      outcome = { refused: error.code };
    }
    this.#drain(now);
    return outcome;
  }

  /** The runtime's Ready loop, then the step's invariant checks. */
  #drain(now: number): void {
    const core = this.#core;
    if (core === undefined) return;
    try {
      if (this.#settings.persistDelay > 0) this.#startWrite(now, core);
      else {
        for (let round = 0; core.hasReady(); round++) {
          if (round === MAX_READY_ROUNDS) throw new Error(`hasReady() still true after ${round} rounds`);
          const ready = core.ready();
          this.#sendEarly(now, ready);
          this.#handleReady(now, core, ready);
          if (this.#core === undefined) return;
        }
      }
    } catch (error) {
      this.#checker.log.report('core-exception', this.id, `Ready loop threw: ${describe(error)}`);
      return;
    }
    const fsm = this.#fsm!;
    if (fsm.appliedIndex !== core.appliedIndex) {
      this.#checker.log.report(
        'applied-order',
        this.id,
        `core.appliedIndex is ${core.appliedIndex} but the Ready loop applied up to ${fsm.appliedIndex}`,
      );
    }
    this.#checker.observe(this.id);
  }

  /** Asynchronous persistence: takes the next Ready unless one is being written, and finishes it later. */
  #startWrite(now: number, core: SimCore): void {
    if (this.#writing !== undefined || !core.hasReady()) return;
    const ready = core.ready();
    this.#writing = ready;
    // As the runtime does: a leader's replication leaves while its own write is in progress.
    this.#sendEarly(now, ready);
    this.#hooks.later(this.#settings.persistDelay, (now) => {
      if (this.#core !== core || this.#writing !== ready) return; // crashed meanwhile: the write is lost
      this.#writing = undefined;
      try {
        this.#handleReady(now, core, ready);
      } catch (error) {
        this.#checker.log.report('core-exception', this.id, `Ready handling threw: ${describe(error)}`);
        return;
      }
      this.#drain(now);
    });
  }

  /** Sends what the Ready lets leave before it is durable, checking it vouches only for durable state. */
  #sendEarly(now: number, ready: Ready): void {
    const early = ready.messages.filter((m) => maySendBeforePersist(ready, m));
    if (early.length === 0) return;
    this.#checker.beforeEarlySend(this.id, this.storage, early);
    this.#hooks.send(now, early);
  }

  #handleReady(now: number, core: SimCore, ready: Ready): void {
    const checker = this.#checker;
    const tail = checker.beforePersist(this.storage, ready);
    this.storage.persistReadySync(ready);
    checker.afterPersist(this.id, this.storage, ready, tail);
    this.#hooks.send(
      now,
      ready.messages.filter((m) => !maySendBeforePersist(ready, m)),
    );
    const fsm = this.#fsm!;
    if (ready.snapshot !== undefined && !this.#restore(fsm, ready.snapshot.data, fsm.appliedIndex)) {
      this.crash();
      return;
    }
    const meta = ready.snapshot?.meta;
    if (meta !== undefined && (fsm.state.index !== meta.index || fsm.state.term !== meta.term)) {
      checker.log.report(
        'snapshot-corrupt',
        this.id,
        `snapshot meta says ${meta.index}@${meta.term} but its data holds ${fsm.state.index}@${fsm.state.term}`,
      );
    }
    for (const entry of ready.committed) {
      const before = fsm.state;
      fsm.apply(entry);
      checker.onApply(this.id, entry, before, fsm.state);
      if (entry.type === 'conf') this.#hooks.onConfApplied(entry);
    }
    for (const read of ready.readStates) checker.onReadState(this.id, read);
    core.advance(ready);
    this.#maybeCompact(core, fsm);
  }

  #maybeCompact(core: SimCore, fsm: HashChainFsm): void {
    const applied = core.appliedIndex;
    if (applied - (core.snapshotMeta?.index ?? 0) < this.#settings.snapshotThreshold) return;
    if (fsm.appliedIndex !== applied) return; // reported after the loop
    const data = fsm.snapshot();
    core.compact(applied, data);
    const meta = core.snapshotMeta;
    if (meta === undefined || meta.index !== applied) {
      throw new Error(`compact(${applied}) left snapshotMeta at ${meta?.index ?? 'none'}`);
    }
    this.storage.installSnapshotSync({ meta, data });
  }

  /** Restores `fsm` from snapshot bytes; reports and returns false when they do not decode. */
  #restore(fsm: HashChainFsm, data: Uint8Array, appliedBefore: number | undefined): boolean {
    try {
      fsm.restore(data);
    } catch (error) {
      this.#checker.log.report('snapshot-corrupt', this.id, describe(error));
      return false;
    }
    this.#checker.onRestore(this.id, fsm.state, appliedBefore);
    return true;
  }
}

function describe(error: unknown): string {
  if (error instanceof RaftError) return `RaftError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}
