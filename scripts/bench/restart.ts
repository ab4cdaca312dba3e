/**
 * What the recovery and snapshot workloads share: loading many small entries
 * fast, waiting for a cluster to go quiet, timing a member's restart from
 * its spawn to serving, and the size of a data dir.
 */

import { execFileSync } from 'node:child_process';
import type { BenchCluster, BenchLoader } from './system.ts';

/** How often a restarting member is asked whether it is up, caught up, and serving. */
export const POLL_MS = 10;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Bytes under `dir` (`du -sb`), NaN when it cannot be read. */
export function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return Number.NaN;
  }
}

/** What {@link bulkLoad} did. */
export interface BulkLoadResult {
  readonly seconds: number;
  /** Puts that failed and were sent again (each retry may add an entry). */
  readonly retried: number;
}

/**
 * Writes `count` puts (`entry(n)` gives key and value) through `loader`, in
 * a closed loop at the loader's concurrency; a failed put is sent again, up
 * to 5 times, so the log ends up with at least `count` entries.
 */
export async function bulkLoad(
  loader: BenchLoader,
  count: number,
  entry: (n: number) => readonly [key: string, value: string],
): Promise<BulkLoadResult> {
  let next = 0;
  let retried = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (let n = next++; n < count; n = next++) {
      const [key, value] = entry(n);
      for (let attempt = 0; ; attempt++) {
        try {
          await loader.put(key, value);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          retried++;
          await sleep(10);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: loader.concurrency }, worker));
  return { seconds: (performance.now() - t0) / 1000, retried };
}

/**
 * Waits until every running member has applied the leader's commit index
 * (nothing left in flight), and returns that index.
 */
export async function waitQuiet(cluster: BenchCluster, members: readonly string[]): Promise<number> {
  const leader = await cluster.leader();
  const commit = await cluster.commitIndex(leader);
  if (commit === undefined) throw new Error(`${cluster.system} leader ${leader} does not answer`);
  for (const m of members) await cluster.waitApplied(m, commit, 120_000);
  return commit;
}

/** The times of one restart (or first start of an added member), each from the spawn (ms). */
export interface RestartTimes {
  /** `Date.now()` at the spawn, to place the members' own log lines. */
  readonly spawnedAt: number;
  /** The member first answered a status request. */
  readonly upMs: number;
  /** Its applied index first reached the target. */
  readonly caughtUpMs: number;
  /** It first served a linearizable read itself. */
  readonly readMs: number;
  /** Every distinct applied index seen while polling, in the order the answers came, with when (ms). */
  readonly applied: readonly { readonly index: number; readonly atMs: number }[];
}

/** Most probes of one kind in flight at once. */
const MAX_PROBES = 32;

/**
 * Starts `attempt` every {@link POLL_MS} (at most {@link MAX_PROBES} in
 * flight, so an attempt stuck on a busy member does not delay the next) and
 * hands each answer to `onAnswer` with its time since `t0`, until
 * `onAnswer` returns true or `stop.stopped` is set. Rejects after
 * `deadline` (a `performance.now()`).
 */
function poll<T>(
  attempt: () => Promise<T | undefined>,
  onAnswer: (value: T, atMs: number) => boolean,
  t0: number,
  deadline: number,
  what: string,
  stop: { stopped: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let finished = false;
    const timer = setInterval(() => {
      if (finished) return;
      if (stop.stopped) {
        finished = true;
        clearInterval(timer);
        resolve();
        return;
      }
      if (performance.now() > deadline) {
        finished = true;
        clearInterval(timer);
        reject(new Error(`${what} within ${Math.round(deadline - t0)} ms of the spawn`));
        return;
      }
      if (inFlight >= MAX_PROBES) return;
      inFlight++;
      attempt().then(
        (value) => {
          inFlight--;
          if (finished || value === undefined) return;
          if (onAnswer(value, performance.now() - t0)) {
            finished = true;
            clearInterval(timer);
            resolve();
          }
        },
        () => {
          inFlight--;
        },
      );
    }, POLL_MS);
  });
}

/**
 * Starts the stopped `member` (again, or for the first time after
 * `addMember`) and times it from the spawn: to its first status answer, to
 * an applied index of at least `target`, and to the first linearizable read
 * it serves.
 */
