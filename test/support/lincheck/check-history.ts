import { Budget, type ExhaustedBy } from './budget.ts';
import { LincheckError } from './errors.ts';
import { explainDeadEnd, type FailureOps, failureOps } from './explain.ts';
import { type Operation, validateHistory } from './history.ts';
import type { Model } from './model.ts';
import { partitionByKey } from './partition.ts';
import { searchLinearization } from './search.ts';

/** Default wall-clock allowance of one check: long for a test, short enough to never hang CI. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Options of {@link checkHistory}. */
export interface CheckOptions {
  /** Wall-clock allowance for the whole history (all keys); answers `unknown` past it. */
  readonly timeoutMs?: number;
  /** Search steps allowed for the whole history: a deterministic budget, unlike the clock. */
  readonly maxSteps?: number;
  /** The clock the timeout reads (default `performance.now`). */
  readonly now?: () => number;
}

/** {@link CheckOptions} with every default filled in. */
export interface ResolvedCheckOptions {
  readonly timeoutMs: number;
  readonly maxSteps: number;
  readonly now: () => number;
}

/** Fills in defaults and rejects nonsense (a negative or NaN budget). */
export function resolveCheckOptions(options: CheckOptions = {}): Readonly<ResolvedCheckOptions> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  for (const [name, value] of [
    ['timeoutMs', timeoutMs],
    ['maxSteps', maxSteps],
  ] as const) {
    if (!(value >= 0)) throw new LincheckError('INVALID_OPERATION', `${name} must be >= 0, got ${value}`);
  }
  return { timeoutMs, maxSteps, now: options.now ?? (() => performance.now()) };
}

/** Every key's sub-history is linearizable. */
export interface CheckLinearizable {
  readonly ok: true;
  /** Keys checked, and search steps taken (a measure of how hard the history was). */
  readonly keys: number;
  readonly steps: number;
}

/** One key's sub-history is not linearizable. */
export interface CheckViolation<Input = unknown, Output = unknown> extends FailureOps<Input, Output> {
  readonly ok: false;
  readonly key: string;
  /** Multi-line text for a test failure: the op that could not be placed and the longest linearizable prefix. */
  readonly explanation: string;
}

/** The budget ran out before a verdict (and no key had failed by then). */
export interface CheckUnknown {
  readonly ok: 'unknown';
  /** The first key whose search was cut short. */
  readonly key: string;
  readonly exhaustedBy: ExhaustedBy;
  readonly steps: number;
}

/** The verdict on a history. */
export type CheckResult<Input = unknown, Output = unknown> =
  | CheckLinearizable
  | CheckViolation<Input, Output>
  | CheckUnknown;

/**
 * Checks that a history is linearizable with respect to `model`, key by key.
 * Throws LincheckError on a malformed history; otherwise answers `ok: true`,
 * `ok: false` with the first failing key (smallest keys are checked first),
 * or `ok: 'unknown'` when the budget ran out on some key and none failed.
 */
export function checkHistory<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  const resolved = resolveCheckOptions(options);
  validateHistory(history);
  const budget = new Budget(resolved.now() + resolved.timeoutMs, resolved.maxSteps, resolved.now);
  const partitions = partitionByKey(history, model);
  let unknown: string | undefined;
  for (const part of partitions) {
    const outcome = searchLinearization(part.ops, model, budget);
    if (outcome.kind === 'not-linearizable') {
      const explanation = explainDeadEnd(model, part, outcome.deadEnd);
      return { ok: false, key: part.key, explanation, ...failureOps(part, outcome.deadEnd) };
    }
    // Keep going: a later key may still fail (a budget out of steps stays out, so this ends fast).
    if (outcome.kind === 'unknown') unknown ??= part.key;
  }
  if (unknown !== undefined) {
    return { ok: 'unknown', key: unknown, exhaustedBy: budget.exhaustedBy!, steps: budget.steps };
  }
  return { ok: true, keys: partitions.length, steps: budget.steps };
}
