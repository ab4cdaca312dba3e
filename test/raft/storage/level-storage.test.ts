import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageCorruptionError } from '../../../raft/storage/corruption-error.ts';
import { LevelStorage } from '../../../raft/storage/level-storage.ts';
import { indexKey } from '../../../raft/storage/record-codec.ts';
import { entry, ready, useTempDirs, withRawLog } from './support.ts';

const tempDir = useTempDirs('flotilla-level-');

const conf = { voters: ['a', 'b', 'c'], learners: [], promoting: [] };

async function reopen(dir: string, storage: LevelStorage): Promise<LevelStorage> {
  await storage.close();
  return LevelStorage.open(dir);
}

describe('LevelStorage refuses corrupt data and says where', () => {
  async function seeded(): Promise<string> {
    const dir = await tempDir();
    const s = await LevelStorage.open(dir);
    await s.persistReady(
      ready(
        [1, 2, 3, 4].map((i) => entry(i, 1)),
        { term: 1, vote: '', commit: 4 },
      ),
    );
    await s.close();
    return dir;
  }

  async function openError(dir: string): Promise<StorageCorruptionError> {
    const error = await LevelStorage.open(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageCorruptionError);
    return error as StorageCorruptionError;
  }

  it('a flipped bit in an entry', async () => {
    const dir = await seeded();
    await withRawLog(dir, async (db) => {
      const value = new Uint8Array((await db.get(indexKey(0x65, 3)))!);
      value[value.length - 1]! ^= 0x01;
      await db.put(indexKey(0x65, 3), value);
    });
    const error = await openError(dir);
    expect(error.code).toBe('CORRUPT');
    expect(error.index).toBe(3);
    expect(error.message).toContain(dir);
    expect(error.message).toContain('checksum mismatch');
  });

  it('a gap in the log', async () => {
    const dir = await seeded();
    await withRawLog(dir, (db) => db.del(indexKey(0x65, 2)));
    const error = await openError(dir);
    expect(error.message).toMatch(/gap in the log: expected index 2, found 3/);
  });

  it('a hard state that commits past the end of the log', async () => {
    const dir = await seeded();
    await withRawLog(dir, async (db) => {
      await db.del(indexKey(0x65, 4));
      await db.del(indexKey(0x65, 3));
    });
    const error = await openError(dir);
    expect(error.message).toMatch(/commits index 4 but the log ends at 2/);
  });

  it('a damaged snapshot file, named in the error', async () => {
    const dir = await seeded();
    const s = await LevelStorage.open(dir);
    await s.snapshots.save({ meta: { index: 2, term: 1, conf }, data: Uint8Array.of(1, 2, 3, 4) });
    await s.close();
    const snapDir = join(dir, 'snapshots');
    const [name] = (await readdir(snapDir)).filter((n) => n.endsWith('.snap'));
    await writeFile(
      join(snapDir, name!),
      Uint8Array.of(0x46, 0x4c, 0x53, 0x4e, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7),
    );
    const error = await openError(dir);
    expect(error.message).toContain(name!);
    expect(error.message).toContain('checksum mismatch');
  });

  it('ignores and removes a snapshot whose save crashed before its rename', async () => {
    const dir = await seeded();
    const snapDir = join(dir, 'snapshots');
    await writeFile(join(snapDir, 'snap-00000000000000000009-1.snap.tmp'), 'half written');
    const s = await LevelStorage.open(dir);
    expect(s.load().snapshot).toBeUndefined();
    expect(await readdir(snapDir)).toEqual([]);
    await s.close();
  });
});

describe('LevelStorage fsync policy (etcd MustSync)', () => {
  it('syncs entries, snapshots and new terms or votes, and holds a Ready that only moves the commit index for the next write', async () => {
    const dir = await tempDir();
    const storage = await LevelStorage.open(dir);
    const db = (
      storage as unknown as { db: { batch: (ops: unknown, o?: { sync?: boolean }) => Promise<void> } }
    ).db;
    const syncs: boolean[] = [];
    const batch = db.batch.bind(db);
    db.batch = (ops, o) => {
      syncs.push(o?.sync === true);
      return batch(ops, o);
    };
    await storage.persistReady(ready([entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 0 }));
    await storage.persistReady(ready([], { term: 1, vote: 'a', commit: 1 })); // commit only: held
    expect(syncs).toEqual([true]);
    await storage.persistReady(ready([entry(3, 1)])); // rides along with the next entries
    expect(syncs).toEqual([true, true]);
    await storage.persistReady(ready([], { term: 1, vote: 'a', commit: 2 })); // commit only: held
    await storage.persistReady(ready([], { term: 2, vote: '', commit: 2 })); // a new term
    await storage.persistReady(ready([], { term: 2, vote: 'b', commit: 2 })); // a vote
    await storage.persistReady(ready([], { term: 2, vote: 'b', commit: 3 })); // commit only: held
    expect(syncs).toEqual([true, true, true, true]);
    const again = await reopen(dir, storage); // a clean close writes the held commit index
    expect(again.load().hardState).toEqual({ term: 2, vote: 'b', commit: 3 });
    await again.close();
  });
});
