/**
 * Where the tail of Flotilla's writes at concurrency 1 comes from
 * (docs/benchmarks.md, "What limits each figure now"): a 3-node cluster, kv
 * puts one at a time for 8 s, every op timed by the client, and the leader's
 * own `flotilla_proposal_duration_seconds` (propose → applied) over the same
 * window. Prints the share of ops over 3 ms on each side, a histogram of the
 * slow ones by whole ms, and the gaps between them (periodic work would show
 * as regular gaps).
 *
 *   npx tsx scripts/bench/c1-tail.ts [--snapshot-entries N]
 *
 * The node processes inherit NODE_OPTIONS (e.g. `--max-semi-space-size=16`).
 */

import { parseArgs } from 'node:util';
import { FlotillaCluster } from './flotilla-system.ts';
import { closedLoop, seededRandom } from './load.ts';

const SLOW_MS = 3;

const { values } = parseArgs({ options: { 'snapshot-entries': { type: 'string' } } });
const snapshotEntries =
  values['snapshot-entries'] === undefined ? undefined : Number(values['snapshot-entries']);

/** Committed proposals at or under `le` seconds (a bucket of the histogram), from a /metrics text. */
function proposalsUnder(metrics: string, le: string): number {
  const match = new RegExp(
    `flotilla_proposal_duration_seconds_bucket\\{le="${le}",node="[^"]+"\\} (\\d+)`,
  ).exec(metrics);
  return Number(match?.[1] ?? 0);
}

/** Every committed proposal so far, from a /metrics text. */
function proposals(metrics: string): number {
  return Number(/flotilla_proposal_duration_seconds_count\{node="[^"]+"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

const cluster = await FlotillaCluster.start({
  heartbeatMs: 100,
  electionMs: 1000,
  ...(snapshotEntries === undefined ? {} : { snapshotEntries }),
});
try {
  const leader = await cluster.leader();
  const client = await cluster.connect({ concurrency: 1 });
  const random = seededRandom(1);
  const value = 'x'.repeat(256);
  const slow: { at: number; ms: number }[] = [];
  let ops = 0;
  // Warm up outside the window the leader's histogram is read over.
  await closedLoop(() => client.put('bench/warm', value), { concurrency: 1, warmupMs: 0, durationMs: 1000 });
  const before = await (await fetch(cluster.metricsUrl(leader))).text();
  const r = await closedLoop(
    async () => {
      const started = performance.now();
      await client.put(`bench/k${Math.floor(random() * 10_000)}`, value);
      const ms = performance.now() - started;
      ops++;
      if (ms > SLOW_MS) slow.push({ at: started, ms });
    },
    { concurrency: 1, warmupMs: 0, durationMs: 8000 },
  );
  const after = await (await fetch(cluster.metricsUrl(leader))).text();
  await client.close();
  const committed = proposals(after) - proposals(before);
  const leaderSlow = committed - (proposalsUnder(after, '0.003') - proposalsUnder(before, '0.003'));
  const histogram = new Map<number, number>();
  for (const { ms } of slow) histogram.set(Math.floor(ms), (histogram.get(Math.floor(ms)) ?? 0) + 1);
  const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
  process.stdout.write(
    [
      `kv c=1: ${Math.round(r.opsPerSecond)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
      `client: ${pct(slow.length, ops)} of ${ops} ops over ${SLOW_MS} ms`,
      `leader, propose → applied: ${pct(leaderSlow, committed)} of ${committed} over ${SLOW_MS} ms`,
      `slow ops by whole ms: ${[...histogram]
        .sort((a, b) => a[0] - b[0])
        .map(([ms, n]) => `${ms}:${n}`)
        .join(' ')}`,
      `gaps between slow ops, ms (first 40): ${slow
        .slice(1, 41)
        .map((s, k) => Math.round(s.at - slow[k]!.at))
        .join(' ')}`,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stopGracefully().catch(() => undefined);
}
