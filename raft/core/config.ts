import { RaftError } from './errors.ts';
import type { ConfState, NodeId, Rng } from './types.ts';

/** Ticks without hearing from a leader before a follower campaigns (randomized in [T, 2T)). */
export const DEFAULT_ELECTION_TICKS = 10;
/** Ticks between leader heartbeats. Must be well below the election timeout. */
export const DEFAULT_HEARTBEAT_TICKS = 1;
/** AppendEntries messages in flight per follower (the pipelining window). */
export const DEFAULT_MAX_INFLIGHT = 64;
/** Upper bound of entries carried by one AppendEntries. */
export const DEFAULT_MAX_ENTRIES_PER_MESSAGE = 512;
/** Upper bound of payload bytes carried by one AppendEntries (at least one entry is always sent). */
export const DEFAULT_MAX_BYTES_PER_MESSAGE = 1 << 20;
/** Proposals are refused with PROPOSAL_DROPPED beyond this many uncommitted entries. */
export const DEFAULT_MAX_UNCOMMITTED_ENTRIES = 10_000;
/** InstallSnapshot chunk size. */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;
/**
 * Committed entries handed out per Ready: a node restarted with a long log
 * applies it in slices, so its runtime can serve I/O in between (etcd's
 * MaxCommittedSizePerReady plays the same role).
 */
export const DEFAULT_MAX_COMMITTED_PER_READY = 4096;

/** What the caller chooses. */
export interface RaftOptions {
  readonly id: NodeId;
  /** Seeded randomness for election jitter: the core never touches Math.random. */
  readonly rng: Rng;
  /**
   * The initial membership of a brand-new cluster. Every founding member gets
   * the same value; a node that joins later leaves it out and learns the
   * configuration from the leader. Ignored when storage already holds state.
   */
  readonly bootstrap?: readonly NodeId[];
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly maxInflight?: number;
  readonly maxEntriesPerMessage?: number;
  readonly maxBytesPerMessage?: number;
  readonly maxUncommittedEntries?: number;
  readonly snapshotChunkBytes?: number;
  readonly maxCommittedPerReady?: number;
}

/** Options with every default filled in and cross-checked. */
export interface RaftConfig {
  readonly id: NodeId;
  readonly rng: Rng;
  readonly bootstrap: readonly NodeId[] | undefined;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxInflight: number;
  readonly maxEntriesPerMessage: number;
  readonly maxBytesPerMessage: number;
  readonly maxUncommittedEntries: number;
  readonly snapshotChunkBytes: number;
  readonly maxCommittedPerReady: number;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RaftError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Fills defaults and validates fields against each other; never mutates `options`. */
export function resolveConfig(options: RaftOptions): RaftConfig {
  if (typeof options.id !== 'string' || options.id.length === 0) {
    throw new RaftError('INVALID_ARGUMENT', 'id must be a non-empty string');
  }
  const electionTicks = positiveInt('electionTicks', options.electionTicks ?? DEFAULT_ELECTION_TICKS);
  const heartbeatTicks = positiveInt('heartbeatTicks', options.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS);
  if (heartbeatTicks >= electionTicks) {
    throw new RaftError(
      'INVALID_ARGUMENT',
      `heartbeatTicks (${heartbeatTicks}) must be below electionTicks (${electionTicks})`,
    );
  }
  const bootstrap = options.bootstrap === undefined ? undefined : [...options.bootstrap];
  if (bootstrap !== undefined) {
    if (bootstrap.length === 0)
      throw new RaftError('INVALID_ARGUMENT', 'bootstrap must name at least one node');
    if (new Set(bootstrap).size !== bootstrap.length) {
      throw new RaftError('INVALID_ARGUMENT', 'bootstrap names a node twice');
    }
    if (bootstrap.some((n) => typeof n !== 'string' || n.length === 0)) {
      throw new RaftError('INVALID_ARGUMENT', 'bootstrap node ids must be non-empty strings');
    }
  }
  return {
    id: options.id,
    rng: options.rng,
    bootstrap,
    electionTicks,
    heartbeatTicks,
    preVote: options.preVote ?? true,
    checkQuorum: options.checkQuorum ?? true,
    maxInflight: positiveInt('maxInflight', options.maxInflight ?? DEFAULT_MAX_INFLIGHT),
    maxEntriesPerMessage: positiveInt(
      'maxEntriesPerMessage',
      options.maxEntriesPerMessage ?? DEFAULT_MAX_ENTRIES_PER_MESSAGE,
    ),
    maxBytesPerMessage: positiveInt(
      'maxBytesPerMessage',
      options.maxBytesPerMessage ?? DEFAULT_MAX_BYTES_PER_MESSAGE,
    ),
    maxUncommittedEntries: positiveInt(
      'maxUncommittedEntries',
      options.maxUncommittedEntries ?? DEFAULT_MAX_UNCOMMITTED_ENTRIES,
    ),
    snapshotChunkBytes: positiveInt(
      'snapshotChunkBytes',
      options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES,
    ),
    maxCommittedPerReady: positiveInt(
      'maxCommittedPerReady',
      options.maxCommittedPerReady ?? DEFAULT_MAX_COMMITTED_PER_READY,
    ),
  };
}

/** The empty configuration of a node that has not yet heard from any leader. */
export const EMPTY_CONF: ConfState = Object.freeze({ voters: [], learners: [], promoting: [] });
