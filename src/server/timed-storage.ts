/**
 * Wraps a node's storage to time each fsynced write for the fsync histogram,
 * without raft/ knowing about metrics.
 */

import type { NodeStorage } from '../../raft/index.ts';

export function timedStorage(inner: NodeStorage, observeSeconds: (s: number) => void): NodeStorage {
  // The storages' MustSync rule: a Ready that only moves the commit index is written without an
  // fsync, so timing it would report a disk flush that never happened.
  let synced: { term: number; vote: string } | undefined;
  return {
    load() {
      const persisted = inner.load();
      const hs = persisted.hardState;
      if (hs !== undefined) synced = { term: hs.term, vote: hs.vote };
      return persisted;
    },
    async persistReady(rd) {
      const hs = rd.hardState;
      const newTermOrVote = hs !== undefined && (hs.term !== synced?.term || hs.vote !== synced?.vote);
      const syncs = rd.entries.length > 0 || rd.snapshot !== undefined || newTermOrVote;
      if (!syncs) return inner.persistReady(rd);
      const started = process.hrtime.bigint();
      await inner.persistReady(rd);
      observeSeconds(Number(process.hrtime.bigint() - started) / 1e9);
      if (hs !== undefined) synced = { term: hs.term, vote: hs.vote };
    },
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    close: () => inner.close(),
  };
}
