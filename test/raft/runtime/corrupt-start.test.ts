import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../../raft/core/types.ts';
import { LevelStorage } from '../../../raft/storage/level-storage.ts';
import { indexKey } from '../../../raft/storage/record-codec.ts';
import { scanSegment } from '../../../raft/storage/wal/wal-frame.ts';
import { WalStorage } from '../../../raft/storage/wal-storage.ts';
import { ready, withRawLog } from '../storage/support.ts';

/** A node refuses to start on corrupt data with exit code 2 and says where; a torn tail is tolerated and reported. */
const writer = join(import.meta.dirname, 'crash-writer.ts');
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const conf = { voters: ['solo'], learners: [], promoting: [] };
const entries = (from: number, to: number): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, k) =>
    from + k === 1
      ? { type: 'conf', index: 1, term: 1, conf }
      : { type: 'normal', index: from + k, term: 2, data: new TextEncoder().encode(`w${from + k}`) },
  );

/** A data directory of node 'solo': entries 1..20, committed up to `commit`, optionally compacted at 10. */
async function dataDir(commit: number, compacted = false): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-corrupt-'));
  dirs.push(dir);
  const s = await LevelStorage.open(dir);
  await s.persistReady({
    entries: entries(1, 20),
    hardState: { term: 2, vote: 'solo', commit },
    messages: [],
    committed: [],
    readStates: [],
    droppedReads: [],
  });
  if (compacted) {
    const items = entries(2, 10).map((e) => (e.type === 'normal' ? new TextDecoder().decode(e.data) : ''));
    await s.saveSnapshot({
      meta: { index: 10, term: 2, conf },
      data: new TextEncoder().encode(JSON.stringify(items)),
    });
  }
  await s.close();
  return dir;
}

async function flipLastByte(dir: string, index: number): Promise<void> {
  await withRawLog(dir, async (db) => {
    const value = new Uint8Array((await db.get(indexKey(0x65, index)))!);
    value[value.length - 1]! ^= 0xff;
    await db.put(indexKey(0x65, index), value);
  });
}

function start(dir: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', writer, dir, 'verify'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('a node with corrupt data in LevelDB (a directory from before the WAL)', () => {
  it('refuses to start on a flipped byte in a committed record, naming directory and index', async () => {
    const dir = await dataDir(20);
    await flipLastByte(dir, 7);
    const run = start(dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(dir);
    expect(run.stderr).toMatch(/at index 7: log entry: checksum mismatch/);
  });

  it('refuses to start when the middle of the log is missing', async () => {
    const dir = await dataDir(20);
    await withRawLog(dir, (db) => db.del(indexKey(0x65, 12)));
    const run = start(dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/gap in the log: expected index 12, found 13/);
  });

  it('refuses to start when the snapshot the log starts after is gone', async () => {
    const dir = await dataDir(20, true);
    const snapDir = join(dir, 'snapshots');
    for (const name of await readdir(snapDir)) await rm(join(snapDir, name));
    const run = start(dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/compacted to 10 but no snapshot is stored/);
  });

  it('tolerates a torn last record that was never committed, and reports it', async () => {
    const dir = await dataDir(19);
    await flipLastByte(dir, 20);
    const run = start(dir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/dropped a torn record at the tail of the log, index 20/);
    const items = JSON.parse(run.stdout.trim()) as string[];
    expect(items.slice(0, 18)).toEqual(
      entries(2, 19).map((e) => (e.type === 'normal' ? new TextDecoder().decode(e.data) : '')),
    );
  });

  it('but a damaged last record that was committed is corruption', async () => {
    const dir = await dataDir(20);
    await flipLastByte(dir, 20);
    const run = start(dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/at index 20: log entry: checksum mismatch/);
  });
});

/**
 * Node 'solo' on the WAL: entries 1..20 in four frames of five, committed up
 * to `commit` (the last frame's entries carry 300 bytes more each, so the
 * frame spans sectors a crash can tear); returns the segment and its frames.
 */
async function walDir(
  commit: number,
): Promise<{ dir: string; segment: string; frames: { start: number; end: number }[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-corrupt-wal-'));
  dirs.push(dir);
  const s = await WalStorage.open(dir);
  for (let from = 1; from <= 20; from += 5) {
    const last = from + 4;
    const batch = entries(from, last).map((e) =>
      last === 20 && e.type === 'normal'
        ? { ...e, data: new TextEncoder().encode(`w${e.index}${' '.repeat(300)}`) }
        : e,
    );
    await s.persistReady(ready(batch, { term: 2, vote: 'solo', commit: Math.min(commit, last) }));
  }
  await s.close();
  const segment = join(dir, 'wal', '0000000000000001.wal');
  const file = await readFile(segment);
  const frames = scanSegment(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), 1).payloads.map(
    (p) => {
      const start = p.byteOffset - file.byteOffset - 8;
      return { start, end: start + 8 + p.byteLength };
    },
  );
  return { dir, segment, frames };
}

async function flipByteAt(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset]! ^= 0xff;
  await writeFile(path, bytes);
}

describe('a node with corrupt data in its WAL', () => {
  it('refuses to start on a flipped byte in a frame with frames after it, naming the segment and byte', async () => {
    const { dir, segment, frames } = await walDir(20);
    await flipByteAt(segment, frames[2]!.start + 11);
    const run = start(dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(segment);
    expect(run.stderr).toMatch(/checksum mismatch .* at byte \d+, with valid frames after it/);
  });

  it('tolerates a torn last frame that was never acknowledged, and reports it', async () => {
    const { dir, segment, frames } = await walDir(15);
    // The crash tore the last write: its sectors after the first never reached the disk.
    const last = frames.at(-1)!;
    const bytes = await readFile(segment);
    bytes.fill(0, Math.ceil((last.start + 600) / 512) * 512, last.end);
    await writeFile(segment, bytes);
    const run = start(dir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/dropped a torn frame at the end of .*0000000000000001\.wal/);
    const items = JSON.parse(run.stdout.trim()) as string[];
    expect(items.slice(0, 14)).toEqual(
      entries(2, 15).map((e) => (e.type === 'normal' ? new TextDecoder().decode(e.data) : '')),
    );
  });
});
