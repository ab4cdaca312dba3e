import { describe, expect, it } from 'vitest';
import { checkHistory, resolveCheckOptions } from '../support/lincheck/check-history.ts';
import { LincheckError } from '../support/lincheck/errors.ts';
import type { Operation } from '../support/lincheck/history.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import { get, INFO, put, record } from './helpers.ts';

describe('failure explanations', () => {
  it('name the op that could not be placed, the longest linearizable prefix, its state and what was pending', () => {
    const history = [
      put(1, 'a', [0, 10]),
      put(2, 'b', [20, 30]),
      put(4, 'c', [35, null], INFO),
      get(3, 'a', [40, 50]),
    ];
    const result = checkHistory(history, kvRegisterModel);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    const lines = result.explanation.split('\n');
    expect(lines[0]).toBe(
      'key "x" is not linearizable (model kv-register): the history up to the completion of #3 (t=50) has no linearization.',
    );
    expect(lines[1]).toBe('  could not place: #3 p3 get() → "a" [40, 50]');
    expect(lines).toContain('  longest linearizable prefix found (2 ops), leaving state "b":');
    expect(lines).toContain('    #0 p1 put("a") → "ok" [0, 10]');
    expect(lines).toContain('    #1 p2 put("b") → "ok" [20, 30]');
    expect(lines).toContain('    #2 p4 put("c") → ? [35, ∞) info');
    expect(result.pending).toEqual([history[2]]);
  });

  it('point at the earliest op no linearization reaches, not at a later one', () => {
    const history = [
      put(1, 'a', [0, 10]),
      get(2, 'z', [20, 30]),
      put(1, 'b', [40, 50]),
      get(2, 'b', [60, 70]),
    ];
    expect(checkHistory(history, kvRegisterModel)).toMatchObject({ ok: false, stuck: history[1] });
  });

  it('show only the last ops of a long prefix', () => {
    const writes = Array.from({ length: 30 }, (_, i) => put(1, i, [i * 10, i * 10 + 5]));
    const result = checkHistory([...writes, get(2, 'never', [400, 410])], kvRegisterModel);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.linearized).toHaveLength(30);
    expect(result.explanation).toContain('… 10 earlier ops');
    expect(result.explanation).not.toContain('#9 p1');
    expect(result.explanation).toContain('#29 p1 put(29)');
  });
});

/** n ok writes all concurrent, then a read of a value none wrote: every subset and order looks viable. */
function pathological(n: number): Operation[] {
  const writes = Array.from({ length: n }, (_, i) => put(i, `v${i}`, [0, 100]));
  return [...writes, get(n, 'never', [50, 60])];
}

describe('budget', () => {
  it('answers unknown once maxSteps is spent, deterministically', () => {
    const result = checkHistory(pathological(20), kvRegisterModel, { maxSteps: 10_000 });
    expect(result).toEqual({ ok: 'unknown', key: 'x', exhaustedBy: 'max-steps', steps: 10_000 });
  });

  it('answers unknown once timeoutMs has passed instead of running on', () => {
    let now = 0;
    // A fake clock that advances 1 ms per reading: the deadline passes after a few readings.
    const result = checkHistory(pathological(20), kvRegisterModel, { timeoutMs: 5, now: () => now++ });
    expect(result).toMatchObject({ ok: 'unknown', key: 'x', exhaustedBy: 'timeout' });
  });

  it('answers unknown on a real clock too, well within the test timeout', () => {
    const started = performance.now();
    const result = checkHistory(pathological(24), kvRegisterModel, { timeoutMs: 50 });
    expect(result.ok).toBe('unknown');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('still decides small instances of the same shape', () => {
    expect(checkHistory(pathological(8), kvRegisterModel).ok).toBe(false);
  });

  it('rejects a negative budget', () => {
    expect(() => resolveCheckOptions({ timeoutMs: -1 })).toThrow(LincheckError);
    expect(() => resolveCheckOptions({ maxSteps: Number.NaN })).toThrow(/maxSteps/);
  });
});

describe('malformed histories are errors, not verdicts', () => {
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error instanceof LincheckError ? error.code : error;
    }
    return undefined;
  };

  it('rejects an ok op without a completion, completing before invocation, or without an output', () => {
    for (const bad of [
      record(1, 'put', 'a', 'ok', [0, null]),
      record(1, 'put', 'a', 'ok', [10, 5]),
      record(1, 'get', null, undefined, [0, 5]),
      { ...put(1, 'a', [0, 5]), status: 'maybe' } as unknown as Operation,
    ]) {
      expect(codeOf(() => checkHistory([bad], kvRegisterModel))).toBe('INVALID_HISTORY');
    }
  });

  it('rejects ops and shapes the model does not know', () => {
    expect(codeOf(() => checkHistory([record(1, 'incr', 1, 'ok', [0, 1])], kvRegisterModel))).toBe(
      'INVALID_OPERATION',
    );
    expect(codeOf(() => checkHistory([record(1, 'cas', 'a', true, [0, 1])], kvRegisterModel))).toBe(
      'INVALID_OPERATION',
    );
    expect(codeOf(() => checkHistory([record(1, 'put', { a: 1 }, 'ok', [0, 1])], kvRegisterModel))).toBe(
      'INVALID_OPERATION',
    );
  });
});
