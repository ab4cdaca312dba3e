/** Random: a uniform pick from the injected rng (Envoy's `RANDOM`; weights are for weighted-round-robin). */

import type { Instance } from '../registry/types.ts';
import type { PickContext, Strategy } from './strategy.ts';

export class RandomStrategy implements Strategy {
  pick(candidates: readonly Instance[], ctx: PickContext): Instance {
    return candidates[Math.floor(ctx.random() * candidates.length)] ?? candidates[0]!;
  }

  retain(): void {}
}
