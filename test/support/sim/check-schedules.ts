import fc from 'fast-check';
import { raftCoreFactory } from './raft-core-factory.ts';
import { formatResult, runSchedule } from './run-schedule.ts';
import { DEFAULT_SHAPE, type ScheduleShape, scheduleArbitrary } from './schedule-arbitrary.ts';
import type { CoreFactory } from './sim-core.ts';
import { simRunConfig } from './sim-seed.ts';

export interface ScheduleSuite {
  /** The test file, for the replay command. */
  readonly file: string;
  /** What to generate (DEFAULT_SHAPE for the rest). */
  readonly shape: Partial<ScheduleShape> & { readonly nodes: number };
  /** The fixed seed CI uses unless FLOTILLA_SEED / FC_SEED says otherwise. */
  readonly seed: number;
  /** Schedules per run unless FLOTILLA_SIM_RUNS says otherwise. */
  readonly numRuns: number;
  /** The core under test (the real RaftCore by default). */
  readonly factory?: CoreFactory;
}

/**
 * Runs a suite's generated schedules through fast-check and throws on the
 * first that breaks an invariant, after shrinking it. The error starts with
 * the seed (`SIM_SEED=…`), the path and the commands that replay it, then
 * fast-check's report, the violations and the shrunk schedule as a timeline.
 */
export function checkSchedules(suite: ScheduleSuite): void {
  const config = simRunConfig({ seed: suite.seed, numRuns: suite.numRuns });
  const factory = suite.factory ?? raftCoreFactory;
  const property = fc.property(scheduleArbitrary({ ...DEFAULT_SHAPE, ...suite.shape }), (schedule) => {
    const result = runSchedule(schedule, factory);
    if (result.violationCount > 0) throw new Error(formatResult(schedule, result));
  });
  const details = fc.check(property, {
    seed: config.seed,
    numRuns: config.numRuns,
    ...(config.path === undefined ? {} : { path: config.path }),
  });
  if (!details.failed) return;
  const path = details.counterexamplePath ?? '';
  const replay = `npx vitest run ${suite.file}`;
  throw new Error(
    [
      `SIM_SEED=${details.seed} FC_SEED=${details.seed} FC_PATH=${path}`,
      `replay: FLOTILLA_SEED=${details.seed} ${replay}`,
      `replay the shrunk schedule only: FLOTILLA_SEED=${details.seed} FC_PATH=${path} ${replay}`,
      fc.defaultReportMessage(details),
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance),
    ].join('\n'),
  );
}
