/** How a batch of schedules is seeded and sized, from the environment or the suite's defaults. */
export interface SimRunConfig {
  /** fast-check seed: FLOTILLA_SEED, else FC_SEED, else the suite's fixed default (CI replays the same list). */
  readonly seed: number;
  /** FC_PATH: replay one shrunk counterexample directly. */
  readonly path: string | undefined;
  readonly numRuns: number;
}

/**
 * Reads FLOTILLA_SEED / FC_SEED / FC_PATH and FLOTILLA_SIM_RUNS (a run count
 * for nightly jobs) over the suite's defaults.
 */
export function simRunConfig(defaults: { seed: number; numRuns: number }, env = process.env): SimRunConfig {
  const seedText = env.FLOTILLA_SEED ?? env.FC_SEED;
  const runsText = env.FLOTILLA_SIM_RUNS;
  return {
    seed: seedText === undefined || seedText === '' ? defaults.seed : parseInteger('FLOTILLA_SEED', seedText),
    path: env.FC_PATH === undefined || env.FC_PATH === '' ? undefined : env.FC_PATH,
    numRuns:
      runsText === undefined || runsText === ''
        ? defaults.numRuns
        : parseInteger('FLOTILLA_SIM_RUNS', runsText),
  };
}

export function parseInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}
