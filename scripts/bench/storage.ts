/**
 * Durable Readies per second of the node's storages, the segment WAL
 * (`WalStorage`, what nodes use) and `LevelStorage` (what they used before),
 * against the fsyncs per second the disk itself allows, so the figures read
 * as ratios and not as absolutes that only hold on this machine.
 *
 *   npm run bench:storage [-- --seconds S] [--json]
 *
 * For each batch size (1, 16, 256 entries of 100 bytes, plus a hard state, as
 * the runtime writes one Ready) a fresh storage in a temp dir is fed Readies
 * for at least S seconds (default 2) after a short warm-up; each
 * `persistReady` is one synced write (a WAL frame written `O_DSYNC`, or a
 * LevelDB batch with `sync: true`). The baseline appends the same number of
 * bytes to a plain file with `fs.writeSync` + `fs.fsyncSync`, for the same time.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Entry, HardState, Ready } from '../../raft/core/types.ts';
import { LevelStorage } from '../../raft/storage/level-storage.ts';
import { encodeRecord } from '../../raft/storage/record-codec.ts';
import type { NodeStorage } from '../../raft/storage/types.ts';
import { WalStorage } from '../../raft/storage/wal-storage.ts';

const BATCHES = [1, 16, 256] as const;
const WARM_UP_SECONDS = 0.3;
const KEY_BYTES = 9; // prefix + 8-byte index, as LevelStorage keys entries

const STORAGES: readonly [string, (dir: string) => Promise<NodeStorage>][] = [
  ['wal', (dir) => WalStorage.open(dir)],
  ['level', (dir) => LevelStorage.open(dir)],
];

interface Result {
  readonly storage: string;
  readonly batch: number;
  readonly readies: number;
  readonly seconds: number;
  readonly readiesPerSecond: number;
  readonly entriesPerSecond: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Key + encoded value bytes per Ready: what the baseline writes per fsync. */
  readonly bytesPerReady: number;
  readonly rawFsyncsPerSecond: number;
  /** Readies/s over raw fsyncs/s: the share of the disk's fsync rate the storage keeps. */
  readonly ratio: number;
}

const payload = new Uint8Array(100).fill(7);

/** The Ready the runtime would persist for `batch` new entries after `last`: entries plus hard state. */
function makeReady(last: number, batch: number): Ready {
  const entries: Entry[] = [];
  for (let k = 1; k <= batch; k++) entries.push({ type: 'normal', index: last + k, term: 1, data: payload });
  // Commit trails the log by one batch, as it would on a leader waiting for acknowledgements.
  const hardState: HardState = { term: 1, vote: 'n1', commit: last };
  return { hardState, entries, messages: [], committed: [], readStates: [], droppedReads: [] };
}

function readyBytes(ready: Ready): number {
  let bytes = 1 + encodeRecord(ready.hardState).byteLength;
  for (const e of ready.entries) bytes += KEY_BYTES + encodeRecord(e).byteLength;
  return bytes;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function benchStorage(
  open: (dir: string) => Promise<NodeStorage>,
  dir: string,
  batch: number,
  minSeconds: number,
) {
  const storage = await open(dir);
  try {
    let last = 0;
    // Warm-up: JIT, first allocations (LevelDB's log and memtable); not counted.
    for (const until = now() + WARM_UP_SECONDS * 1000; now() < until; last += batch) {
      await storage.persistReady(makeReady(last, batch));
    }
    const latencies: number[] = [];
    const start = now();
    let elapsed = 0;
    while (elapsed < minSeconds * 1000) {
      // Building the Ready is outside the timed call: the runtime gets it from the core for free.
      const ready = makeReady(last, batch);
      const t0 = now();
      await storage.persistReady(ready);
      const t1 = now();
      latencies.push(t1 - t0);
      last += batch;
      elapsed = t1 - start;
    }
    latencies.sort((a, b) => a - b);
    return { latencies, seconds: elapsed / 1000 };
  } finally {
    await storage.close();
  }
}

/** fsyncs/s when appending `bytes` per fsync to a plain file: the disk's own ceiling. */
function benchRaw(root: string, batch: number, bytes: number, minSeconds: number): number {
  const fd = openSync(join(root, `raw-${batch}.log`), 'w');
  try {
    const buf = new Uint8Array(bytes).fill(7);
    for (const until = now() + WARM_UP_SECONDS * 1000; now() < until; ) {
      writeSync(fd, buf);
      fsyncSync(fd);
    }
    const start = now();
    let count = 0;
    let elapsed = 0;
    while (elapsed < minSeconds * 1000) {
      writeSync(fd, buf);
      fsyncSync(fd);
      count++;
      elapsed = now() - start;
    }
    return count / (elapsed / 1000);
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const minSeconds = Number(values.seconds);
  if (!Number.isFinite(minSeconds) || minSeconds <= 0) {
    process.stderr.write('bench:storage: --seconds must be a positive number\n');
    process.exit(2);
  }
  const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-storage-'));
  const results: Result[] = [];
  try {
    for (const batch of BATCHES) {
      const bytesPerReady = readyBytes(makeReady(0, batch));
      const rawFsyncsPerSecond = benchRaw(root, batch, bytesPerReady, minSeconds);
      for (const [name, open] of STORAGES) {
        const { latencies, seconds } = await benchStorage(
          open,
          join(root, `${name}-${batch}`),
          batch,
          minSeconds,
        );
        const readies = latencies.length;
        const readiesPerSecond = readies / seconds;
        results.push({
          storage: name,
          batch,
          readies,
          seconds,
          readiesPerSecond,
          entriesPerSecond: readiesPerSecond * batch,
          meanMs: latencies.reduce((a, b) => a + b, 0) / readies,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          bytesPerReady,
          rawFsyncsPerSecond,
          ratio: readiesPerSecond / rawFsyncsPerSecond,
        });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    'storage  batch  bytes/Ready  Readies/s   entries/s  mean ms  p50 ms  p99 ms  raw fsync/s  of raw  wal/level\n',
  );
  for (const r of results) {
    const level = results.find((o) => o.storage === 'level' && o.batch === r.batch)!;
    const vsLevel = r.storage === 'wal' ? `${(r.readiesPerSecond / level.readiesPerSecond).toFixed(2)}x` : '';
    process.stdout.write(
      `${r.storage.padEnd(7)}  ${String(r.batch).padStart(5)}  ${String(r.bytesPerReady).padStart(11)}  ${r.readiesPerSecond.toFixed(0).padStart(9)}  ${r.entriesPerSecond.toFixed(0).padStart(10)}  ${r.meanMs.toFixed(3).padStart(7)}  ${r.p50Ms.toFixed(3).padStart(6)}  ${r.p99Ms.toFixed(3).padStart(6)}  ${r.rawFsyncsPerSecond.toFixed(0).padStart(11)}  ${r.ratio.toFixed(2).padStart(5)}x  ${vsLevel.padStart(9)}\n`,
    );
  }
  process.stdout.write(`(100-byte entries; one synced write per Ready; ${process.version})\n`);
}

await main();
