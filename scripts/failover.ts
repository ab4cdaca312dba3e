/**
 * Failover time (issue #4): how long after `kill -9` of the leader a client
 * gets its first write acknowledged, on a 3-node cluster of real processes
 * started by the CLI, with the default timeouts of cluster.example.yaml
 * (heartbeatMs 100, electionMs 1000).
 *
 *   npm run failover [-- --runs 10] [--json] [--verbose]
 *
 * Each run, with all three nodes running and agreeing on a leader: one SDK
 * client connected to all three endpoints writes one key with sequential
 * `kv.put`s (steady load, timeoutMs 10000 so a write in flight spans the
 * failover instead of failing); after a warm-up the leader is killed with
 * SIGKILL. The window runs from the kill (performance.now() just before the
 * signal) to the acknowledgement of the first write *sent* after the kill;
 * "first ack" is the alternative: the first acknowledgement after the kill of
 * any write (usually the one in flight at the kill). Writes that failed in
 * the window are counted. The killed node is then restarted and the next run
 * waits until its appliedIndex reaches the leader's commitIndex.
 *
 * Instrumentation (changes nothing in the product): a status probe polls the
 * survivors' /v1/status to date the election, and the client's jitter source
 * is wrapped to log every retry backoff the SDK takes, and its attempts are
 * traced (which node, what answer); see failover/ and `--verbose`.
 * `--attempt-timeout-ms`, `--retry-base-ms` and `--retry-max-ms` change the
 * writer's SDK options to see how much of the window is the client's.
 *
 * Every node process is killed at the end, also on error and on Ctrl-C.
 */

import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type ConnectOptions, resolveOptions } from '../src/client/index.ts';
import { ProcessCluster } from '../test/support/process-cluster.ts';
import { StatusProbe } from './failover/probe.ts';
import { median, type Summary, summarize } from './failover/stats.ts';
import { type AttemptEvent, traceAttempts } from './failover/trace.ts';
import { type Backoff, type WriteRecord, Writer } from './failover/writer.ts';

interface Options {
  readonly runs: number;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly timeoutMs: number;
  readonly attemptTimeoutMs: number | undefined;
  readonly retryBaseMs: number | undefined;
  readonly retryMaxMs: number | undefined;
  readonly warmupMs: number;
  readonly probeMs: number;
}

/** A write as seen from the kill: times in ms after it (negative: before). */
interface WriteView {
  readonly n: number;
  readonly sentMs: number;
  readonly endMs: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly maybeApplied?: boolean;
  readonly message?: string;
  readonly backoffs: readonly { readonly atMs: number; readonly capMs: number; readonly delayMs: number }[];
  /** Every attempt of the call, in order: which node, and what came of it. */
  readonly attempts: readonly {
    readonly atMs: number;
    readonly endMs: number;
    readonly node: string;
    readonly outcome: string;
  }[];
}

