import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import type { Operation, OpStatus } from '../support/lincheck/history.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import type { Model } from '../support/lincheck/model.ts';
import { serviceSetModel } from '../support/lincheck/set-model.ts';
import { assertProperty } from '../support/property.ts';
import { bruteForceLinearizable } from './brute-force.ts';

const FILE = 'test/lincheck/differential.test.ts';

/** What an op did, before timing and status are drawn. */
type OpBody = Pick<Operation, 'op' | 'input' | 'output'>;

/**
 * Arbitrary (mostly NOT linearizable) single-key histories over a tiny value
 * domain, so values repeat and info ops have twins: the cases where the
 * search's pruning (memo subsumption, blind-write skip, twin symmetry) could
 * go wrong if any of it were unsound.
 */
function historyArbitrary(
  ops: fc.Arbitrary<Pick<Operation, 'op' | 'input' | 'output'>>,
): fc.Arbitrary<Operation[]> {
  const status = fc.oneof(
    { weight: 5, arbitrary: fc.constant<OpStatus>('ok') },
    { weight: 2, arbitrary: fc.constant<OpStatus>('info') },
    { weight: 1, arbitrary: fc.constant<OpStatus>('fail') },
  );
  const record = fc
    .record({ body: ops, invokeAt: fc.nat({ max: 20 }), length: fc.nat({ max: 12 }), status })
    .map(({ body, invokeAt, length, status }) => ({
      process: 0,
      key: 'x',
      ...body,
      output: status === 'ok' ? body.output : undefined,
      invokeAt,
      completeAt: status === 'info' ? null : invokeAt + length,
      status,
    }));
  return fc
    .array(record, { minLength: 1, maxLength: 7 })
    .map((rs) => rs.map((r, i) => ({ ...r, process: i })));
}

const value = fc.constantFrom('a', 'b');
const kvOps: fc.Arbitrary<OpBody> = fc.oneof(
  value.map((v) => ({ op: 'put', input: v, output: 'ok' })),
  fc.option(value, { nil: null }).map((v) => ({ op: 'get', input: null, output: v })),
  fc
    .record({ expected: fc.option(value, { nil: null }), value, succeeded: fc.boolean() })
    .map(({ succeeded, ...input }) => ({ op: 'cas', input, output: { succeeded } })),
  fc.constant({ op: 'delete', input: null, output: 'ok' }),
);
const ids = fc.constantFrom('i1', 'i2');
const setOps: fc.Arbitrary<OpBody> = fc.oneof(
  ids.map((id) => ({ op: 'register', input: id, output: 'ok' })),
  ids.map((id) => ({ op: 'deregister', input: id, output: 'ok' })),
  fc.subarray(['i1', 'i2']).map((found) => ({ op: 'discover', input: null, output: found })),
);

function agreesWithBruteForce(name: string, seed: number, ops: fc.Arbitrary<OpBody>, model: Model<unknown>) {
  const verdicts = { true: 0, false: 0 };
  const config = assertProperty(
    { file: FILE, name, seed, numRuns: 1500 },
    fc.property(historyArbitrary(ops), (history) => {
      const expected = bruteForceLinearizable(history, model);
      verdicts[`${expected}`]++;
      expect(checkHistory(history, model).ok).toBe(expected);
    }),
  );
  // Both verdicts must be common, or the comparison proves little (not checked when replaying one case).
  if (config.path === undefined && config.numRuns >= 500) {
    expect(verdicts.true).toBeGreaterThan(config.numRuns / 20);
    expect(verdicts.false).toBeGreaterThan(config.numRuns / 20);
  }
}

describe('the checker agrees with a brute-force oracle on tiny histories', () => {
  it('for the kv register', () => {
    agreesWithBruteForce('agrees with brute force (kv)', 0xd1ff, kvOps, kvRegisterModel as Model<unknown>);
  });

  it('for the service set', () => {
    agreesWithBruteForce(
      'agrees with brute force (set)',
      0xd1ff5e7,
      setOps,
      serviceSetModel as Model<unknown>,
    );
  });
});
