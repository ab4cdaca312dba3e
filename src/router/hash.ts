/**
 * A fast, well-mixed 32-bit string hash for the consistent-hash ring: FNV-1a
 * over the UTF-16 code units, then murmur3's finaliser. FNV-1a alone clusters
 * similar strings (`api-1#0`, `api-1#1`, …) on the ring; the finaliser's
 * avalanche spreads them, which keeps each instance's share of the ring even.
 */

/** The 32-bit hash of `s` (an unsigned integer). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's fmix32: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