interface RunResult {
  readonly run: number;
  readonly oldLeader: string;
  readonly newLeader: string;
  /** Kill → acknowledgement of the first write sent after the kill. */
  readonly windowMs: number;
  /** Kill → first acknowledgement of any write. */
  readonly firstAckMs: number;
  /** Writes that failed between the kill and the end of the window. */
  readonly failedWrites: number;
  /** Kill → the killed process's exit seen. */
  readonly exitMs: number;
  /** Writes acknowledged before the kill in this run, and their median latency. */
  readonly steadyWrites: number;
  readonly steadyWriteMs: number;
  /** From the status probe, ms after the kill (undefined: not seen, or the probe is off). */
  readonly probe?: {
    readonly campaignMs: number | undefined;
    readonly electedMs: number | undefined;
    readonly knownMs: number | undefined;
    readonly oldTerm: number;
    readonly newTerm: number | undefined;
    readonly campaigns: number;
    /** Each change of a survivor's role, term or leader, in ms after the kill. */
    readonly transitions: readonly string[];
  };
  /** The write in flight at the kill, with the backoffs the SDK took in it. */
  readonly inFlight: WriteView | undefined;
  /** Writes that ended (acknowledged or failed) from the kill to the end of the window. */
  readonly windowWrites: readonly WriteView[];
  /** Restart of the killed node → its appliedIndex at the leader's commitIndex. */
  readonly catchUpMs: number;
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'heartbeat-ms': { type: 'string', default: '100' },
      'election-ms': { type: 'string', default: '1000' },
      'timeout-ms': { type: 'string', default: '10000' },
      'attempt-timeout-ms': { type: 'string' },
      'retry-base-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
      'warmup-ms': { type: 'string', default: '1000' },
      'probe-ms': { type: 'string', default: '10' },
    },
  });
  const int = (name: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`failover: --${name} must be an integer of at least ${min}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    runs: int('runs', values.runs, 1)!,
    json: values.json,
    verbose: values.verbose,
    heartbeatMs: int('heartbeat-ms', values['heartbeat-ms'], 1)!,
    electionMs: int('election-ms', values['election-ms'], 1)!,
    timeoutMs: int('timeout-ms', values['timeout-ms'], 1)!,
    attemptTimeoutMs: int('attempt-timeout-ms', values['attempt-timeout-ms'], 1),
    retryBaseMs: int('retry-base-ms', values['retry-base-ms'], 1),
    retryMaxMs: int('retry-max-ms', values['retry-max-ms'], 1),
    warmupMs: int('warmup-ms', values['warmup-ms'], 0)!,
    probeMs: int('probe-ms', values['probe-ms'], 0)!,
  };
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** What must be stopped if the script ends early: the cluster, the writer and the probe of the current run. */
const live: { cluster?: ProcessCluster; writer?: Writer | undefined; probe?: StatusProbe | undefined } = {};
let teardownPromise: Promise<void> | undefined;

/** Stops everything this script started. Idempotent; never throws. */
function teardown(): Promise<void> {
  teardownPromise ??= (async () => {
    await live.writer?.abort().catch(() => {});
    await live.probe?.stop().catch(() => {});
    await live.cluster?.close().catch((err: unknown) => log(`failover: closing the cluster: ${String(err)}`));
  })();
  return teardownPromise;
}

/**
 * The last resort, on every exit (also one that cut the teardown short):
 * SIGKILL each node still running, by PID, and remove the cluster's files.
 * After a completed teardown there is nothing left to do.
 */
function killNodesNow(): void {
  const cluster = live.cluster;
  if (cluster === undefined) return;
  for (const n of cluster.nodes) {
    const pid = cluster.pid(n.id);
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

/** Polls until `id` runs, every running node names the same leader, and `id` has applied all it committed. */
async function waitCaughtUp(cluster: ProcessCluster, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const leader = await cluster.leader(Math.max(1, deadline - performance.now()));
    const [lead, node] = await Promise.all([cluster.status(leader), cluster.status(id)]);
    if (lead !== undefined && node !== undefined && node.appliedIndex >= lead.commitIndex) return;
    if (performance.now() > deadline) {
      throw new Error(
        `${id} not caught up after ${timeoutMs} ms: applied ${node?.appliedIndex}, leader ${leader} committed ${lead?.commitIndex}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function view(
  cluster: ProcessCluster,
  writer: Writer,
  attempts: readonly AttemptEvent[],
  r: WriteRecord,
  killAt: number,
): WriteView {
  const nodeOf = (address: string) => cluster.nodes.find((n) => n.address === address)?.id ?? address;
  const nodeNames = (text: string) => cluster.nodes.reduce((t, n) => t.replaceAll(n.address, n.id), text);
  return {
    n: r.n,
    sentMs: round1(r.sentAt - killAt),
    endMs: round1(r.endAt - killAt),
    ok: r.ok,
    ...(r.code === undefined ? {} : { code: r.code }),
    ...(r.maybeApplied === undefined ? {} : { maybeApplied: r.maybeApplied }),
    ...(r.message === undefined ? {} : { message: r.message }),
    backoffs: writer.backoffsOf(r).map((b: Backoff) => ({
      atMs: round1(b.at - killAt),
      capMs: b.capMs,
      delayMs: b.delayMs,
    })),
    attempts: attempts
      .filter((a) => a.at >= r.sentAt && a.at <= r.endAt)
      .sort((a, b) => a.at - b.at)
      .map((a) => ({
        atMs: round1(a.at - killAt),
        endMs: round1(a.end - killAt),
        node: nodeOf(a.address),
        outcome: nodeNames(a.outcome),
      })),
  };
}

/** The writer's SDK options: generous deadlines; attempt timeout and backoff left to the SDK unless given. */
function writerOptions(endpoints: readonly string[], o: Options): ConnectOptions {
  return {
    endpoints,
    timeoutMs: o.timeoutMs,
    ...(o.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: o.attemptTimeoutMs }),
    retry: {
      ...(o.retryBaseMs === undefined ? {} : { baseMs: o.retryBaseMs }),
      ...(o.retryMaxMs === undefined ? {} : { maxMs: o.retryMaxMs }),
    },
  };
}

