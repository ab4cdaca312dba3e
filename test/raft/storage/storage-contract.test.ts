/**
 * What every durable NodeStorage must do, run against LevelStorage and
 * WalStorage (with segments small enough that nearly every Ready cuts one).
 */
import { cp } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../raft/core/types.ts';
import type { FileSnapshotStore } from '../../../raft/storage/file-snapshot-store.ts';
import { LevelStorage } from '../../../raft/storage/level-storage.ts';
import { MemoryStorage } from '../../../raft/storage/memory.ts';
import type { NodeStorage } from '../../../raft/storage/types.ts';
import { WalStorage } from '../../../raft/storage/wal-storage.ts';
import { entry, ready, useTempDirs } from './support.ts';

const tempDir = useTempDirs('flotilla-storage-');

const conf = { voters: ['a', 'b', 'c'], learners: [], promoting: [] };

type DurableStorage = NodeStorage & { readonly snapshots: FileSnapshotStore };

const backends: [string, (dir: string) => Promise<DurableStorage>][] = [
  ['LevelStorage', (dir) => LevelStorage.open(dir)],
  ['WalStorage', (dir) => WalStorage.open(dir)],
  ['WalStorage with 256-byte segments', (dir) => WalStorage.open(dir, { segmentBytes: 256 })],
];

/** Compares what two storages would hand the core at start (bytes compared as plain arrays). */
function normalize(state: ReturnType<MemoryStorage['loadSync']>): unknown {
  return JSON.parse(JSON.stringify(state, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));
}

