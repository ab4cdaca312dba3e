/**
 * Wraps a node's storage to time each durable write (one synced batch per
 * Ready) for the fsync histogram, without raft/ knowing about metrics.
 */

import type { NodeStorage } from '../../raft/index.ts';

export function timedStorage(inner: NodeStorage, observeSeconds: (s: number) => void): NodeStorage {
  return {
    load: () => inner.load(),
    async persistReady(rd) {
      const writes = rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined;
      if (!writes) return inner.persistReady(rd);
      const started = process.hrtime.bigint();
      await inner.persistReady(rd);
      observeSeconds(Number(process.hrtime.bigint() - started) / 1e9);
    },
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    close: () => inner.close(),
  };
}
