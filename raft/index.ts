/**
 * Flotilla's Raft: a pure consensus core, storage interfaces with in-memory
 * implementations, and (in later layers) the durable runtime and transport.
 * Nothing in raft/ imports from src/.
 */

export {
  DEFAULT_ELECTION_TICKS,
  DEFAULT_HEARTBEAT_TICKS,
  DEFAULT_MAX_BYTES_PER_MESSAGE,
  DEFAULT_MAX_COMMITTED_PER_READY,
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
export { type Logger, noopLogger } from './logger.ts';
export { EXIT_CORRUPT_DATA, startOrExit } from './runtime/node-main.ts';
export type { PeerAddressOf } from './runtime/peer-sync.ts';
export {
  DEFAULT_SNAPSHOT_BYTES,
  DEFAULT_SNAPSHOT_ENTRIES,
  DEFAULT_TICK_MS,
  RaftServer,
  type RaftServerEvents,
  type RaftServerOptions,
  type StateMachine,
} from './runtime/raft-server.ts';
export { StorageCorruptionError } from './storage/corruption-error.ts';
export { FileSnapshotStore } from './storage/file-snapshot-store.ts';
export { LevelStorage } from './storage/level-storage.ts';
export { MemoryLogStore, MemorySnapshotStore, MemoryStableStore, MemoryStorage } from './storage/memory.ts';
export { openNodeStorage } from './storage/open-node-storage.ts';
export type { LogStore, NodeStorage, RaftStorage, SnapshotStore, StableStore } from './storage/types.ts';
export { DEFAULT_SEGMENT_BYTES, WalStorage, type WalStorageOptions } from './storage/wal-storage.ts';
export { MemoryNetwork, MemoryTransport, type MemoryTransportOptions } from './transport/memory-transport.ts';
export type { MessageHandler, PeerStats, Transport, TransportStats } from './transport/transport.ts';
export {
  DEFAULT_BACKOFF,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_MESSAGES,
  DEFAULT_PATH,
  DEFAULT_PING_INTERVAL_MS,
  type TlsOptions,
  type WsTransportOptions,
} from './transport/ws-options.ts';
export { WsTransport } from './transport/ws-transport.ts';
