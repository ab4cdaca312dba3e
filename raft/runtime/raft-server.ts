import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RaftOptions } from '../core/config.ts';
import { RaftError } from '../core/errors.ts';
import { RaftCore, type RaftStatus } from '../core/raft.ts';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  maySendBeforePersist,
  type NodeId,
  type Ready,
  type Rng,
  type Role,
  type SoftState,
} from '../core/types.ts';
import { type Logger, noopLogger } from '../logger.ts';
import type { NodeStorage } from '../storage/types.ts';
import type { Transport } from '../transport/transport.ts';
import { type PeerAddressOf, syncPeers } from './peer-sync.ts';
import { PendingRequests } from './pending-requests.ts';

/** The replicated state machine a RaftServer drives. `apply` is deterministic: no clock, no randomness. */
export interface StateMachine<R = unknown> {
  apply(data: Uint8Array, index: number): R;
  /** The whole state at the last applied index. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  restore(data: Uint8Array): void | Promise<void>;
}

export const DEFAULT_TICK_MS = 100;
/** Take an FSM snapshot after this many entries applied since the last one… */
export const DEFAULT_SNAPSHOT_ENTRIES = 10_000;
/** …or this many bytes of entry data, whichever comes first. */
export const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024;

export interface RaftServerOptions<R> {
  /** The core's options; `rng` defaults to a cryptographic source. */
  readonly raft: Omit<RaftOptions, 'rng'> & { readonly rng?: Rng };
  readonly storage: NodeStorage;
  readonly transport: Transport;
  readonly fsm: StateMachine<R>;
  readonly tickMs?: number;
  readonly snapshotEntries?: number;
  readonly snapshotBytes?: number;
  /**
   * Where to dial each member. When given, the transport's peers follow the
   * configuration (see peer-sync.ts): members added by a configuration
   * change are dialed, removed ones dropped. Without it the caller manages
   * the transport's peers.
   */
  readonly peerAddress?: PeerAddressOf;
  readonly logger?: Logger;
}

export interface RaftServerEvents {
  leaderChanged: [leader: NodeId, term: number];
  roleChanged: [role: Role, term: number];
  applied: [index: number];
  /** Storage or the FSM failed: the server has stopped itself (safety first). */
  fatal: [error: unknown];
}

const cryptoRng: Rng = { int: (max) => randomInt(max) };
/** A Ready that applied this many entries is followed by a turn of the event loop. */
const YIELD_AFTER_COMMITTED = 1024;

/**
 * One Raft node at run time: owns the tick timer and the Ready loop
 * (send what may go early → persist → send the rest → apply → advance, one
 * Ready at a time, per the core's contract), feeds peer messages to the
 * core, applies committed entries to the FSM, snapshots by entry count and
 * bytes, and answers proposals and linearizable reads with promises.
 */
export class RaftServer<R = unknown> extends EventEmitter<RaftServerEvents> {
  readonly id: NodeId;
  private readonly core: RaftCore;
  private readonly pending = new PendingRequests();
  private readonly logger: Logger;
  private readonly snapshotEntries: number;
  private readonly snapshotBytes: number;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  /** A local snapshot being written to storage, off the Ready loop (at most one). */
  private snapshotSaving: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private bytesSinceSnapshot = 0;
  private lastSoftState: SoftState = { leader: '', role: 'follower', term: 0 };
  private readCounter = 0;
  /** The configuration and leader the transport's peers were last matched to. */
  private peersFor: { conf: ConfState; leader: NodeId } | undefined;

  private constructor(
    private readonly options: RaftServerOptions<R>,
    core: RaftCore,
  ) {
    super();
    this.core = core;
    this.id = core.id;
    this.logger = options.logger ?? noopLogger;
    this.snapshotEntries = options.snapshotEntries ?? DEFAULT_SNAPSHOT_ENTRIES;
    this.snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
  }

  /** Builds the core from storage, restores the FSM from the latest snapshot, then starts ticking and talking. */
  static async start<R>(options: RaftServerOptions<R>): Promise<RaftServer<R>> {
    const persisted = options.storage.load();
    if (persisted.snapshot !== undefined) await options.fsm.restore(persisted.snapshot.data);
    const core = new RaftCore({ ...options.raft, rng: options.raft.rng ?? cryptoRng }, persisted);
    const server = new RaftServer(options, core);
    options.transport.onMessage((m) => {
      if (server.closing !== undefined) return;
      server.core.step(m);
      server.kick();
    });
    options.transport.onPeerLost((peer) => {
      if (server.closing !== undefined) return;
      const followed = server.core.leader === peer;
      server.core.peerLost(peer);
      if (followed && server.core.leader !== peer) {
        server.logger.info(
          { nodeId: server.id, peer },
          'lost the connection to the leader: campaigning early',
        );
      }
      server.kick();
    });
    server.refreshPeers();
    try {
      await options.transport.start();
    } catch (error) {
      await options.storage.close();
      throw error;
    }
    server.timer = setInterval(() => {
      server.core.tick();
      server.kick();
    }, options.tickMs ?? DEFAULT_TICK_MS);
    server.kick();
    return server;
  }

