import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckState, worst } from '../../src/health/check-state.ts';
import { ownerOf } from '../../src/health/rendezvous.ts';
import type { Health } from '../../src/registry/types.ts';
import { assertProperty } from '../support/property.ts';

describe('check thresholds', () => {
  it('turns critical only after failuresBeforeCritical failures in a row, and passes after successesBeforePassing', () => {
    const s = new CheckState(
      { type: 'tcp', failuresBeforeCritical: 3, successesBeforePassing: 2 },
      'passing',
    );
    expect(['critical', 'critical'].map((r) => s.observe(r as Health))).toEqual(['passing', 'passing']);
    expect(s.observe('passing')).toBe('passing'); // the run of failures is broken
    expect(['critical', 'critical', 'critical'].map((r) => s.observe(r as Health))).toEqual([
      'passing',
      'passing',
      'critical',
    ]);
    expect(s.observe('passing')).toBe('critical');
    expect(s.observe('passing')).toBe('passing');
  });

  it('warning and passing follow each other without a threshold, critical needs the rise', () => {
    const s = new CheckState({ type: 'http', successesBeforePassing: 3 }, 'passing');
    expect(s.observe('warning')).toBe('warning');
    expect(s.observe('passing')).toBe('passing');
    expect(s.observe('critical')).toBe('critical');
    expect(s.observe('warning')).toBe('critical');
    expect(s.observe('warning')).toBe('critical');
    expect(s.observe('warning')).toBe('warning');
  });

  it('a flapping result never crosses a threshold of 2: no transition at all', () => {
    const s = new CheckState(
      { type: 'http', failuresBeforeCritical: 2, successesBeforePassing: 2 },
      'passing',
    );
    for (let k = 0; k < 50; k++) expect(s.observe(k % 2 === 0 ? 'critical' : 'passing')).toBe('passing');
  });

  it('property: the status changes at most once per run of equal results long enough to cross', () => {
    assertProperty(
      { file: 'test/health/check-state.test.ts', name: 'one change per crossing', seed: 7101, numRuns: 200 },
      fc.property(
        fc.array(fc.constantFrom<Health>('passing', 'critical'), { maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (results, fall, rise) => {
          const s = new CheckState(
            { type: 'tcp', failuresBeforeCritical: fall, successesBeforePassing: rise },
            'passing',
          );
          let changes = 0;
          let runs = 0;
          let prev: Health = s.status;
          results.forEach((r, k) => {
            if (k === 0 || r !== results[k - 1]) runs++;
            const now = s.observe(r);
            if (now !== prev) changes++;
            prev = now;
          });
          expect(changes).toBeLessThanOrEqual(runs);
        },
      ),
    );
  });

  it('an instance is as healthy as its worst check', () => {
    expect(worst([])).toBe('passing');
    expect(worst(['passing', 'warning'])).toBe('warning');
    expect(worst(['warning', 'critical', 'passing'])).toBe('critical');
  });
});

describe('rendezvous ownership', () => {
  const nodes = ['n1', 'n2', 'n3'];
  const ids = Array.from({ length: 300 }, (_, k) => `i-${k}`);

  it('spreads instances over every node', () => {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(ownerOf(id, nodes)!, (counts.get(ownerOf(id, nodes)!) ?? 0) + 1);
    for (const n of nodes) expect(counts.get(n)).toBeGreaterThan(50);
  });

  it('moves only the instances of a node that leaves, and the same way on every node', () => {
    for (const id of ids) {
      const before = ownerOf(id, nodes)!;
      const after = ownerOf(id, ['n3', 'n1'])!; // n2 gone; order does not matter
      if (before !== 'n2') expect(after).toBe(before);
      else expect(after).not.toBe('n2');
    }
  });
});
