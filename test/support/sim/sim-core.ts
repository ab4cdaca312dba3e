import type { RaftOptions } from '../../../raft/core/config.ts';
import type {
  ConfChange,
  ConfState,
  Message,
  NodeId,
  PersistedState,
  Ready,
} from '../../../raft/core/types.ts';
import type { NodeView } from './node-view.ts';

/**
 * The Raft core as the simulator drives it: exactly the public surface of
 * `RaftCore` (raft/core/raft.ts). The simulator depends on this shape, not on
 * the class, so its own parts are built and tested on their own.
 */
export interface SimCore extends NodeView {
  readonly conf: ConfState;
  tick(): void;
  step(message: Message): void;
  peerLost(id: NodeId): void;
  propose(data: Uint8Array): { index: number; term: number };
  proposeConfChange(change: ConfChange): { index: number; term: number };
  readIndex(ctx: string): void;
  transferLeadership(to: NodeId): void;
  compact(index: number, data: Uint8Array): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(ready: Ready): void;
}

/** Builds a core, as `new RaftCore(options, persisted)` does. */
export type CoreFactory = (options: RaftOptions, persisted?: PersistedState) => SimCore;
