import { LincheckError } from './errors.ts';

/**
 * How an operation ended, in Jepsen's terms: `ok` completed with its output;
 * `fail` definitely did NOT take effect; `info` has an unknown outcome (it may
 * take effect at any time after its invocation, or never).
 */
export type OpStatus = 'ok' | 'fail' | 'info';

/**
 * One client operation on one key. Timestamps come from one monotonic clock
 * (e.g. `performance.now()`), so real-time order between ops is meaningful.
 */
export interface Operation<Input = unknown, Output = unknown> {
  /** Who issued it: only for explanations; the checker does not rely on it. */
  readonly process: number | string;
  /** The partition: ops on different keys are checked independently (P-compositionality). */
  readonly key: string;
  /** The model's op name, e.g. 'put' | 'get' | 'cas' | 'delete' for the kv register. */
  readonly op: string;
  readonly input: Input;
  /** Required when `ok` (record `null` for "absent"); ignored for `fail` and `info`. */
  readonly output: Output | undefined;
  readonly invokeAt: number;
  /** Required when `ok`; ignored for `info`, whose completion counts as +infinity. */
  readonly completeAt: number | null;
  readonly status: OpStatus;
}

const STATUSES: ReadonlySet<string> = new Set(['ok', 'fail', 'info']);

/**
 * Throws INVALID_HISTORY on the first malformed record. A bad record is a bug
 * in the harness, not a linearizability verdict, so it must not read as one.
 */
export function validateHistory(history: readonly Operation<unknown, unknown>[]): void {
  history.forEach((record, index) => {
    const fault = recordFault(record);
    if (fault !== undefined) {
      throw new LincheckError('INVALID_HISTORY', `history[${index}] (${JSON.stringify(record)}): ${fault}`);
    }
  });
}

function recordFault(record: Operation<unknown, unknown>): string | undefined {
  if (!STATUSES.has(record.status)) return `status must be ok, fail or info`;
  if (typeof record.key !== 'string') return 'key must be a string';
  if (typeof record.op !== 'string') return 'op must be a string';
  if (!Number.isFinite(record.invokeAt)) return 'invokeAt must be a finite number';
  if (record.status !== 'ok') return undefined;
  if (record.completeAt === null || !Number.isFinite(record.completeAt)) {
    return 'an ok op needs a finite completeAt';
  }
  if (record.completeAt < record.invokeAt) return 'completeAt is before invokeAt';
  if (record.output === undefined) return "an ok op needs an output (null for 'absent')";
  return undefined;
}

/** Formats a timestamp for explanations: at most three decimals. */
export function formatTime(t: number | null): string {
  return t === null || !Number.isFinite(t) ? '∞' : String(Number(t.toFixed(3)));
}
