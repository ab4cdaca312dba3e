/**
 * Runs simulated fault schedules against the real Raft core, without vitest.
 *
 *   npm run sim -- --schedules N [--seed S] [--nodes 3|5] [--trace]
 *
 * Schedule k is generated from seed S+k, so each failure replays on its own
 * with `--schedules 1 --seed <S+k>`. Ends with one line
 * `sim: N schedules, V violations, seed S` and exits 1 when V > 0. `--trace`
 * prints every delivery, client call and node state change (use it with
 * `--schedules 1`).
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { raftCoreFactory } from '../test/support/sim/raft-core-factory.ts';
import { formatResult, runSchedule } from '../test/support/sim/run-schedule.ts';
import type { Schedule } from '../test/support/sim/schedule.ts';
import { DEFAULT_SHAPE, scheduleArbitrary } from '../test/support/sim/schedule-arbitrary.ts';
import { parseInteger } from '../test/support/sim/sim-seed.ts';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '100' },
    seed: { type: 'string' },
    nodes: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});

const count = parseInteger('--schedules', values.schedules);
const seed =
  values.seed === undefined ? (Date.now() ^ (process.pid << 16)) >>> 0 : parseInteger('--seed', values.seed);
const nodes = values.nodes === undefined ? undefined : parseInteger('--nodes', values.nodes);
if (nodes !== undefined && nodes !== 3 && nodes !== 5) throw new Error('--nodes must be 3 or 5');

const sizes = nodes === undefined ? [3, 5] : [nodes];
const arbitrary: fc.Arbitrary<Schedule> = fc.oneof(
  ...sizes.flatMap((n) => [
    scheduleArbitrary({ ...DEFAULT_SHAPE, nodes: n }),
    scheduleArbitrary({ ...DEFAULT_SHAPE, nodes: n, profile: 'churn', membership: false }),
  ]),
);

let violations = 0;
for (let k = 0; k < count; k++) {
  const scheduleSeed = (seed + k) >>> 0;
  const [schedule] = fc.sample(arbitrary, { seed: scheduleSeed, numRuns: 1 });
  const result = runSchedule(
    schedule!,
    raftCoreFactory,
    values.trace ? (line) => console.log(line) : undefined,
  );
  if (result.violationCount === 0) continue;
  violations += result.violationCount;
  const nodesFlag = nodes === undefined ? '' : ` --nodes ${nodes}`;
  console.log(`schedule ${k + 1}/${count} (SIM_SEED=${scheduleSeed}):\n${formatResult(schedule!, result)}`);
  console.log(`replay: npm run sim -- --schedules 1 --seed ${scheduleSeed}${nodesFlag}\n`);
}
console.log(`sim: ${count} schedules, ${violations} violations, seed ${seed}`);
process.exitCode = violations > 0 ? 1 : 0;