export async function timeRestart(
  cluster: BenchCluster,
  member: string,
  target: number,
  timeoutMs: number,
): Promise<RestartTimes> {
  const spawnedAt = Date.now();
  const t0 = performance.now();
  cluster.restart(member);
  const deadline = t0 + timeoutMs;
  const applied: { index: number; atMs: number }[] = [];
  let upMs = Number.NaN;
  let caughtUpMs = Number.NaN;
  let readMs = Number.NaN;
  const name = `${cluster.system} ${member}`;
  // One probe failing stops the other.
  const stop = { stopped: false };
  const stopOnError = (p: Promise<void>): Promise<void> =>
    p.catch((err: unknown) => {
      stop.stopped = true;
      throw err;
    });
  await Promise.all([
    stopOnError(
      poll(
        () => cluster.appliedIndex(member),
        (index, at) => {
          if (Number.isNaN(upMs)) upMs = at;
          if (!applied.some((a) => a.index === index)) applied.push({ index, atMs: at });
          if (index < target) return false;
          caughtUpMs = at;
          return true;
        },
        t0,
        deadline,
        `${name}: not caught up to ${target}`,
        stop,
      ),
    ),
    stopOnError(
      poll(
        () => cluster.readAt(member, 'bench/ready', 10_000).then(() => true),
        (_, at) => {
          readMs = at;
          return true;
        },
        t0,
        deadline,
        `${name}: no linearizable read served`,
        stop,
      ),
    ),
  ]);
  return { spawnedAt, upMs, caughtUpMs, readMs, applied };
}

/** One JSON log line of a member (pino: `time` in epoch ms; etcd's zap: `ts` ISO). */
export interface LogLine {
  /** Epoch ms. */
  readonly at: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The first JSON line of `output` whose `msg` starts with `msg` and that `match` accepts, or undefined. */
export function findLogLine(
  output: string,
  msg: string,
  match: (fields: Readonly<Record<string, unknown>>) => boolean = () => true,
): LogLine | undefined {
  for (const text of output.split('\n')) {
    if (!text.includes(`"msg":"${msg}`)) continue;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!match(fields)) continue;
    const at = typeof fields.time === 'number' ? fields.time : Date.parse(String(fields.ts));
    return { at, fields };
  }
  return undefined;
}

/** ms from `spawnedAt` to a log line, NaN when there is none. */
export function sinceSpawn(line: LogLine | undefined, spawnedAt: number): number {
  return line === undefined ? Number.NaN : line.at - spawnedAt;
}

/**
 * When, after the spawn, the restarted member listened, and learnt who the
 * leader is (and, for Flotilla, when the leader's link to it came up: the
 * leader redials a lost peer with backoff), from their logs at level info.
 */
export function restartLogNote(
  cluster: BenchCluster,
  member: string,
  leader: string,
  spawnedAt: number,
  what = 'restart',
): string {
  const mine = cluster.output(member);
  const at = (line: LogLine | undefined): string => `${sinceSpawn(line, spawnedAt)} ms`;
  if (cluster.system === 'flotilla') {
    const listening = findLogLine(mine, 'node listening');
    const knowsLeader = findLogLine(mine, 'raft state changed', (f) => f.leader === leader);
    const theirs = cluster.output(leader);
    const after = (f: Readonly<Record<string, unknown>>): boolean =>
      f.peer === member && Number(f.time) >= spawnedAt;
    const dialedIn = findLogLine(theirs, 'peer connected', after);
    const linkUp = findLogLine(theirs, 'peer link up', after);
    return `${cluster.system} ${member} ${what}, from the logs: listening at ${at(listening)}, its link to the leader accepted by the leader at ${at(dialedIn)}, the leader's link to it up at ${at(linkUp)} (the leader redials a lost peer with backoff up to 5 s), leader known at ${at(knowsLeader)}`;
  }
  const serving = findLogLine(mine, 'serving client traffic');
  const knowsLeader = findLogLine(mine, 'raft.node:', (f) => String(f.msg).includes('elected leader'));
  return `${cluster.system} ${member} ${what}, from the logs: serving clients at ${at(serving)}, leader known at ${at(knowsLeader)}`;
}

/** An applied-index trace as `index@ms → …`. */
export function formatTrace(applied: RestartTimes['applied']): string {
  return applied.map((a) => `${a.index}@${Math.round(a.atMs)}ms`).join(' → ');
}
