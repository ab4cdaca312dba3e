import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../raft/core/rng.ts';
import { backoffDelay } from '../../../raft/transport/backoff.ts';

const options = { baseMs: 100, maxMs: 5_000 };

describe('backoffDelay', () => {
  it('grows exponentially within [cap/2, cap] and stops at maxMs', () => {
    const rng = seededRng(42);
    for (let attempt = 0; attempt < 40; attempt++) {
      const cap = Math.min(5_000, 100 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, options, rng);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('reaches both ends of the range with extreme rng values', () => {
    expect(backoffDelay(3, options, { int: () => 0 })).toBe(400);
    expect(backoffDelay(3, options, { int: (max) => max - 1 })).toBe(800);
  });

  it('is jittered: different seeds give different delays', () => {
    const a = [1, 2, 3, 4, 5].map((s) => backoffDelay(5, options, seededRng(s)));
    expect(new Set(a).size).toBeGreaterThan(1);
  });
});
