import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_TIMINGS } from '../support/chaos/chaos-cluster.ts';
import { formatFaultRecord } from '../support/chaos/chaos-report.ts';
import { formatSchedule, scheduleArbitrary } from '../support/chaos/fault-schedule.ts';
import { runChaos } from '../support/chaos/run-chaos.ts';
import { simRunConfig } from '../support/sim/sim-seed.ts';

/**
 * The short chaos suite that `npm test` runs: a few generated schedules
 * against real node processes (see docs/chaos.md; `npm run chaos` is the long
 * mode). Schedule k comes from seed S+k. The default S was picked because its
 * three schedules cover every fault kind between them, including kill -9 and
 * SIGSTOP of the leader, on 3 and 5 nodes, in about a minute.
 * FLOTILLA_SEED=<S> (and FLOTILLA_SIM_RUNS=<n>) run other schedules.
 */
const FAULTS = { minFaults: 3, maxFaults: 4 };
const { seed, numRuns } = simRunConfig({ seed: 294_808, numRuns: 3 });
const arbitrary = scheduleArbitrary({ nodes: [3, 5], electionMs: FAST_TIMINGS.electionMs, ...FAULTS });

describe('chaos: real node processes under generated fault schedules', () => {
  console.log(`chaos suite: FLOTILLA_SEED=${seed}, ${numRuns} schedules`);
  for (let k = 0; k < numRuns; k++) {
    const scheduleSeed = (seed + k) >>> 0;
    const [schedule] = fc.sample(arbitrary, { seed: scheduleSeed, numRuns: 1 });
    const replay = [
      `FLOTILLA_SEED=${scheduleSeed} FLOTILLA_SIM_RUNS=1 npx vitest run test/chaos/chaos.test.ts`,
      `npm run chaos -- --schedules 1 --seed ${scheduleSeed} --faults ${FAULTS.minFaults}-${FAULTS.maxFaults}`,
    ].join('  or  ');
    it(`seed ${scheduleSeed}: ${schedule!.nodes} nodes, ${schedule!.faults.map((f) => f.fault.kind).join(', ')}`, async () => {
      const result = await runChaos({
        schedule: schedule!,
        cluster: { ...FAST_TIMINGS, logLevel: 'info' },
        replay,
      });
      const report = [
        `chaos schedule seed ${scheduleSeed}: ${formatSchedule(schedule!)}`,
        ...result.faults.map(formatFaultRecord),
        ...result.violations.map((v) => `VIOLATION ${v}`),
        `kept: ${result.keptDir}`,
        `replay: ${replay}`,
      ].join('\n');
      expect(result.violations, report).toEqual([]);
      // Load went through: an idle cluster would pass every check trivially.
      expect(result.ops.kv + result.ops.registry).toBeGreaterThan(100);
    }, 240_000);
  }
});