describe.each(backends)('%s', (_name, open) => {
  async function reopen(dir: string, storage: DurableStorage): Promise<DurableStorage> {
    await storage.close();
    return open(dir);
  }

  it('persists entries, hard state and snapshots across a reopen', async () => {
    const dir = await tempDir();
    let s = await open(dir);
    expect(s.load()).toEqual({ entries: [] });
    await s.persistReady(ready([entry(1, 1), entry(2, 1), entry(3, 2)], { term: 2, vote: 'a', commit: 2 }));
    s = await reopen(dir, s);
    expect(s.load().hardState).toEqual({ term: 2, vote: 'a', commit: 2 });
    expect(s.load().entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    const first = s.load().entries[0]!;
    expect(first.type === 'normal' && new TextDecoder().decode(first.data)).toBe('e1');
    await s.close();
  });

  it('replaces a conflicting suffix atomically with the new entries', async () => {
    const dir = await tempDir();
    let s = await open(dir);
    await s.persistReady(ready([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]));
    await s.persistReady(ready([entry(3, 2)], { term: 2, vote: '', commit: 2 }));
    s = await reopen(dir, s);
    expect(s.load().entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    await s.close();
  });

  it('compacts below a local snapshot and restarts from the snapshot plus the rest of the log', async () => {
    const dir = await tempDir();
    let s = await open(dir);
    await s.persistReady(
      ready(
        [1, 2, 3, 4, 5].map((i) => entry(i, 1)),
        { term: 1, vote: '', commit: 5 },
      ),
    );
    const snap: Snapshot = { meta: { index: 3, term: 1, conf }, data: Uint8Array.of(9, 9) };
    await s.saveSnapshot(snap);
    s = await reopen(dir, s);
    expect(s.load().snapshot?.meta).toEqual(snap.meta);
    expect([...s.load().snapshot!.data]).toEqual([9, 9]);
    expect(s.load().entries.map((e) => e.index)).toEqual([4, 5]);
    await s.close();
  });

  it("installs a leader's snapshot that conflicts with the log, dropping the superseded suffix", async () => {
    const dir = await tempDir();
    let s = await open(dir);
    await s.persistReady(ready([entry(1, 1), entry(2, 1), entry(3, 1)], { term: 1, vote: '', commit: 1 }));
    const snap: Snapshot = { meta: { index: 5, term: 3, conf }, data: Uint8Array.of(1) };
    await s.persistReady(ready([], { term: 3, vote: '', commit: 5 }, snap));
    await s.persistReady(ready([entry(6, 3)]));
    s = await reopen(dir, s);
    expect(s.load().snapshot?.meta.index).toBe(5);
    expect(s.load().entries.map((e) => [e.index, e.term])).toEqual([[6, 3]]);
    await s.close();
  });

  it('behaves like MemoryStorage under any sequence of Readies and compactions (model check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('append' as const),
              back: fc.nat(3),
              count: fc.integer({ min: 1, max: 4 }),
            }),
            // keep < 0: a snapshot past the end of the log (the runtime never takes one; the contract holds anyway)
            fc.record({ kind: fc.constant('compact' as const), keep: fc.integer({ min: -2, max: 3 }) }),
            // a leader's snapshot no newer than ours: nothing changes
            fc.record({ kind: fc.constant('stale-install' as const), back: fc.nat(2) }),
            fc.record({ kind: fc.constant('install' as const), ahead: fc.nat(4), sameTerm: fc.boolean() }),
          ),
          { maxLength: 12 },
        ),
        fc.boolean(),
        async (ops, crash) => {
          const dir = await tempDir();
          let s = await open(dir);
          const model = new MemoryStorage();
          let term = 1;
          for (const op of ops) {
            const last = model.log.lastIndexSync();
            if (op.kind === 'append') {
              term++;
              const from = Math.max(model.log.firstIndexSync(), last + 1 - op.back, 1);
              const es = Array.from({ length: op.count }, (_, k) => entry(from + k, term));
              const rd = ready(es, { term, vote: '', commit: model.log.firstIndexSync() - 1 });
              model.persistReadySync(rd);
              await s.persistReady(rd);
            } else if (op.kind === 'compact') {
              const index = last - op.keep;
              if (index < model.log.firstIndexSync()) continue;
              const ours = model.log.entriesSync(index, index + 1)[0];
              const snap: Snapshot = {
                meta: { index, term: ours?.term ?? term, conf },
                data: Uint8Array.of(index),
              };
              model.installSnapshotSync(snap);
              await s.saveSnapshot(snap);
            } else if (op.kind === 'stale-install') {
              const current = model.log.firstIndexSync() - 1;
              if (current === 0) continue;
              const index = Math.max(1, current - op.back);
              const snap: Snapshot = { meta: { index, term, conf }, data: Uint8Array.of(0xee) };
              // A new term, so the Ready is written (one that only moved the commit index may not be).
              const rd = ready([], { term: ++term, vote: '', commit: current }, snap);
              model.persistReadySync(rd);
              await s.persistReady(rd);
            } else {
              // A leader's snapshot, behind or past our last index, agreeing with our log there or not.
              const index = Math.max(model.log.firstIndexSync(), last - 2 + op.ahead);
              const ours = model.log.entriesSync(index, index + 1)[0];
              const snapTerm = ours !== undefined && op.sameTerm ? ours.term : ++term;
              const snap: Snapshot = { meta: { index, term: snapTerm, conf }, data: Uint8Array.of(index) };
              const rd = ready([], { term, vote: '', commit: index }, snap);
              model.persistReadySync(rd);
              await s.persistReady(rd);
            }
          }
          if (crash) {
            // No clean close: what a kill -9 leaves on disk, read from a copy.
            const copy = await tempDir();
            await cp(dir, copy, { recursive: true });
            await s.close();
            s = await open(copy);
          } else {
            s = await reopen(dir, s);
          }
          expect(normalize(s.load())).toEqual(normalize(model.loadSync()));
          await s.close();
        },
      ),
      {
        numRuns: 40,
        seed: Number(process.env.FC_SEED ?? 0x1e7e1),
        ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
      },
    );
  });

  it('writes a held commit index with the next entries, never past them', async () => {
    const dir = await tempDir();
    const storage = await open(dir);
    // persistReady says whether it synced: the fsync histogram times only those (timed-storage.ts).
    expect(
      await storage.persistReady(ready([entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 0 })),
    ).toBe(true);
    expect(await storage.persistReady(ready([], { term: 1, vote: 'a', commit: 2 }))).toBe(false);
    expect(await storage.persistReady(ready([entry(3, 1)]))).toBe(true);
    // Read what is on disk without a clean close of this instance: open a copy of the directory.
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    const crashed = await open(copy);
    expect(crashed.load().hardState).toEqual({ term: 1, vote: 'a', commit: 2 });
    expect(crashed.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    await crashed.close();
    await storage.close();
  });
});