  status(): RaftStatus {
    return this.core.status();
  }

  /**
   * Matches the transport's peers to the configuration again (with the
   * `peerAddress` option only). Call it when `peerAddress` answers differently
   * (an address became known); configuration changes need no call.
   */
  refreshPeers(): void {
    const resolve = this.options.peerAddress;
    if (resolve === undefined || this.closing !== undefined) return;
    const conf = this.core.conf;
    const leader = this.core.leader;
    this.peersFor = { conf, leader };
    syncPeers(this.options.transport, this.id, conf, leader, resolve);
  }

  /** Follows a configuration (or leader) that changed since the peers were matched, before anything is sent. */
  private maybeRefreshPeers(): void {
    const last = this.peersFor;
    if (last === undefined || last.conf !== this.core.conf || last.leader !== this.core.leader) {
      this.refreshPeers();
    }
  }

  /**
   * Resolves with the FSM's result once the entry is applied here. Rejects
   * (never throws) with RaftError: NOT_LEADER (with the leader's id),
   * TRANSFER_IN_PROGRESS, PROPOSAL_DROPPED (not applied: retry),
   * UNKNOWN_OUTCOME, CLOSED.
   */
  propose(data: Uint8Array): Promise<R> {
    return this.settle(() => {
      const { index, term } = this.core.propose(data);
      return this.pending.addProposal(index, term) as Promise<R>;
    });
  }

  /** Resolves once the configuration change is applied here. */
  async proposeConfChange(change: ConfChange): Promise<void> {
    await this.settle(() => {
      const { index, term } = this.core.proposeConfChange(change);
      return this.pending.addProposal(index, term);
    });
  }

  /**
   * A linearizable read barrier (§6.4): resolves with an index once this
   * node has applied at least that far and a quorum confirmed the leader.
   * Serve the read from the FSM right after. Rejects NOT_LEADER when no
   * leader is known or leadership changed meanwhile.
   */
  readIndex(): Promise<number> {
    return this.settle(() => {
      const ctx = `${this.id}:${++this.readCounter}`;
      // The answer can only come out of a later Ready, so registering after asking is safe,
      // and a refusal (no leader known) leaves no orphan promise behind.
      this.core.readIndex(ctx);
      return this.pending.addRead(ctx);
    });
  }

