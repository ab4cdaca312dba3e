import { seededRng } from '../../../raft/core/rng.ts';

/** The simulator's only source of randomness: a seeded generator (never Math.random). */
export type SimRng = ReturnType<typeof seededRng>;

/** A generator for one purpose (`label`) of one run (`seed`), independent of every other purpose's draws. */
export function deriveRng(seed: number, label: string): SimRng {
  return seededRng(deriveSeed(seed, label));
}

/** Mixes a label into a seed (FNV-1a over the label, then a murmur3 finaliser). */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** An integer in [min, max], both inclusive. */
export function intBetween(rng: SimRng, min: number, max: number): number {
  return min + rng.int(max - min + 1);
}
