/**
 * What is particular to the WAL: segments cut and deleted, frames that do
 * not fit, torn last writes, and damage it must refuse to start on, naming
 * the file.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../../../raft/core/types.ts';
import { StorageCorruptionError } from '../../../raft/storage/corruption-error.ts';
import { LevelStorage } from '../../../raft/storage/level-storage.ts';
import { openNodeStorage } from '../../../raft/storage/open-node-storage.ts';
import { scanSegment } from '../../../raft/storage/wal/wal-frame.ts';
import { WalStorage } from '../../../raft/storage/wal-storage.ts';
import { entry, ready, useTempDirs } from './support.ts';

const tempDir = useTempDirs('flotilla-wal-');

const conf = { voters: ['a', 'b', 'c'], learners: [], promoting: [] };
const snap = (index: number, term: number): Snapshot => ({
  meta: { index, term, conf },
  data: Uint8Array.of(index),
});
const range = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, k) => entry(lo + k, term));

async function segments(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).filter((n) => n.endsWith('.wal')).sort();
}

/** Every frame in a segment file: where it starts and where its payload ends. */
async function frames(path: string): Promise<{ start: number; end: number }[]> {
  const file = await readFile(path);
  const seq = Number(basename(path, '.wal'));
  return scanSegment(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), seq).payloads.map((p) => {
    const start = p.byteOffset - file.byteOffset - 8;
    return { start, end: start + 8 + p.byteLength };
  });
}

async function frameOffsets(path: string): Promise<number[]> {
  return (await frames(path)).map((f) => f.start);
}

/** A write the crash tore: the frame's sectors from `from` on never reached the disk (a sparse file reads zeros). */
async function tear(path: string, frame: { start: number; end: number }): Promise<void> {
  const bytes = await readFile(path);
  bytes.fill(0, Math.ceil((frame.start + 600) / 512) * 512, frame.end);
  await writeFile(path, bytes);
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset]! ^= 0x40;
  await writeFile(path, bytes);
}

async function openError(dir: string): Promise<StorageCorruptionError> {
  const error = await WalStorage.open(dir).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageCorruptionError);
  return error as StorageCorruptionError;
}

