/**
 * A snapshot of 100,000 instances (20,000 with --quick): its size, the time
 * to take it, and the time to install it on a member that needs it
 * (issue #6), twice: on a follower that fell behind the leader's compaction
 * point (steps 1–4), then on a brand-new fourth member (step 5).
 *
 * 1. Both systems snapshot every 10,000 applied entries (Flotilla
 *    `raft.snapshotEntries`, its default; etcd `--snapshot-count`, lowered
 *    from 100,000). The instances are registered at concurrency 256.
 * 2. A follower is killed (`kill -9`); the instances are registered again
 *    (same ids, new `seq`), 1,000 at a time, until the leader's newest Raft
 *    snapshot lies past the follower's last entry by more than the entries
 *    the leader keeps after a snapshot (Flotilla none; etcd 3.4 keeps 5,000,
 *    its SnapshotCatchUpEntries): the leader no longer has the entries the
 *    follower needs, so only a snapshot can catch it up.
 * 3. The follower is started again and timed from the spawn: first status
 *    answer, applied index at the leader's commit, first linearizable read
 *    served by it.
 * 4. Proof that it installed a snapshot rather than replaying entries:
 *    Flotilla: the follower's newest snapshot file afterwards is the
 *    leader's (same index, identical bytes), and its applied index went from
 *    where it stopped to the snapshot's with nothing in between; etcd: the
 *    follower's `etcd_network_snapshot_receive_success` counter.
 * 5. Once all three have applied everything, a fourth member is added
 *    (BenchCluster.addMember: Flotilla `client.cluster.addMember`, a learner
 *    the leader promotes once caught up; etcd `Cluster.MemberAdd`, a voter,
 *    as `etcdctl member add`) and started empty (Flotilla `start --join`;
 *    etcd `--initial-cluster-state existing`), timed from the spawn as in
 *    step 3, plus the moment its applied index reaches the leader's snapshot
 *    index. The leader's log starts after its snapshot (etcd: 5,000 entries
 *    before it), so the new member can only start from the snapshot. Proof:
 *    Flotilla, its snapshot file is the leader's (same index, identical
 *    bytes) and the first applied index it reports after 0 is at least the
 *    snapshot's; etcd, its `etcd_network_snapshot_receive_success` counter.
 *    It is stopped with the cluster (by pid), not removed.
 *
 * Size: the snapshot the follower receives (Flotilla: the leader's
 * `snap-*.snap`; etcd: its bbolt `member/snap/db`, which etcd streams as the
 * snapshot). Taking it: Flotilla, in this process with the same calls the
 * leader makes (`Registry.snapshot()`, then the node storage's `saveSnapshot`
 * over a log of 10,000 entries: file, fsync, rename, compaction batch);
 * etcd, the mean of its leader's `etcd_debugging_snap_save_total_duration_seconds`
 * (etcd's v3 state is already on disk in bbolt: its Raft snapshot holds
 * only the v2 store and metadata, and the database is streamed at send time).
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Entry, openNodeStorage } from '../../../raft/index.ts';
import { encodeCommand } from '../../../src/registry/command-codec.ts';
import { Registry } from '../../../src/registry/registry.ts';
import {
  duBytes,
  formatTrace,
  type RestartTimes,
  restartLogNote,
  sleep,
  timeRestart,
  waitQuiet,
} from '../restart.ts';
import {
  type BenchClient,
  type BenchCluster,
  type BenchRegistration,
  type SystemName,
  scrapeHistogram,
  scrapeValue,
} from '../system.ts';
import type { Measured, RunContext, Workload, WorkloadResult } from '../workload.ts';

const SNAPSHOT_ENTRIES = 10_000;
/** Entries each leader keeps in its log after a snapshot (etcd 3.4: `SnapshotCatchUpEntries`). */
const KEPT_AFTER_SNAPSHOT: Record<SystemName, number> = { flotilla: 0, etcd: 5_000 };
const CONCURRENCY = 256;
const ROUND = 1_000;
/**
 * Registrations written while the follower is down, at least: two snapshot
 * intervals plus what etcd keeps, so the leader's log has moved well past
 * what it may still have queued for the follower (Flotilla's leader keeps
 * up to 64 appends in flight to a peer, queued while it is down).
 */