async function oneRun(
  cluster: ProcessCluster,
  run: number,
  o: Options,
  attempts: readonly AttemptEvent[],
): Promise<RunResult> {
  const writer = await Writer.open({ ...writerOptions(cluster.endpoints, o), key: `failover/run-${run}` });
  live.writer = writer;
  writer.start();
  const loadFrom = performance.now();
  await writer.until(
    'steady load (20 acknowledged writes and the warm-up)',
    () => writer.records.filter((r) => r.ok).length >= 20 && performance.now() - loadFrom >= o.warmupMs,
    30_000,
  );

  // The leader everyone names now (it should not have changed under load).
  const oldLeader = await cluster.leader();
  const oldStatus = await cluster.status(oldLeader);
  const survivors = cluster.nodes.map((n) => n.id).filter((id) => id !== oldLeader);
  const probe = o.probeMs > 0 ? new StatusProbe(cluster, survivors, o.probeMs) : undefined;
  live.probe = probe;

  const killAt = performance.now();
  const killed = cluster.kill(oldLeader); // SIGKILL is sent before this returns its promise
  probe?.start();
  await killed;
  const exitAt = performance.now();

  const sentAfter = (r: WriteRecord) => r.ok && r.sentAt >= killAt;
  await writer.until(
    'the first write sent after the kill to be acknowledged',
    () => writer.records.some(sentAfter),
    60_000,
  );
  const newLeader = await cluster.leader();
  await writer.stop();
  live.writer = undefined;
  await probe?.stop();
  live.probe = undefined;

  const records = writer.records;
  const windowEnd = records.find(sentAfter)!.endAt;
  const firstAck = records.find((r) => r.ok && r.endAt >= killAt)!;
  const inWindow = records.filter((r) => r.endAt >= killAt && r.endAt <= windowEnd);
  const inFlight = records.find((r) => r.sentAt < killAt && r.endAt >= killAt);
  const steady = records.filter((r) => r.ok && r.endAt < killAt);
  const timeline = probe?.timeline(oldLeader);
  const rel = (t: number | undefined) => (t === undefined ? undefined : round1(t - killAt));

  // Bring the killed node back and wait until it has everything the leader committed.
  const restartAt = performance.now();
  cluster.start(oldLeader);
  await waitCaughtUp(cluster, oldLeader);
  const catchUpMs = performance.now() - restartAt;

  return {
    run,
    oldLeader,
    newLeader,
    windowMs: round1(windowEnd - killAt),
    firstAckMs: round1(firstAck.endAt - killAt),
    failedWrites: inWindow.filter((r) => !r.ok).length,
    exitMs: round1(exitAt - killAt),
    steadyWrites: steady.length,
    steadyWriteMs: round1(median(steady.map((r) => r.endAt - r.sentAt))),
    ...(timeline === undefined || oldStatus === undefined
      ? {}
      : {
          probe: {
            campaignMs: rel(timeline.campaignAt),
            electedMs: rel(timeline.electedAt),
            knownMs: rel(timeline.knownAt),
            oldTerm: oldStatus.term,
            newTerm: timeline.newTerm,
            campaigns: timeline.campaigns,
            transitions: timeline.transitions.map(
              (t) => `${round1(t.at - killAt)} ${t.id} ${t.role} term ${t.term} leader ${t.leaderId || '-'}`,
            ),
          },
        }),
    inFlight: inFlight === undefined ? undefined : view(cluster, writer, attempts, inFlight, killAt),
    windowWrites: inWindow.map((r) => view(cluster, writer, attempts, r, killAt)),
    catchUpMs: Math.round(catchUpMs),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '-' : ms.toFixed(0));

function describeBackoffs(w: WriteView): string {
  if (w.backoffs.length === 0) return 'no backoff';
  return w.backoffs.map((b) => `@${b.atMs.toFixed(0)} +${b.delayMs}/${b.capMs}`).join(' ');
}

async function main(): Promise<void> {
  const o = parseOptions();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals, code: number) => (): void => {
    // A second Ctrl-C does not wait for the orderly teardown.
    if (++signals > 1) process.exit(code);
    log(`failover: ${signal}; stopping every node`);
    void teardown().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal('SIGINT', 130));
  process.on('SIGTERM', onSignal('SIGTERM', 143));
  process.on('exit', killNodesNow);

  const sdk = writerOptions([], o);
  // The SDK's own resolution of the writer's options (defaults filled in), for the record.
  const resolved = resolveOptions({ ...sdk, endpoints: ['127.0.0.1:1'] });
  const client = {
    timeoutMs: resolved.timeoutMs,
    attemptTimeoutMs: resolved.attemptTimeoutMs,
    retry: resolved.retry,
  };
  const attempts = traceAttempts();
  const results: RunResult[] = [];
  try {
    const cluster = await ProcessCluster.create({
      heartbeatMs: o.heartbeatMs,
      electionMs: o.electionMs,
      logLevel: 'warn',
    });
    live.cluster = cluster;
    await cluster.startAll();
    for (const n of cluster.nodes) await waitCaughtUp(cluster, n.id);
    log(`failover: 3 nodes up (heartbeatMs ${o.heartbeatMs}, electionMs ${o.electionMs}), ${o.runs} runs`);

    for (let run = 1; run <= o.runs; run++) {
      let r: RunResult;
      try {
        r = await oneRun(cluster, run, o, attempts);
      } catch (err) {
        // After Ctrl-C the nodes' output tells nothing.
        if (signals > 0) throw err;
        for (const n of cluster.nodes) {
          const out = cluster.output(n.id).trim();
          if (out !== '') log(`--- last output of ${n.id} ---\n${out.slice(-4000)}`);
        }
        throw err;
      }
      results.push(r);
      const p = r.probe;
      log(
        `run ${run}: killed ${r.oldLeader}, ${r.newLeader} leads; window ${fmt(r.windowMs)} ms, first ack ${fmt(r.firstAckMs)} ms, ` +
          `${r.failedWrites} failed; elected ${fmt(p?.electedMs)} ms (term ${p?.oldTerm}→${p?.newTerm}); ` +
          `in flight: ${r.inFlight === undefined ? '-' : describeBackoffs(r.inFlight)}; caught up in ${r.catchUpMs} ms`,
      );
      // More than one term: an election failed; what the survivors went through says why.
      if (p?.newTerm !== undefined && p.newTerm - p.oldTerm > 1) {
        for (const t of p.transitions) log(`  at ${t}`);
      }
    }
  } finally {
    await teardown();
  }

  const window = summarize(results.map((r) => r.windowMs));
  const firstAck = summarize(results.map((r) => r.firstAckMs));
  const elected = results.map((r) => r.probe?.electedMs).filter((ms) => ms !== undefined);
  const electedSummary: Summary | undefined =
    elected.length === results.length ? summarize(elected) : undefined;
  const clientPart: Summary | undefined =
    electedSummary === undefined
      ? undefined
      : summarize(results.map((r) => r.windowMs - r.probe!.electedMs!));
  const config = `heartbeatMs ${o.heartbeatMs}, electionMs ${o.electionMs}`;
  const line = (name: string, s: Summary) =>
    `${name}: median ${s.medianMs} ms, p90 ${s.p90Ms} ms, min ${s.minMs} ms, max ${s.maxMs} ms over ${s.runs} runs`;

  if (o.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          heartbeatMs: o.heartbeatMs,
          electionMs: o.electionMs,
          client,
          runs: results,
          summary: { window, firstAck, elected: electedSummary, electedToWindowEnd: clientPart },
        },
        null,
        2,
      )}\n`,
    );
    return;
  }

  const rows = [
    ['run', 'old leader', 'new leader', 'window ms', 'first ack ms', 'failed writes', 'elected ms', 'term'],
    ...results.map((r) => [
      String(r.run),
      r.oldLeader,
      r.newLeader,
      fmt(r.windowMs),
      fmt(r.firstAckMs),
      String(r.failedWrites),
      fmt(r.probe?.electedMs),
      r.probe === undefined ? '-' : `${r.probe.oldTerm}→${r.probe.newTerm ?? '?'}`,
    ]),
  ];
  process.stdout.write(`${table(rows)}\n\n`);
  process.stdout.write(`${line('failover', window)} (${config})\n`);
  process.stdout.write(`${line('first ack of any write after the kill', firstAck)}\n`);
  if (electedSummary !== undefined && clientPart !== undefined) {
    process.stdout.write(`${line('new leader seen by the status probe', electedSummary)}\n`);
    process.stdout.write(`${line('from the new leader to the window end', clientPart)}\n`);
  }
  process.stdout.write(
    `writer: timeoutMs ${client.timeoutMs}, attemptTimeoutMs ${client.attemptTimeoutMs}, ` +
      `retry baseMs ${client.retry.baseMs} maxMs ${client.retry.maxMs}\n`,
  );
  if (o.verbose) {
    for (const r of results) {
      process.stdout.write(
        `\nrun ${r.run}: ${r.steadyWrites} writes before the kill (median ${r.steadyWriteMs} ms)\n`,
      );
      if (r.probe !== undefined) {
        process.stdout.write(
          `  probe: campaign ${fmt(r.probe.campaignMs)} ms, elected ${fmt(r.probe.electedMs)} ms, ` +
            `known by both ${fmt(r.probe.knownMs)} ms, term ${r.probe.oldTerm}→${r.probe.newTerm}, ${r.probe.campaigns} campaigns\n`,
        );
        for (const t of r.probe.transitions) process.stdout.write(`    at ${t}\n`);
      }
      for (const w of r.windowWrites) {
        process.stdout.write(
          `  write ${w.n}: sent ${w.sentMs.toFixed(0)} ended ${w.endMs.toFixed(0)} ${w.ok ? 'ok' : `${w.code}`}; ` +
            `backoffs (at +delay/cap): ${describeBackoffs(w)}${w.ok ? '' : ` — ${w.message}`}\n`,
        );
        for (const a of w.attempts) {
          process.stdout.write(
            `    attempt @${a.atMs.toFixed(0)}..${a.endMs.toFixed(0)} ${a.node}: ${a.outcome}\n`,
          );
        }
      }
    }
  }
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await teardown();
    log(`failover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
