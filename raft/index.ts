/**
 * Flotilla's Raft: a pure consensus core, storage interfaces with in-memory
 * implementations, and (in later layers) the durable runtime and transport.
 * Nothing in raft/ imports from src/.
 */

export {
  DEFAULT_ELECTION_TICKS,
  DEFAULT_HEARTBEAT_TICKS,
  DEFAULT_MAX_BYTES_PER_MESSAGE,
  DEFAULT_MAX_ENTRIES_PER_MESSAGE,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_MAX_UNCOMMITTED_ENTRIES,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  type RaftConfig,
  type RaftOptions,
  resolveConfig,
} from './core/config.ts';
export { RaftError, type RaftErrorCode } from './core/errors.ts';
export { type PeerStatus, RaftCore, type RaftStatus } from './core/raft.ts';
export { seededRng } from './core/rng.ts';
export * from './core/types.ts';
export { MemoryLogStore, MemorySnapshotStore, MemoryStableStore, MemoryStorage } from './storage/memory.ts';
export { LevelStorage } from './storage/level-storage.ts';
export { FileSnapshotStore } from './storage/file-snapshot-store.ts';
export { StorageCorruptionError } from './storage/corruption-error.ts';
export type { LogStore, RaftStorage, SnapshotStore, StableStore } from './storage/types.ts';
