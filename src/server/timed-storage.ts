/**
 * Wraps a node's storage to time each fsynced write for the fsync histogram,
 * without raft/ knowing about metrics. A Ready the storage did not sync (it
 * only moved the commit index) is not timed: that would report a disk flush
 * that never happened.
 */

import type { NodeStorage } from '../../raft/index.ts';

export function timedStorage(inner: NodeStorage, observeSeconds: (s: number) => void): NodeStorage {
  return {
    load: () => inner.load(),
    async persistReady(rd) {
      const started = process.hrtime.bigint();
      const synced = await inner.persistReady(rd);
      if (synced) observeSeconds(Number(process.hrtime.bigint() - started) / 1e9);
      return synced;
    },
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    close: () => inner.close(),
  };
}
