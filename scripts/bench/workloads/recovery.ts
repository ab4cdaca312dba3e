/**
 * Restart recovery with a long log (issue #6): a follower whose log holds
 * 1,000,000 entries since its last snapshot (100,000 with --quick) is
 * killed and started again.
 *
 * - Both systems start with a snapshot threshold of twice the entry count
 *   (Flotilla `raft.snapshotEntries`, etcd `--snapshot-count`), so neither
 *   snapshots while loading; the workload checks that no member has a Raft
 *   snapshot afterwards.
 * - Loading: kv puts over 10,000 keys (`r/<n mod 10000>`) with 8-byte values,
 *   straight to the leader at high concurrency (BenchCluster.connectLoader:
 *   Flotilla's client protocol without a session, 2,048 in flight; the
 *   etcd3 client, 1,024 in flight). Each put is one log entry.
 * - Restart: `kill -9` of a follower, then from the spawn until it (a)
 *   answers a status request, (b) has applied the leader's commit index,
 *   (c) serves a linearizable read itself: the "ready" figure, the one
 *   signal that means the same on both (up, caught up, a leader known).
 *   The same is done on the empty cluster first: the cost of starting the
 *   process at all.
 * - Where the time goes: Flotilla, in this process on a copy of the
 *   follower's data dir: `openNodeStorage` (read and verify the log) and
 *   applying every entry to a fresh Registry (what the node does before it
 *   serves: its state machine lives in memory). etcd, from its own log lines
 *   (`--log-level info`): opening bbolt, reading the WAL, serving clients.
 */

import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SNAPSHOT_BYTES, openNodeStorage } from '../../../raft/index.ts';
import { encodeCommand } from '../../../src/registry/command-codec.ts';
import { Registry } from '../../../src/registry/registry.ts';
import {
  bulkLoad,
  duBytes,
  findLogLine,
  type RestartTimes,
  restartLogNote,
  sinceSpawn,
  timeRestart,
  waitQuiet,
} from '../restart.ts';
import { processRssBytes } from '../stats.ts';
import type { BenchCluster } from '../system.ts';
import type { Measured, RunContext, Workload, WorkloadResult } from '../workload.ts';

const KEYS = 10_000;
const MB = 1024 * 1024;

function entryCount(quick: boolean): number {
  return quick ? 100_000 : 1_000_000;
}

/** Put `n`: key `r/<n mod 10000>`, an 8-byte value distinct per put. */
function entry(n: number): readonly [string, string] {
  return [`r/${n % KEYS}`, n.toString(36).padStart(8, '0')];
}

/**
 * Flotilla also snapshots once the entries applied since the last snapshot
 * hold DEFAULT_SNAPSHOT_BYTES (64 MB) of commands, and the cluster file
 * cannot raise that: refuse to run when the log could not hold `count` entries.
 */
function checkFlotillaBytes(count: number): void {
  const bytes = encodeCommand({
    op: 'kv.put',
    args: { key: entry(count)[0], value: entry(count)[1] },
    now: Date.now(),
  }).byteLength;
  if (bytes * count >= DEFAULT_SNAPSHOT_BYTES)
    throw new Error(
      `${count} entries of ${bytes} bytes reach Flotilla's snapshotBytes (${DEFAULT_SNAPSHOT_BYTES}): the log would be snapshotted`,
    );
}

/** Flotilla's restart, re-done in this process on a copy of the data dir. */
async function flotillaPhases(dir: string): Promise<{ openMs: number; applyMs: number; entries: number }> {
  const t0 = performance.now();
  const storage = await openNodeStorage(dir);
  try {
    const t1 = performance.now();
    const state = storage.load();
    const commit = state.hardState?.commit ?? 0;
    const registry = new Registry();
    for (const e of state.entries) {
      if (e.index <= commit && e.type === 'normal' && e.data.byteLength > 0) registry.apply(e.data, e.index);
    }
    const t2 = performance.now();
    return { openMs: t1 - t0, applyMs: t2 - t1, entries: state.entries.length };
  } finally {
    await storage.close();
  }
}

/** A Go duration as etcd logs it ("60.17ms", "1.2s", "850µs") in ms, or NaN. */
function goDurationMs(text: unknown): number {
  const m = /^([\d.]+)(ms|s|µs|us|ns)$/.exec(String(text));
  if (m === null) return Number.NaN;
  const scale: Record<string, number> = { s: 1000, ms: 1, µs: 0.001, us: 0.001, ns: 0.000001 };
  return Number(m[1]) * scale[m[2]!]!;
}

/** Kills `member`, starts it again and times it; `beforeRestart` runs while it is down. */
async function restartTimed(
  cluster: BenchCluster,
  member: string,
  beforeRestart?: () => Promise<void>,
): Promise<RestartTimes> {
  const leader = await cluster.leader();
  await cluster.kill(member);
  const commit = (await cluster.commitIndex(leader)) ?? 0;
  await beforeRestart?.();
  return timeRestart(cluster, member, commit, 300_000);
}

