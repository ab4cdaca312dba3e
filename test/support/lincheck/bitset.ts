/**
 * A fixed-size set of op indices with an incrementally kept Zobrist hash
 * (xor of one random word per member), so hashing a search state costs O(1)
 * per step instead of O(ops).
 */
export class Bitset {
  readonly words: Uint32Array;
  /** Xor of `table[i]` over the members i. */
  hash = 0;
  readonly #table: Uint32Array;

  constructor(size: number, table: Uint32Array) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.#table = table;
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.hash ^= this.#table[i]!;
  }

  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.hash ^= this.#table[i]!;
  }

  /** True iff every member of `other` (a snapshot of a same-size set) is a member here. */
  includes(other: Uint32Array): boolean {
    for (let w = 0; w < other.length; w++) if ((other[w]! & ~this.words[w]!) !== 0) return false;
    return true;
  }

  equals(other: Uint32Array): boolean {
    for (let w = 0; w < other.length; w++) if (other[w] !== this.words[w]) return false;
    return true;
  }
}

/** `size` pseudo-random words from a fixed seed (xorshift32): the search stays deterministic. */
export function zobristTable(size: number): Uint32Array {
  const table = new Uint32Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
}

interface Visited {
  readonly ok: Uint32Array;
  readonly info: Uint32Array;
}

/**
 * The memo of search states already reached: (completed ops linearized,
 * info ops linearized, model state). A new state is redundant when a
 * recorded one has the same completed ops and model state and a SUBSET of
 * its info ops: info ops are optional and have no deadline, so whatever
 * finishes the linearization from the new state also finishes it from the
 * recorded one. With no info ops this is Lowe's exact memo.
 */
export class VisitedStates {
  readonly #buckets = new Map<string, Visited[]>();
  size = 0;

  /** Records the state and returns true, or returns false when a recorded state subsumes it. */
  add(ok: Bitset, info: Bitset, stateKey: string): boolean {
    const key = `${ok.hash}:${stateKey}`;
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#buckets.set(key, [{ ok: ok.words.slice(), info: info.words.slice() }]);
      this.size++;
      return true;
    }
    if (bucket.some((v) => ok.equals(v.ok) && info.includes(v.info))) return false;
    // Drop the states the new one subsumes, so a bucket stays an antichain and short.
    const kept = bucket.filter((v) => !(ok.equals(v.ok) && isSubset(info.words, v.info)));
    kept.push({ ok: ok.words.slice(), info: info.words.slice() });
    this.size += kept.length - bucket.length;
    this.#buckets.set(key, kept);
    return true;
  }
}

function isSubset(small: Uint32Array, big: Uint32Array): boolean {
  for (let w = 0; w < small.length; w++) if ((small[w]! & ~big[w]!) !== 0) return false;
  return true;
}