  /** Runs a core input; its synchronous refusal becomes a rejected promise, and the Ready loop runs. */
  private settle<T>(input: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      const result = input();
      this.kick();
      return result;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  transferLeadership(to: NodeId): void {
    this.assertOpen();
    this.core.transferLeadership(to);
    this.kick();
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new RaftError('CLOSED', `node ${this.id} is closed`);
  }

  /** Runs the Ready loop unless it is already running; reruns it if more work arrived meanwhile. */
  private kick(): void {
    if (this.pumping !== undefined || this.closing !== undefined) return;
    this.pumping = this.pump()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.pumping = undefined;
        if (this.closing === undefined && this.core.hasReady()) this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (this.closing === undefined && this.core.hasReady()) {
      const rd = this.core.ready();
      // A member just added must be dialable before the first message for it leaves.
      this.maybeRefreshPeers();
      // A leader replicates while it writes (§10.2.1): a commit then waits for one fsync round, not two.
      const transport = this.options.transport;
      const held: Message[] = [];
      for (const m of rd.messages) {
        if (maySendBeforePersist(rd, m)) transport.send(m);
        else held.push(m);
      }
      // A snapshot from the leader replaces the snapshot files: never race a local save of ours.
      if (rd.snapshot !== undefined) await this.snapshotSaving;
      const persisting = this.options.storage.persistReady(rd);
      if (held.length === 0 && rd.snapshot === undefined) {
        // The core hands out only entries already durable here (min(committed, stable)), so applying
        // them, and answering their clients, need not wait for this Ready's write: the FSM's work
        // overlaps the fsync (etcd applies beside its WAL save too).
        persisting.catch(() => undefined); // awaited just below; a failure stops the node there
        await this.applyReady(rd);
        await persisting;
      } else {
        // A follower's acknowledgements are on the commit path: they go first, then the FSM.
        await persisting;
        for (const m of held) transport.send(m);
        await this.applyReady(rd);
      }
      this.core.advance(rd);
      this.pending.releaseReads(this.core.appliedIndex);
      this.announce(rd);
      await this.maybeSnapshot();
      // A long catch-up (a restart with a long log) comes in slices (maxCommittedPerReady): serve
      // I/O between them instead of going deaf until the last one is applied.
      if (rd.committed.length >= YIELD_AFTER_COMMITTED) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async applyReady(rd: Ready): Promise<void> {
    if (rd.snapshot !== undefined) {
      await this.options.fsm.restore(rd.snapshot.data);
      this.pending.skippedTo(rd.snapshot.meta.index);
      this.bytesSinceSnapshot = 0;
    }
    for (const entry of rd.committed) this.applyEntry(entry);
    for (const rs of rd.readStates) this.pending.readConfirmed(rs.ctx, rs.index);
    for (const ctx of rd.droppedReads) this.pending.readDropped(ctx, this.core.leader);
  }

  private applyEntry(entry: Entry): void {
    let result: unknown;
    if (entry.type === 'normal' && entry.data.byteLength > 0) {
      result = this.options.fsm.apply(entry.data, entry.index);
      this.bytesSinceSnapshot += entry.data.byteLength;
    }
    this.pending.applied(entry.index, entry.term, result);
  }

  private announce(rd: Ready): void {
    // An installed snapshot moves the state too (watchers of the FSM must hear of it).
    const appliedTo = rd.committed.at(-1)?.index ?? rd.snapshot?.meta.index;
    if (appliedTo !== undefined) this.safeEmit('applied', appliedTo);
    const soft = rd.softState;
    if (soft === undefined) return;
    const previous = this.lastSoftState;
    this.lastSoftState = soft;
    if (previous.role === 'leader' && soft.role !== 'leader') {
      // Nothing may ever be written at their indexes again (an idle cluster): settle them now.
      this.pending.leadershipLost();
    }
    if (soft.role !== previous.role || soft.term !== previous.term)
      this.safeEmit('roleChanged', soft.role, soft.term);
    if (soft.leader !== previous.leader) this.safeEmit('leaderChanged', soft.leader, soft.term);
    this.logger.info(
      { nodeId: this.id, term: soft.term, role: soft.role, leader: soft.leader },
      'raft state changed',
    );
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.core.appliedIndex;
    const since = applied - (this.core.snapshotMeta?.index ?? 0);
    if (since === 0 || (since < this.snapshotEntries && this.bytesSinceSnapshot < this.snapshotBytes)) return;
    if (this.snapshotSaving !== undefined) return; // the next Ready tries again
    // The pump is sequential, so nothing is applied while the FSM serialises itself.
    const data = await this.options.fsm.snapshot();
    this.core.compact(applied, data);
    this.bytesSinceSnapshot = 0;
    // Writing the file and dropping the log it covers takes fsyncs and thousands of deletes: do it
    // beside the Ready loop rather than stall every write behind it. Until it lands, storage still
    // holds the previous snapshot and every entry after it, which restarts to the same state.
    this.snapshotSaving = this.options.storage
      .saveSnapshot({ meta: this.core.snapshotMeta!, data })
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.snapshotSaving = undefined;
      });
  }

  /** Emits an event; a listener that throws is logged and cannot stop the node. */
  private safeEmit<K extends keyof RaftServerEvents>(event: K, ...args: RaftServerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: RaftServerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ nodeId: this.id, event, err }, 'an event listener threw');
    }
  }

  /** Storage or FSM failure: continuing could ack what is not durable, so stop. */
  private fail(error: unknown): void {
    this.logger.error(
      { nodeId: this.id, err: error },
      'raft server stopped after a storage or state machine failure',
    );
    this.safeEmit('fatal', error);
    this.close().catch((closeError: unknown) =>
      this.logger.error({ nodeId: this.id, err: closeError }, 'closing after a fatal error failed'),
    );
  }

  /** Stops ticking, finishes the Ready in progress, closes transport and storage. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    const errors: unknown[] = [];
    await this.pumping?.catch(() => undefined);
    await this.snapshotSaving;
    this.pending.rejectAll(new RaftError('CLOSED', `node ${this.id} closed`));
    for (const step of [() => this.options.transport.close(), () => this.options.storage.close()]) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `closing node ${this.id} failed`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
