import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import { simRunConfig } from '../support/sim/sim-seed.ts';
import { injectAnomaly } from './register-anomalies.ts';
import { planArbitrary, simulate } from './register-simulation.ts';

/**
 * A sanity check of the search's cost, not a timed assertion: 8 processes x
 * 250 ops over 5 keys must simply finish (within the test timeout) with a
 * verdict, both when linearizable and with one stale read injected.
 */
describe('performance sanity', () => {
  const { seed } = simRunConfig({ seed: 0x2000, numRuns: 1 });
  const shape = { processes: { min: 8, max: 8 }, opsPerProcess: { min: 250, max: 250 }, keys: 5 };
  const [plan] = fc.sample(planArbitrary(shape), { seed, numRuns: 1 });
  const sim = simulate(plan!);

  it('checks a 2,000-op history over 5 keys and 8 processes', () => {
    console.log(`lincheck performance: FLOTILLA_SEED=${seed}`);
    expect(sim.history).toHaveLength(2000);
    const started = performance.now();
    const result = checkHistory(sim.history, kvRegisterModel, { timeoutMs: 60_000 });
    console.log(
      `  linearizable history: ${JSON.stringify(result)} in ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(result).toMatchObject({ ok: true, keys: 5 });
  });

  it('rejects the same history with one stale read', () => {
    const anomaly = injectAnomaly(sim, 'stale-read', seed)!;
    const started = performance.now();
    const result = checkHistory(anomaly.history, kvRegisterModel, { timeoutMs: 60_000 });
    console.log(`  with a stale read: ok=${result.ok} in ${(performance.now() - started).toFixed(0)} ms`);
    expect(result).toMatchObject({ ok: false, key: anomaly.key });
  });
});
