/**
 * Least-request by the power of two choices (Mitzenmacher; Envoy's default
 * `LEAST_REQUEST`): draw two distinct candidates at random and take the one
 * with fewer requests in flight. Nearly as good as scanning for the global
 * minimum, but it never herds every new request onto the one instance that
 * just looked idle, which matters when several routers share the backends.
 */

import type { Instance } from '../registry/types.ts';
import type { PickContext, Strategy } from './strategy.ts';

export class LeastRequest implements Strategy {
  pick(candidates: readonly Instance[], ctx: PickContext): Instance {
    const n = candidates.length;
    if (n === 1) return candidates[0]!;
    const i = Math.min(n - 1, Math.floor(ctx.random() * n));
    // A second index drawn from the other n - 1, so the two are distinct.
    let j = Math.min(n - 2, Math.floor(ctx.random() * (n - 1)));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    return ctx.inFlight(b.id) < ctx.inFlight(a.id) ? b : a;
  }

  retain(): void {}
}