export const recovery: Workload = {
  name: 'recovery',
  title: 'restart of a follower whose log holds 1,000,000 entries since its last snapshot',
  startOptions: (quick) => ({ snapshotEntries: 2 * entryCount(quick), logLevel: 'info' }),
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const { cluster, system } = ctx;
    const count = entryCount(ctx.quick);
    const n = count.toLocaleString('en-US');
    const notes: string[] = [];
    if (system === 'flotilla') checkFlotillaBytes(count);

    const leader0 = await cluster.leader();
    const empty = await restartTimed(cluster, cluster.members.find((m) => m !== leader0)!);

    const loader = await cluster.connectLoader();
    let load: Awaited<ReturnType<typeof bulkLoad>>;
    try {
      load = await bulkLoad(loader, count, entry);
    } finally {
      await loader.close();
    }
    ctx.log(
      `  ${system}: ${n} puts in ${load.seconds.toFixed(1)} s (${Math.round(count / load.seconds)}/s, ${loader.description})`,
    );
    if (load.retried > 0)
      notes.push(`${system} recovery: ${load.retried} puts failed once and were sent again`);
    const commit = await waitQuiet(cluster, cluster.members);
    for (const m of cluster.members) {
      const snap = await cluster.raftSnapshotIndex(m);
      if (snap !== undefined)
        throw new Error(`${system} ${m} took a Raft snapshot at ${snap}: its log does not hold ${n} entries`);
    }
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const dataDir = duBytes(cluster.dataDir(follower));
    const rssBefore = processRssBytes(cluster.pid(follower) ?? -1) ?? Number.NaN;
    const copy = join(cluster.tempDir, `copy-${follower}`);
    const times = await restartTimed(cluster, follower, async () => {
      // A copy of what the follower starts from, for the in-process breakdown below.
      if (system === 'flotilla') await cp(cluster.dataDir(follower), copy, { recursive: true });
    });
    const rssAfter = processRssBytes(cluster.pid(follower) ?? -1) ?? Number.NaN;
    notes.push(restartLogNote(cluster, follower, leader, times.spawnedAt));
    ctx.log(
      `  ${system}: restart with ${n} entries (commit ${commit}): up ${times.upMs.toFixed(0)} ms, caught up ${times.caughtUpMs.toFixed(0)} ms, first read ${times.readMs.toFixed(0)} ms (empty: ${empty.readMs.toFixed(0)} ms)`,
    );

    const measured: Measured[] = [
      {
        key: 'recovery load',
        label: `loading ${n} puts (${KEYS.toLocaleString('en-US')} keys, 8-byte values)`,
        unit: 's',
        value: load.seconds,
        better: 'lower',
      },
      {
        key: 'recovery data dir',
        label: `data dir of the follower, ${n} entries`,
        unit: 'MB',
        value: dataDir / MB,
        better: 'lower',
      },
      {
        key: 'recovery rss before',
        label: `RSS of the follower before the kill`,
        unit: 'MB',
        value: rssBefore / MB,
        better: 'lower',
      },
      {
        key: 'recovery ready',
        label: `restart to first linearizable read served, ${n} entries`,
        unit: 'ms',
        value: times.readMs,
        better: 'lower',
      },
      {
        key: 'recovery up',
        label: `restart to first status answer, ${n} entries`,
        unit: 'ms',
        value: times.upMs,
        better: 'lower',
      },
      {
        key: 'recovery caught up',
        label: `restart to applied = leader's commit, ${n} entries`,
        unit: 'ms',
        value: times.caughtUpMs,
        better: 'lower',
      },
      {
        key: 'recovery ready empty',
        label: 'restart to first linearizable read served, empty log',
        unit: 'ms',
        value: empty.readMs,
        better: 'lower',
      },
      {
        key: 'recovery rss after',
        label: `RSS of the follower once caught up`,
        unit: 'MB',
        value: rssAfter / MB,
        better: 'lower',
      },
    ];

    if (system === 'flotilla') {
      const phases = await flotillaPhases(copy);
      notes.push(
        `flotilla recovery: in process, on a copy of the follower's data: openNodeStorage read and verified ${phases.entries} entries in ${phases.openMs.toFixed(0)} ms; applying them to a fresh Registry took ${phases.applyMs.toFixed(0)} ms`,
      );
      measured.push(
        {
          key: 'recovery phase log',
          label: 'read the log (Flotilla: openNodeStorage, in process; etcd: WAL, from its log)',
          unit: 'ms',
          value: phases.openMs,
          better: 'lower',
        },
        {
          key: 'recovery phase apply',
          label: 'rebuild the state (Flotilla: re-apply every entry, in process; etcd: open bbolt)',
          unit: 'ms',
          value: phases.applyMs,
          better: 'lower',
        },
      );
    } else {
      const out = cluster.output(follower);
      const backend = findLogLine(out, 'opened backend db');
      const restarting = findLogLine(out, 'restarting local member');
      const serving = findLogLine(out, 'serving client traffic');
      const at = (line: typeof backend): number => sinceSpawn(line, times.spawnedAt);
      notes.push(
        `etcd recovery: from the follower's log, ms after the spawn: backend db opened at ${at(backend)} (took ${String(backend?.fields.took)}), WAL read by ${at(restarting)} ("restarting local member", commit-index ${String(restarting?.fields['commit-index'])}), serving clients at ${at(serving)}`,
      );
      measured.push(
        {
          key: 'recovery phase log',
          label: 'read the log (Flotilla: openNodeStorage, in process; etcd: WAL, from its log)',
          unit: 'ms',
          value: at(restarting) - at(backend),
          better: 'lower',
        },
        {
          key: 'recovery phase apply',
          label: 'rebuild the state (Flotilla: re-apply every entry, in process; etcd: open bbolt)',
          unit: 'ms',
          value: goDurationMs(backend?.fields.took),
          better: 'lower',
        },
      );
    }
    return { measured, notes };
  },
};
