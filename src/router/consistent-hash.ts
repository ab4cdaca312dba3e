/**
 * Consistent hashing on a ring with virtual nodes (Karger et al.; Envoy's
 * `RING_HASH`, ketama's 160 points per server). Each instance owns the arcs
 * ending at its points; a key goes to the owner of the first point at or
 * after its hash. When an instance leaves, only the keys on its arcs move —
 * every other key stays where it was — so caches behind the router keep
 * their hit rate. (Maglev spreads load a little more evenly but reshuffles a
 * few percent of the other keys too; the ring is chosen for minimal movement.)
 *
 * Rings are cached per candidate set: the eligible set changes rarely
 * (breakers, health, version splits alternate between a few sets), and a
 * rebuild costs `points × instances` hashes and a sort.
 */

import type { Instance } from '../registry/types.ts';
import { hash32 } from './hash.ts';
import { requestKey } from './route-request.ts';
import type { PickContext, Strategy } from './strategy.ts';

/** Points on the ring per instance. */
export const DEFAULT_RING_POINTS = 160;
/** Rings kept for recently seen candidate sets. */
const RING_CACHE_SIZE = 8;

/** A built ring: sorted hash points and, per point, the index of its instance. */
class Ring {
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(instances: readonly Instance[], pointsPerInstance: number) {
    const n = instances.length * pointsPerInstance;
    const hashes = new Uint32Array(n);
    const owner = new Uint32Array(n);
    let k = 0;
    instances.forEach((inst, i) => {
      for (let p = 0; p < pointsPerInstance; p++) {
        hashes[k] = hash32(`${inst.id}#${p}`);
        owner[k++] = i;
      }
    });
    // Ties (vanishingly rare) break by instance id, so the ring never depends on input order.
    const order = Array.from({ length: n }, (_, x) => x).sort(
      (a, b) => hashes[a]! - hashes[b]! || (instances[owner[a]!]!.id < instances[owner[b]!]!.id ? -1 : 1),
    );
    this.points = Uint32Array.from(order, (x) => hashes[x]!);
    this.owners = Uint32Array.from(order, (x) => owner[x]!);
  }

  /**
   * The index (in the instance list the ring was built from) of the owner of
   * the first point at or after `h`, wrapping around. An index, not the
   * instance, because a cached ring must answer with the caller's current
   * copy of an instance whose address or health changed since.
   */
  lookup(h: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === this.points.length ? 0 : lo]!;
  }
}

export class ConsistentHash implements Strategy {
  /** Rings by candidate ids, least recently used first (bounded by RING_CACHE_SIZE). */
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly pointsPerInstance = DEFAULT_RING_POINTS) {}

  pick(candidates: readonly Instance[], ctx: PickContext): Instance {
    const key = requestKey(ctx.hashKey, ctx.request);
    // No key to hash by: spread such requests at random rather than pin them all to one instance.
    if (key === undefined) return candidates[Math.floor(ctx.random() * candidates.length)] ?? candidates[0]!;
    return candidates[this.ring(candidates).lookup(hash32(key))]!;
  }

  retain(live: ReadonlySet<string>): void {
    for (const ids of [...this.rings.keys()])
      if (ids.split('\n').some((id) => !live.has(id))) this.rings.delete(ids);
  }

  private ring(candidates: readonly Instance[]): Ring {
    const ids = candidates.map((c) => c.id).join('\n');
    let ring = this.rings.get(ids);
    if (ring === undefined) {
      ring = new Ring(candidates, this.pointsPerInstance);
      if (this.rings.size >= RING_CACHE_SIZE) this.rings.delete(this.rings.keys().next().value!);
    } else {
      this.rings.delete(ids);
    }
    this.rings.set(ids, ring);
    return ring;
  }
}
