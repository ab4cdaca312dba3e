import type { Rng } from './types.ts';

/**
 * A small seeded generator (mulberry32): deterministic, fast, good enough for
 * election jitter and simulation choices. Not for cryptography.
 */
export function seededRng(seed: number): Rng & { next(): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int(maxExclusive: number): number {
      return Math.floor(next() * maxExclusive);
    },
  };
}
