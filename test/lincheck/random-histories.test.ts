import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import { assertProperty } from '../support/property.ts';
import { ANOMALY_KINDS, type AnomalyKind, injectAnomaly } from './register-anomalies.ts';
import { planArbitrary, type SimulationShape, simulate } from './register-simulation.ts';

const FILE = 'test/lincheck/random-histories.test.ts';

/** Small enough to shrink well, concurrent enough to need real search. */
const SHAPE: SimulationShape = { processes: { min: 2, max: 5 }, opsPerProcess: { min: 1, max: 12 }, keys: 2 };

describe('randomized histories of a simulated register', () => {
  it('accepts every history simulated with a linearization point inside each interval', () => {
    assertProperty(
      { file: FILE, name: 'accepts simulated histories', seed: 0x11ca7, numRuns: 300 },
      fc.property(planArbitrary(SHAPE), (plan) => {
        const { history } = simulate(plan);
        const result = checkHistory(history, kvRegisterModel);
        expect(result.ok, result.ok === false ? result.explanation : '').toBe(true);
      }),
    );
  });

  it('rejects the same histories after exactly one injected anomaly, on the key it broke', () => {
    const injected = new Map<AnomalyKind, number>(ANOMALY_KINDS.map((k) => [k, 0]));
    const config = assertProperty(
      { file: FILE, name: 'rejects one injected anomaly', seed: 0xbad5eed, numRuns: 300 },
      fc.property(planArbitrary(SHAPE), fc.constantFrom(...ANOMALY_KINDS), fc.nat(), (plan, kind, pick) => {
        const sim = simulate(plan);
        // Fall back to the anomaly that applies to any history with a read.
        const anomaly = injectAnomaly(sim, kind, pick) ?? injectAnomaly(sim, 'never-written', pick);
        fc.pre(anomaly !== undefined);
        injected.set(anomaly.kind, injected.get(anomaly.kind)! + 1);
        const result = checkHistory(anomaly.history, kvRegisterModel);
        expect(result).toMatchObject({ ok: false, key: anomaly.key });
      }),
    );
    // Guard against a vacuous pass: the subtle anomalies really were exercised (not when replaying one case).
    if (config.path === undefined && config.numRuns >= 100) {
      for (const kind of ANOMALY_KINDS) expect(injected.get(kind), kind).toBeGreaterThan(0);
    }
  });
});
