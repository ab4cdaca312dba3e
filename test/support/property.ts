import fc from 'fast-check';
import { type SimRunConfig, simRunConfig } from './sim/sim-seed.ts';

/** A fast-check property of any suite, seeded like test/sim. */
export interface PropertyRun {
  /** The test file, for the replay command. */
  readonly file: string;
  readonly name: string;
  /** The fixed seed CI uses unless FLOTILLA_SEED / FC_SEED says otherwise. */
  readonly seed: number;
  /** Runs unless FLOTILLA_SIM_RUNS says otherwise. */
  readonly numRuns: number;
}

/**
 * Runs a property with the seed from FLOTILLA_SEED (else FC_SEED, else the
 * suite's default) and FC_PATH, printing the seed first so any run can be
 * replayed; on failure throws the shrunk counterexample with the commands
 * that replay it. Returns the config used (callers check coverage with it).
 */
export function assertProperty<Ts>(run: PropertyRun, property: fc.IProperty<Ts>): SimRunConfig {
  const config = simRunConfig({ seed: run.seed, numRuns: run.numRuns });
  const replay = `npx vitest run ${run.file}`;
  console.log(
    `property "${run.name}": FLOTILLA_SEED=${config.seed} (replay: FLOTILLA_SEED=${config.seed} ${replay})`,
  );
  const details = fc.check(property, {
    seed: config.seed,
    numRuns: config.numRuns,
    ...(config.path === undefined ? {} : { path: config.path }),
  });
  if (!details.failed) return config;
  const path = details.counterexamplePath ?? '';
  throw new Error(
    [
      `FLOTILLA_SEED=${details.seed} FC_PATH=${path}`,
      `replay: FLOTILLA_SEED=${details.seed} ${replay}`,
      `replay the shrunk case only: FLOTILLA_SEED=${details.seed} FC_PATH=${path} ${replay}`,
      fc.defaultReportMessage(details),
    ].join('\n'),
  );
}