describe('WalStorage segments', () => {
  it('cuts a new segment when a frame does not fit, and deletes the segments a snapshot covers', async () => {
    const dir = await tempDir();
    let s = await WalStorage.open(dir, { segmentBytes: 1024 });
    for (let i = 1; i <= 60; i++)
      await s.persistReady(ready([entry(i, 1)], { term: 1, vote: 'a', commit: i - 1 }));
    const before = await segments(dir);
    expect(before.length).toBeGreaterThan(3);
    await s.saveSnapshot(snap(58, 1));
    const after = await segments(dir);
    expect(after.length).toBeLessThan(before.length);
    expect(after.at(-1)).toBe(before.at(-1)); // the current segment is never deleted
    await s.close();
    s = await WalStorage.open(dir, { segmentBytes: 1024 });
    expect(s.load().snapshot?.meta.index).toBe(58);
    expect(s.load().entries.map((e) => e.index)).toEqual([59, 60]);
    expect(s.load().hardState).toEqual({ term: 1, vote: 'a', commit: 59 });
    await s.close();
  });

  it('writes a frame larger than a segment into a segment of its own', async () => {
    const dir = await tempDir();
    let s = await WalStorage.open(dir, { segmentBytes: 256 });
    await s.persistReady(ready([entry(1, 1)], { term: 1, vote: 'a', commit: 0 }));
    const big = entry(2, 1, 'x'.repeat(5000));
    await s.persistReady(ready([big], { term: 1, vote: 'a', commit: 1 }));
    await s.persistReady(ready([entry(3, 1)], { term: 1, vote: 'a', commit: 2 }));
    await s.close();
    s = await WalStorage.open(dir, { segmentBytes: 256 });
    expect(s.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    const loaded = s.load().entries[1]!;
    expect(loaded.type === 'normal' && loaded.data.byteLength).toBe(5000);
    await s.close();
  });

  it('does not write a Ready that only moves the commit index, and writes it on a clean close', async () => {
    const dir = await tempDir();
    const s = await WalStorage.open(dir);
    await s.persistReady(ready([entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 0 }));
    const [name] = await segments(dir);
    const path = join(dir, 'wal', name!);
    const written = await readFile(path);
    await s.persistReady(ready([], { term: 1, vote: 'a', commit: 2 }));
    expect(Buffer.compare(await readFile(path), written)).toBe(0);
    await s.close();
    const again = await WalStorage.open(dir);
    expect(again.load().hardState).toEqual({ term: 1, vote: 'a', commit: 2 });
    await again.close();
  });
});

describe('WalStorage after a crash', () => {
  it('drops a torn last frame with a warning, and appends cleanly after it', async () => {
    const dir = await tempDir();
    let s = await WalStorage.open(dir);
    await s.persistReady(ready(range(1, 3, 1), { term: 1, vote: 'a', commit: 2 }));
    const big = (i: number): Entry => entry(i, 1, 'y'.repeat(800));
    await s.persistReady(ready([big(4), big(5)])); // two sectors and more: a write the crash can tear
    await s.close();
    const [name] = await segments(dir);
    const path = join(dir, 'wal', name!);
    await tear(path, (await frames(path)).at(-1)!);
    s = await WalStorage.open(dir);
    expect(s.warnings.join('\n')).toMatch(/dropped a torn frame at the end of .*0000000000000001\.wal/);
    expect(s.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    await s.persistReady(ready([entry(4, 2)], { term: 2, vote: 'b', commit: 3 }));
    await s.close();
    s = await WalStorage.open(dir);
    expect(s.warnings).toEqual([]);
    expect(s.load().entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
    await s.close();
  });

  it('bytes inside an entry that look like frames do not make a torn write look like corruption', async () => {
    // A client controls entry bytes: one plausible frame at every alignment, checksummed as a plain CRC32.
    const inner = new TextEncoder().encode('ABCDEFGH');
    const nested = new Uint8Array(16);
    new DataView(nested.buffer).setUint32(0, inner.byteLength);
    new DataView(nested.buffer).setUint32(4, crc32(inner) >>> 0);
    nested.set(inner, 8);
    const parts: number[] = [];
    for (let j = 0; j < 8; j++) parts.push(...Array(j).fill(0xff), ...nested);
    const data = Uint8Array.from([...parts, ...Array(3000).fill(0x61)]);
    const dir = await tempDir();
    let s = await WalStorage.open(dir);
    await s.persistReady(ready([entry(1, 1)], { term: 1, vote: 'a', commit: 0 }));
    await s.persistReady(
      ready([{ type: 'normal', index: 2, term: 1, data }], { term: 1, vote: 'a', commit: 1 }),
    );
    await s.close();
    const [name] = await segments(dir);
    const path = join(dir, 'wal', name!);
    await tear(path, (await frames(path)).at(-1)!);
    s = await WalStorage.open(dir);
    expect(s.load().entries.map((e) => e.index)).toEqual([1]);
    expect(s.warnings.join('\n')).toMatch(/dropped a torn frame/);
    await s.close();
  });

  it('recovers from a crash between a leader snapshot file and its record when the last segment is full', async () => {
    for (const n of [3, 6, 9, 12]) {
      const dir = await tempDir();
      let s = await WalStorage.open(dir, { segmentBytes: 256 });
      for (let i = 1; i <= n; i++)
        await s.persistReady(ready([entry(i, 1)], { term: 1, vote: 'a', commit: 0 }));
      await s.snapshots.save(snap(20, 2)); // the install saved the file, then the process died
      await s.close();
      s = await WalStorage.open(dir, { segmentBytes: 256 });
      await s.close();
      s = await WalStorage.open(dir, { segmentBytes: 256 });
      expect(s.load().snapshot?.meta.index).toBe(20);
      expect(s.load().entries).toEqual([]);
      await s.persistReady(ready([entry(21, 2)], { term: 2, vote: '', commit: 20 }));
      await s.close();
      s = await WalStorage.open(dir, { segmentBytes: 256 });
      expect(s.load().entries.map((e) => e.index)).toEqual([21]);
      await s.close();
    }
  });

  it('records a leader snapshot whose record a crash lost, so later entries survive the next restart', async () => {
    const dir = await tempDir();
    let s = await WalStorage.open(dir);
    await s.persistReady(ready(range(1, 10, 1), { term: 1, vote: 'a', commit: 3 }));
    await s.snapshots.save(snap(5, 2)); // persistReady saved the file, then the process died
    await s.close();
    s = await WalStorage.open(dir);
    expect(s.load().entries).toEqual([]);
    await s.persistReady(ready([entry(6, 2)], { term: 2, vote: '', commit: 5 }));
    await s.close();
    s = await WalStorage.open(dir);
    expect(s.load().entries.map((e) => [e.index, e.term])).toEqual([[6, 2]]);
    await s.close();
  });
});

describe('WalStorage refuses damaged data and says where', () => {
  async function seeded(segmentBytes?: number): Promise<string> {
    const dir = await tempDir();
    const s = await WalStorage.open(dir, segmentBytes === undefined ? {} : { segmentBytes });
    for (let i = 1; i <= 8; i++)
      await s.persistReady(ready([entry(i, 1)], { term: 1, vote: 'a', commit: i }));
    await s.close();
    return dir;
  }

  it('a flipped bit in a frame with valid frames after it', async () => {
    const dir = await seeded();
    const [name] = await segments(dir);
    const path = join(dir, 'wal', name!);
    const offsets = await frameOffsets(path);
    await flipByte(path, offsets[3]! + 10);
    const error = await openError(dir);
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(
      new RegExp(`checksum mismatch .* at byte ${offsets[3]}, with valid frames after it`),
    );
  });

  it('a flipped bit in the last frame, every sector of which was written', async () => {
    const dir = await seeded();
    const [name] = await segments(dir);
    const path = join(dir, 'wal', name!);
    await flipByte(path, (await frameOffsets(path)).at(-1)! + 10);
    const error = await openError(dir);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/every sector of it was written: damage, not a torn write/);
  });

  it('damage in a segment that is not the last, even at its end', async () => {
    const dir = await seeded(256);
    const names = await segments(dir);
    expect(names.length).toBeGreaterThan(1);
    const path = join(dir, 'wal', names[0]!);
    await flipByte(path, (await frameOffsets(path)).at(-1)! + 10);
    const error = await openError(dir);
    expect(error.message).toContain(path);
  });

  it('a missing segment between two others', async () => {
    const dir = await seeded(256);
    const names = await segments(dir);
    expect(names.length).toBeGreaterThan(2);
    await rm(join(dir, 'wal', names[1]!));
    const error = await openError(dir);
    expect(error.message).toMatch(/segment 2 is missing/);
  });

  it('a first segment gone with no snapshot to cover it', async () => {
    const dir = await seeded(256);
    const names = await segments(dir);
    await rm(join(dir, 'wal', names[0]!));
    const error = await openError(dir);
    expect(error.message).toMatch(/the log was compacted to \d+ but no snapshot is stored/);
  });

  it('a snapshot with no write-ahead log', async () => {
    const dir = await tempDir();
    const s = await WalStorage.open(dir);
    await s.persistReady(ready(range(1, 4, 1), { term: 1, vote: 'a', commit: 4 }));
    await s.saveSnapshot(snap(3, 1));
    await s.close();
    await rm(join(dir, 'wal'), { recursive: true });
    const error = await openError(dir);
    expect(error.message).toMatch(/a snapshot is stored but the write-ahead log is missing/);
  });
});

describe('openNodeStorage', () => {
  it('opens the WAL in a new directory, and keeps a LevelDB directory from before the WAL on LevelDB', async () => {
    const fresh = await tempDir();
    const wal = await openNodeStorage(fresh);
    expect(wal).toBeInstanceOf(WalStorage);
    await wal.close();
    expect(await readdir(fresh)).toContain('wal');

    const old = await tempDir();
    const level = await LevelStorage.open(old);
    await level.persistReady(ready(range(1, 3, 1), { term: 1, vote: 'a', commit: 3 }));
    await level.close();
    const warnings: string[] = [];
    const logger = { info: () => {}, error: () => {}, warn: (_o: object, msg: string) => warnings.push(msg) };
    const reopened = await openNodeStorage(old, { logger });
    expect(reopened).toBeInstanceOf(LevelStorage);
    expect(reopened.load().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(warnings.join('\n')).toMatch(/keeps its log in LevelDB/);
    await reopened.close();
    expect(await readdir(old)).not.toContain('wal');
  });
});
