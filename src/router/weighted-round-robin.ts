/**
 * Smooth weighted round-robin (nginx's `ngx_http_upstream_get_peer`): each
 * pick adds every candidate's weight to its running score, takes the highest
 * score and subtracts the total from it. Over any window of `sum(weights)`
 * picks each instance gets exactly its weight, and the picks interleave
 * (weights 5,1,1 give a a b a c a a, not a a a a a b c).
 *
 * Weight 0 means "no traffic" while some candidate has a positive weight;
 * when all are 0 they share equally, so a service is never refused for its
 * weights alone.
 */

import type { Instance } from '../registry/types.ts';
import type { Strategy } from './strategy.ts';

export class WeightedRoundRobin implements Strategy {
  /** Running score per instance id (nginx's `current_weight`). Pruned by retain(). */
  private readonly current = new Map<string, number>();

  pick(candidates: readonly Instance[]): Instance {
    const anyPositive = candidates.some((c) => c.weight > 0);
    let total = 0;
    let best: Instance | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const c of candidates) {
      const w = anyPositive ? c.weight : 1;
      if (w <= 0) continue;
      const score = (this.current.get(c.id) ?? 0) + w;
      this.current.set(c.id, score);
      total += w;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    this.current.set(best!.id, bestScore - total);
    return best!;
  }

  retain(live: ReadonlySet<string>): void {
    for (const id of this.current.keys()) if (!live.has(id)) this.current.delete(id);
  }
}