const MIN_BEHIND = 2 * SNAPSHOT_ENTRIES + 5_000;
const MB = 1024 * 1024;

function instanceCount(quick: boolean): number {
  return quick ? 20_000 : 100_000;
}

/** Instance `k`, carrying `seq` (a re-registration changes only that). */
function instance(k: number, seq: number): BenchRegistration {
  return {
    id: `snap-${k}`,
    name: `snap-svc-${k % 100}`,
    address: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
    port: 8000 + (k % 1000),
    meta: { seq: String(seq) },
  };
}

/** Registers instances `from..to-1` with `seq`, at {@link CONCURRENCY}; a failure is retried up to 5 times. */
async function register(client: BenchClient, from: number, to: number, total: number, seq: number) {
  let next = from;
  let retried = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < to; i = next++) {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.register(instance(i % total, seq));
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          retried++;
          await sleep(10);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return retried;
}

/**
 * Flotilla's leader taking a snapshot, re-done in this process: the FSM
 * serialises `total` instances, then the node storage saves the file and
 * compacts a log of {@link SNAPSHOT_ENTRIES} entries (what `maybeSnapshot`
 * does in the Ready loop, which nothing else runs during).
 */
async function flotillaTake(
  total: number,
  dir: string,
): Promise<{ serialiseMs: number; saveMs: number; restoreMs: number; bytes: number }> {
  const registry = new Registry();
  const entries: Entry[] = [];
  for (let k = 0; k < total; k++) {
    const data = encodeCommand({ op: 'service.register', args: instance(k, 0), now: 1 });
    registry.apply(data, k + 1);
    // The leader's log since its last snapshot: the last SNAPSHOT_ENTRIES commands, at indexes 1….
    const at = k - (total - SNAPSHOT_ENTRIES) + 1;
    if (at >= 1) entries.push({ type: 'normal', index: at, term: 1, data });
  }
  const storage = await openNodeStorage(dir);
  try {
    await storage.persistReady({
      entries,
      hardState: { term: 1, vote: 'n1', commit: SNAPSHOT_ENTRIES },
      messages: [],
      committed: [],
      readStates: [],
      droppedReads: [],
    });
    const t0 = performance.now();
    const data = registry.snapshot();
    const t1 = performance.now();
    await storage.saveSnapshot({
      meta: {
        index: SNAPSHOT_ENTRIES,
        term: 1,
        conf: { voters: ['n1', 'n2', 'n3'], learners: [], promoting: [] },
      },
      data,
    });
    const t2 = performance.now();
    new Registry().restore(data);
    const t3 = performance.now();
    return { serialiseMs: t1 - t0, saveMs: t2 - t1, restoreMs: t3 - t2, bytes: data.byteLength };
  } finally {
    await storage.close();
  }
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** How the restarted member caught up, from what it left behind; a note and 1 (snapshot installed) or 0. */
async function installProof(
  cluster: BenchCluster,
  follower: string,
  leader: string,
  stoppedAt: number,
  leaderSnap: number,
  applied: RestartTimes['applied'],
): Promise<{ installed: number; note: string }> {
  if (cluster.system === 'etcd') {
    const received =
      (await scrapeValue(cluster.metricsUrl(follower), 'etcd_network_snapshot_receive_success')) ?? 0;
    const sent = (await scrapeValue(cluster.metricsUrl(leader), 'etcd_network_snapshot_send_success')) ?? 0;
    const snap = await cluster.raftSnapshotIndex(follower);
    return {
      installed: received > 0 ? 1 : 0,
      note: `etcd snapshot: follower stopped at ${stoppedAt}, leader's snapshot at ${leaderSnap} (log compacted to ${leaderSnap - KEPT_AFTER_SNAPSHOT.etcd}); follower's etcd_network_snapshot_receive_success ${received}, leader's etcd_network_snapshot_send_success ${sent}; follower's newest Raft snapshot now ${snap}; applied index seen (at ms after the spawn): ${formatTrace(applied)}`,
    };
  }
  const mine = await cluster.snapshotFile(follower);
  const theirs = await cluster.snapshotFile(leader);
  const mineIndex = await cluster.raftSnapshotIndex(follower);
  const same =
    mine !== undefined &&
    theirs !== undefined &&
    mineIndex === leaderSnap &&
    (await sha256(mine.path)) === (await sha256(theirs.path));
  // Appends the leader queued for the follower while it was down (up to its in-flight window) arrive
  // first and are applied as entries; the snapshot covers the rest.
  const beforeSnapshot = Math.max(stoppedAt, ...applied.map((a) => a.index).filter((a) => a < leaderSnap));
  return {
    installed: same ? 1 : 0,
    note: `flotilla snapshot: follower stopped at ${stoppedAt}, leader's snapshot at ${leaderSnap} (its log starts after it); follower's newest snapshot file now at ${mineIndex}, ${same ? 'identical to' : 'different from'} the leader's; applied index seen (at ms after the spawn): ${formatTrace(applied)} (${beforeSnapshot - stoppedAt} entries applied before the snapshot: appends the leader had queued for it)`,
  };
}

/**
 * Polls {@link BenchCluster.isVoter} every 25 ms; resolves with the ms from
 * the call to the first `true`, or NaN once `stop.stopped` is set or after
 * `timeoutMs`.
 */
async function timeVoter(
  cluster: BenchCluster,
  member: string,
  timeoutMs: number,
  stop: { stopped: boolean },
): Promise<number> {
  const t0 = performance.now();
  while (!stop.stopped && performance.now() - t0 < timeoutMs) {
    if ((await cluster.isVoter(member)) === true) return performance.now() - t0;
    await sleep(25);
  }
  return Number.NaN;
}

/**
 * How the new member started, from what it left behind: 1 (it installed the
 * leader's snapshot) or 0, and a note.
 */
async function joinProof(
  cluster: BenchCluster,
  member: string,
  leader: string,
  leaderSnap: number,
  leaderHash: string | undefined,
  sentBefore: number,
  applied: RestartTimes['applied'],
): Promise<{ installed: number; note: string }> {
  const firstApplied = applied.find((a) => a.index > 0);
  const trace = `applied index seen (at ms after the spawn): ${formatTrace(applied)}`;
  const mineIndex = await cluster.raftSnapshotIndex(member);
  if (cluster.system === 'etcd') {
    const received =
      (await scrapeValue(cluster.metricsUrl(member), 'etcd_network_snapshot_receive_success')) ?? 0;
    const sent =
      ((await scrapeValue(cluster.metricsUrl(leader), 'etcd_network_snapshot_send_success')) ?? 0) -
      sentBefore;
    return {
      installed: received > 0 ? 1 : 0,
      note: `etcd new member ${member}: leader's snapshot at ${leaderSnap} (log compacted to ${leaderSnap - KEPT_AFTER_SNAPSHOT.etcd}); the new member's etcd_network_snapshot_receive_success ${received}, the leader's etcd_network_snapshot_send_success +${sent} since the add; its newest Raft snapshot now ${mineIndex} (etcd sends a snapshot made at the leader's applied index when it sends, with its whole bbolt database); ${trace}`,
    };
  }
  const mine = await cluster.snapshotFile(member);
  const same =
    mine !== undefined &&
    leaderHash !== undefined &&
    mineIndex === leaderSnap &&
    (await sha256(mine.path)) === leaderHash;
  const jumped = firstApplied !== undefined && firstApplied.index >= leaderSnap;
  return {
    installed: same && jumped ? 1 : 0,
    note: `flotilla new member ${member}: leader's snapshot at ${leaderSnap} (its log starts after it); the new member's newest snapshot file at ${mineIndex}, ${same ? 'identical to' : 'different from'} the leader's; its first applied index after 0: ${firstApplied?.index ?? 'none'} (${jumped ? 'at or past' : 'BEFORE'} the snapshot's); ${trace}`,
  };
}

/**
 * Step 5: adds a fourth member to the quiet cluster, starts it empty and
 * times it from the spawn (first status answer, applied index at the
 * leader's snapshot and at its commit, first linearizable read served, and
 * when the configuration lists it as a voter), then proves it installed the
 * leader's snapshot.
 */
async function joinNewMember(ctx: RunContext): Promise<{ measured: Measured[]; notes: string[] }> {
  const { cluster, system } = ctx;
  await waitQuiet(cluster, cluster.members);
  const leader = await cluster.leader();
  const leaderSnap = await cluster.raftSnapshotIndex(leader);
  if (leaderSnap === undefined) throw new Error(`${system} leader ${leader} has no Raft snapshot`);
  const leaderFile = await cluster.snapshotFile(leader);
  // Flotilla's snapshot file is what the new member must end up with, byte for byte.
  const leaderHash =
    system === 'flotilla' && leaderFile !== undefined ? await sha256(leaderFile.path) : undefined;
  const sendMetric = 'etcd_network_snapshot_send_total_duration_seconds';
  const sent0 = system === 'etcd' ? await scrapeHistogram(cluster.metricsUrl(leader), sendMetric) : undefined;
  const sentOk0 =
    system === 'etcd'
      ? ((await scrapeValue(cluster.metricsUrl(leader), 'etcd_network_snapshot_send_success')) ?? 0)
      : 0;
  const added = await cluster.addMember();
  const member = added.id;
  const target = await cluster.commitIndex(leader);
  if (target === undefined) throw new Error(`${system} leader ${leader} does not answer after the add`);
  ctx.log(
    `  ${system}: ${member} added in ${added.addMs.toFixed(0)} ms${added.refused > 0 ? ` (after ${added.refused} refusals)` : ''}; leader ${leader}, snapshot at ${leaderSnap}, commit ${target}`,
  );
  const stop = { stopped: false };
  const voter = timeVoter(cluster, member, 300_000, stop);
  // timeVoter starts a few µs before the spawn.
  let times: RestartTimes;
  try {
    times = await timeRestart(cluster, member, target, 300_000);
  } catch (err) {
    stop.stopped = true;
    await voter;
    throw err;
  }
  // Flotilla promotes once the learner has caught up: give it 30 s more than the first read.
  const giveUp = setTimeout(() => {
    stop.stopped = true;
  }, 30_000);
  const voterMs = await voter;
  clearTimeout(giveUp);
  const atSnapshotMs = times.applied.find((a) => a.index >= leaderSnap)?.atMs ?? Number.NaN;
  const proof = await joinProof(cluster, member, leader, leaderSnap, leaderHash, sentOk0, times.applied);
  const notes = [
    proof.note,
    restartLogNote(cluster, member, leader, times.spawnedAt, 'start as a new member'),
    `${system} new member ${member}: a voter ${Number.isNaN(voterMs) ? 'not seen' : `at ${voterMs.toFixed(0)} ms after the spawn`}${system === 'etcd' ? ' (etcd: added as a voter, before the spawn)' : ' (Flotilla: added as a learner, promoted by the leader once caught up)'}`,
  ];
  if (system === 'etcd') {
    const sent = await scrapeHistogram(cluster.metricsUrl(leader), sendMetric);
    const received = await scrapeHistogram(
      cluster.metricsUrl(member),
      'etcd_network_snapshot_receive_total_duration_seconds',
    );
    notes.push(
      `etcd new member ${member}: the leader sent ${(sent?.count ?? 0) - (sent0?.count ?? 0)} database snapshot(s) in ${(((sent?.seconds ?? 0) - (sent0?.seconds ?? 0)) * 1000).toFixed(0)} ms; the new member received ${received?.count ?? 0} in ${((received?.seconds ?? 0) * 1000).toFixed(0)} ms`,
    );
  }
  ctx.log(
    `  ${system}: new member ${member}: up ${times.upMs.toFixed(0)} ms, at the snapshot ${atSnapshotMs.toFixed(0)} ms, caught up ${times.caughtUpMs.toFixed(0)} ms, first read ${times.readMs.toFixed(0)} ms, voter ${voterMs.toFixed(0)} ms; installed: ${proof.installed === 1 ? 'yes' : 'NO'}`,
  );
  const measured: Measured[] = [
    {
      key: 'snapshot join add',
      label: 'new member: add to the configuration (request to committed)',
      unit: 'ms',
      value: added.addMs,
      better: 'lower',
    },
    {
      key: 'snapshot join ready',
      label: 'new member: spawn to first linearizable read served',
      unit: 'ms',
      value: times.readMs,
      better: 'lower',
    },
    {
      key: 'snapshot join caught up',
      label: "new member: spawn to applied = leader's commit",
      unit: 'ms',
      value: times.caughtUpMs,
      better: 'lower',
    },
    {
      key: 'snapshot join at snapshot',
      label: "new member: spawn to applied ≥ the leader's snapshot index",
      unit: 'ms',
      value: atSnapshotMs,
      better: 'lower',
    },
    {
      key: 'snapshot join up',
      label: 'new member: spawn to first status answer',
      unit: 'ms',
      value: times.upMs,
      better: 'lower',
    },
    {
      key: 'snapshot join install',
      label: 'new member: first status answer to caught up (transfer, install, the rest of the log)',
      unit: 'ms',
      value: times.caughtUpMs - times.upMs,
      better: 'lower',
    },
    {
      key: 'snapshot join installed',
      label: "the new member installed the leader's snapshot (1) rather than replaying entries (0)",
      unit: 'yes',
      value: proof.installed,
      better: 'higher',
    },
  ];
  return { measured, notes };
}

export const snapshot: Workload = {
  name: 'snapshot',
  title:
    'snapshot of 100,000 instances: size, time to take, time to install on a follower left behind and on a new member',
  startOptions: () => ({ snapshotEntries: SNAPSHOT_ENTRIES, logLevel: 'info' }),
  async run(ctx: RunContext): Promise<WorkloadResult> {
    const { cluster, system } = ctx;
    const total = instanceCount(ctx.quick);
    const n = total.toLocaleString('en-US');
    const notes: string[] = [];
    const client = await cluster.connect({ concurrency: CONCURRENCY });
    let registerSeconds: number;
    let follower: string;
    let stoppedAt: number;
    let writesBehind = 0;
    try {
      const t0 = performance.now();
      const retried = await register(client, 0, total, total, 0);
      registerSeconds = (performance.now() - t0) / 1000;
      if (retried > 0)
        notes.push(`${system} snapshot: ${retried} registrations failed once and were retried`);
      ctx.log(`  ${system}: ${n} instances in ${registerSeconds.toFixed(1)} s`);
      stoppedAt = await waitQuiet(cluster, cluster.members);
      const first = await cluster.leader();
      follower = cluster.members.find((m) => m !== first)!;
      await cluster.kill(follower);
      // Whichever member leads when the follower returns must lack the entries it needs.
      const needed = stoppedAt + KEPT_AFTER_SNAPSHOT[system];
      const others = cluster.members.filter((m) => m !== follower);
      const compactedTo = async (): Promise<number> =>
        Math.min(...(await Promise.all(others.map(async (m) => (await cluster.raftSnapshotIndex(m)) ?? 0))));
      for (let round = 0; writesBehind < MIN_BEHIND || (await compactedTo()) <= needed; round++) {
        if (round >= 100) throw new Error(`${system}: no snapshot past ${needed} on every running member`);
        await register(client, writesBehind, writesBehind + ROUND, total, 1);
        writesBehind += ROUND;
      }
    } finally {
      await client.close();
    }
    const target = await waitQuiet(
      cluster,
      cluster.members.filter((m) => m !== follower),
    );
    const leader = await cluster.leader();
    const leaderSnap = (await cluster.raftSnapshotIndex(leader))!;
    const snapFile = await cluster.snapshotFile(leader);
    const leaderDataDir = duBytes(cluster.dataDir(leader));
    ctx.log(
      `  ${system}: ${follower} stopped at ${stoppedAt}; ${writesBehind} registrations later the leader (${leader}) has its snapshot at ${leaderSnap}, commit ${target}`,
    );
    const sendMetric = 'etcd_network_snapshot_send_total_duration_seconds';
    const sent0 =
      system === 'etcd' ? await scrapeHistogram(cluster.metricsUrl(leader), sendMetric) : undefined;
    const times = await timeRestart(cluster, follower, target, 300_000);
    const proof = await installProof(cluster, follower, leader, stoppedAt, leaderSnap, times.applied);
    notes.push(proof.note, restartLogNote(cluster, follower, leader, times.spawnedAt));
    ctx.log(
      `  ${system}: restart behind the snapshot: up ${times.upMs.toFixed(0)} ms, caught up ${times.caughtUpMs.toFixed(0)} ms, first read ${times.readMs.toFixed(0)} ms; installed: ${proof.installed === 1 ? 'yes' : 'NO'}`,
    );
    const measured: Measured[] = [
      {
        key: 'snapshot load',
        label: `registering ${n} instances, c=${CONCURRENCY}`,
        unit: 'ops/s',
        value: total / registerSeconds,
        better: 'higher',
      },
      {
        key: 'snapshot size',
        label: `snapshot size, ${n} instances`,
        unit: 'MB',
        value: (snapFile?.bytes ?? Number.NaN) / MB,
        better: 'lower',
      },
      {
        key: 'snapshot data dir',
        label: `leader's data dir`,
        unit: 'MB',
        value: leaderDataDir / MB,
        better: 'lower',
      },
      {
        key: 'snapshot ready',
        label: 'restart behind the snapshot to first linearizable read served',
        unit: 'ms',
        value: times.readMs,
        better: 'lower',
      },
      {
        key: 'snapshot caught up',
        label: "restart behind the snapshot to applied = leader's commit",
        unit: 'ms',
        value: times.caughtUpMs,
        better: 'lower',
      },
      {
        key: 'snapshot up',
        label: 'restart behind the snapshot to first status answer',
        unit: 'ms',
        value: times.upMs,
        better: 'lower',
      },
      {
        key: 'snapshot install',
        label: 'first status answer to caught up (transfer, install, the rest of the log)',
        unit: 'ms',
        value: times.caughtUpMs - times.upMs,
        better: 'lower',
      },
      {
        key: 'snapshot installed',
        label: 'the follower installed a snapshot (1) rather than replaying entries (0)',
        unit: 'yes',
        value: proof.installed,
        better: 'higher',
      },
    ];
    if (system === 'flotilla') {
      const take = await flotillaTake(total, join(cluster.tempDir, 'take'));
      measured.push(
        {
          key: 'snapshot take',
          label: 'take a snapshot (Flotilla: serialise + save + compact, in process; etcd: leader mean)',
          unit: 'ms',
          value: take.serialiseMs + take.saveMs,
          better: 'lower',
        },
        {
          key: 'snapshot take serialise',
          label: 'of which Registry.snapshot(), in process',
          unit: 'ms',
          value: take.serialiseMs,
          better: 'lower',
        },
        {
          key: 'snapshot take save',
          label: `of which saveSnapshot (file + compacting ${SNAPSHOT_ENTRIES.toLocaleString('en-US')} entries), in process`,
          unit: 'ms',
          value: take.saveMs,
          better: 'lower',
        },
        {
          key: 'snapshot restore',
          label: 'Registry.restore(), in process',
          unit: 'ms',
          value: take.restoreMs,
          better: 'lower',
        },
      );
    } else {
      const save = await scrapeHistogram(
        cluster.metricsUrl(leader),
        'etcd_debugging_snap_save_total_duration_seconds',
      );
      const sent = await scrapeHistogram(cluster.metricsUrl(leader), sendMetric);
      const received = await scrapeHistogram(
        cluster.metricsUrl(follower),
        'etcd_network_snapshot_receive_total_duration_seconds',
      );
      const mean = (h: typeof save): number =>
        h === undefined || h.count === 0 ? Number.NaN : (h.seconds / h.count) * 1000;
      notes.push(
        `etcd snapshot: leader saved ${save?.count ?? 0} Raft snapshots (mean ${mean(save).toFixed(1)} ms); sent ${(sent?.count ?? 0) - (sent0?.count ?? 0)} database snapshot(s) in ${(((sent?.seconds ?? 0) - (sent0?.seconds ?? 0)) * 1000).toFixed(0)} ms; the follower received ${received?.count ?? 0} in ${((received?.seconds ?? 0) * 1000).toFixed(0)} ms`,
      );
      measured.push(
        {
          key: 'snapshot take',
          label: 'take a snapshot (Flotilla: serialise + save + compact, in process; etcd: leader mean)',
          unit: 'ms',
          value: mean(save),
          better: 'lower',
        },
        {
          key: 'snapshot send',
          label: "etcd: streaming the database to the follower (leader's metric)",
          unit: 'ms',
          value: ((sent?.seconds ?? Number.NaN) - (sent0?.seconds ?? 0)) * 1000,
          better: 'lower',
        },
      );
    }
    const joined = await joinNewMember(ctx);
    measured.push(...joined.measured);
    notes.push(...joined.notes);
    return { measured, notes };
  },
};
