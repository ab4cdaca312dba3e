/**
 * The contract between the router and a load-balancing strategy. The router
 * hands a strategy a non-empty list of candidates that are already eligible
 * (active, healthy or in panic, of the chosen version); the strategy only
 * chooses among them. Strategies may keep state (a counter, weights, a
 * ring), and the router tells them which instances are gone so that state
 * stays bounded.
 */

import type { Instance } from '../registry/types.ts';
import type { RouteRequest } from './route-request.ts';

/** Returns a number in [0, 1). Injected so tests can pin it. */
export type Random = () => number;

/** What a strategy may consult besides the candidates. */
export interface PickContext {
  readonly request: RouteRequest;
  readonly random: Random;
  /** Requests the router has started on an instance and not yet finished. */
  readonly inFlight: (id: string) => number;
  /** The policy's `hashKey` (consistent-hash only). */
  readonly hashKey: string | undefined;
}

/** A strategy: picks one of `candidates` (never empty); only a custom one may refuse (`undefined`). */
export interface Strategy {
  pick(candidates: readonly Instance[], ctx: PickContext): Instance | undefined;
  /** Drops any state kept for instances not in `live`. */
  retain(live: ReadonlySet<string>): void;
}

/**
 * A strategy written by the user: given the eligible instances (never empty)
 * and the request, return one of them, or `undefined` to refuse the request.
 */
export type CustomStrategy = (instances: readonly Instance[], request: RouteRequest) => Instance | undefined;

/** Adapts a custom function to {@link Strategy}; an answer that is not a candidate is a programming error. */
export function customStrategy(fn: CustomStrategy): Strategy {
  return {
    pick(candidates, ctx) {
      const chosen = fn(candidates, ctx.request);
      if (chosen === undefined) return undefined;
      if (!candidates.some((c) => c.id === chosen.id))
        throw new TypeError(
          `custom strategy returned ${chosen.id}, which is not one of the eligible instances`,
        );
      return chosen;
    },
    retain() {},
  };
}
