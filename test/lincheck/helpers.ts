import type { Operation, OpStatus } from '../support/lincheck/history.ts';
import type { CasInput, KvState, KvValue } from '../support/lincheck/kv-model.ts';

/** An op's interval: [invokeAt, completeAt]; completeAt null (or any) for info. */
export type Span = readonly [number, number | null];

/** Where an op lands and how it ended (default: key 'x', ok). */
export interface OpOptions {
  readonly key?: string;
  readonly status?: OpStatus;
}

/** A hand-made record; `output` is dropped unless the op is ok. */
export function record(
  process: number | string,
  op: string,
  input: unknown,
  output: unknown,
  [invokeAt, completeAt]: Span,
  { key = 'x', status = 'ok' }: OpOptions = {},
): Operation {
  return {
    process,
    key,
    op,
    input,
    output: status === 'ok' ? output : undefined,
    invokeAt,
    completeAt,
    status,
  };
}

/** `put(value)` acknowledged with 'ok' (or ended as `status`). */
export const put = (p: number, value: KvValue, span: Span, options?: OpOptions): Operation =>
  record(p, 'put', value, 'ok', span, options);

/** `get()` that answered `value` (null: absent). */
export const get = (p: number, value: KvState, span: Span, options?: OpOptions): Operation =>
  record(p, 'get', null, value, span, options);

/** `cas(expected → value)` that answered `{ succeeded }`. */
export const cas = (
  p: number,
  [expected, value]: readonly [KvState, KvValue],
  succeeded: boolean,
  span: Span,
  options?: OpOptions,
): Operation => record(p, 'cas', { expected, value } satisfies CasInput, { succeeded }, span, options);

/** `delete()` acknowledged with 'ok'. */
export const del = (p: number, span: Span, options?: OpOptions): Operation =>
  record(p, 'delete', null, 'ok', span, options);

/** Options for an op of unknown outcome (its completion is ignored: it counts as +infinity). */
export const INFO = { status: 'info' } as const satisfies OpOptions;
/** Options for an op that definitely did not take effect. */
export const FAIL = { status: 'fail' } as const satisfies OpOptions;
