/**
 * Options of the router, their defaults, and the pure check that resolves
 * them (STYLE §5). The clock and the rng are injected so that tests drive
 * time and chance; the defaults (`Date.now`, `Math.random`) are the only
 * impure parts, and they live here, at the edge.
 */

import { invalidArgument } from '../registry/errors.ts';
import { type BreakerOptions, DEFAULT_BREAKER } from './circuit-breaker.ts';
import { DEFAULT_RING_POINTS } from './consistent-hash.ts';
import { DEFAULT_OUTLIER, type OutlierOptions } from './outlier-detector.ts';
import type { Random } from './strategy.ts';

/**
 * Below this share (percent) of eligible instances the router is in panic and
 * routes to every active instance, healthy or not (Envoy's default, 50 %):
 * when most instances look bad, the checks are more likely wrong than the
 * instances, and concentrating all traffic on the few left would knock them
 * over too.
 */
export const DEFAULT_PANIC_THRESHOLD_PERCENT = 50;

export interface RouterOptions {
  /** Milliseconds since some epoch; drives breakers and ejections. */
  readonly clock?: () => number;
  readonly random?: Random;
  /** 0 turns panic mode off. */
  readonly panicThresholdPercent?: number;
  /** Per-instance circuit breaker settings; `false` turns breakers off. */
  readonly breaker?: Partial<BreakerOptions> | false;
  /** Outlier ejection settings; `false` turns ejection off. */
  readonly outlier?: Partial<OutlierOptions> | false;
  /** Points per instance on the consistent-hash ring. */
  readonly ringPoints?: number;
}

export interface ResolvedRouterOptions {
  readonly clock: () => number;
  readonly random: Random;
  readonly panicThresholdPercent: number;
  readonly breaker: BreakerOptions | undefined;
  readonly outlier: OutlierOptions | undefined;
  readonly ringPoints: number;
}

function num(value: number | undefined, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max)
    throw invalidArgument(field, `must be a number from ${min} to ${max}`);
  return value;
}

/** Fills in defaults and checks ranges; INVALID_ARGUMENT names the bad field. Never mutates `o`. */
export function resolveRouterOptions(o: RouterOptions = {}): Readonly<ResolvedRouterOptions> {
  const day = 86_400_000;
  const b = o.breaker === false ? undefined : { ...DEFAULT_BREAKER, ...o.breaker };
  if (b !== undefined) {
    num(b.consecutiveFailures, 'breaker.consecutiveFailures', 0, 1, 1e6);
    num(b.errorRatePercent, 'breaker.errorRatePercent', 0, 1, 100);
    num(b.minRequests, 'breaker.minRequests', 0, 1, 1e9);
    num(b.windowMs, 'breaker.windowMs', 0, 10, day);
    num(b.openMs, 'breaker.openMs', 0, 1, day);
    num(b.halfOpenProbes, 'breaker.halfOpenProbes', 0, 1, 1e6);
  }
  const x = o.outlier === false ? undefined : { ...DEFAULT_OUTLIER, ...o.outlier };
  if (x !== undefined) {
    num(x.consecutiveFailures, 'outlier.consecutiveFailures', 0, 1, 1e6);
    num(x.baseEjectionMs, 'outlier.baseEjectionMs', 0, 1, day);
    num(x.maxEjectionMs, 'outlier.maxEjectionMs', 0, x.baseEjectionMs, day);
    num(x.maxEjectionPercent, 'outlier.maxEjectionPercent', 0, 0, 100);
  }
  return {
    clock: o.clock ?? Date.now,
    random: o.random ?? Math.random,
    panicThresholdPercent: num(
      o.panicThresholdPercent,
      'panicThresholdPercent',
      DEFAULT_PANIC_THRESHOLD_PERCENT,
      0,
      100,
    ),
    breaker: b,
    outlier: x,
    ringPoints: Math.round(num(o.ringPoints, 'ringPoints', DEFAULT_RING_POINTS, 1, 10_000)),
  };
}
