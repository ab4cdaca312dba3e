import { RaftCore } from '../../../raft/core/raft.ts';
import type { CoreFactory } from './sim-core.ts';

/** The real core, for the simulation suites and `scripts/sim.ts`. */
export const raftCoreFactory: CoreFactory = (options, persisted) => new RaftCore(options, persisted);
