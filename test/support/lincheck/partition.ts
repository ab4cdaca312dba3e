import type { Operation } from './history.ts';
import type { Model } from './model.ts';
import type { SearchOp } from './search.ts';

/** One key's sub-history, ready for the search. */
export interface Partition<Input, Output> {
  readonly key: string;
  /** What the search sees: fail ops dropped, info ops open-ended with unknown output. */
  readonly ops: readonly SearchOp<Input, Output>[];
  /** For each search op, its record and its index in the whole history (for explanations). */
  readonly records: readonly Operation<Input, Output>[];
  readonly indices: readonly number[];
}

/**
 * Splits a history by key. Linearizability is local (Herlihy & Wing's
 * P-compositionality): a history is linearizable iff each key's sub-history
 * is, so each key is searched alone, and the search's exponential part only
 * ever sees one key's concurrency.
 *
 * `fail` ops are dropped (they did not happen); `info` ops of read-only kinds
 * are dropped too (unknown output, no effect: they constrain nothing).
 * Partitions come smallest first, so a shared budget is not spent on one
 * huge key before the cheap ones have had their chance to fail.
 */
export function partitionByKey<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
): Partition<Input, Output>[] {
  const byKey = new Map<
    string,
    { ops: SearchOp<Input, Output>[]; records: Operation<Input, Output>[]; indices: number[] }
  >();
  history.forEach((record, index) => {
    if (record.status === 'fail') return;
    if (record.status === 'info' && model.readOnly?.(record.op) === true) return;
    let part = byKey.get(record.key);
    if (part === undefined) {
      part = { ops: [], records: [], indices: [] };
      byKey.set(record.key, part);
    }
    const known = record.status === 'ok';
    part.ops.push({
      op: record.op,
      input: record.input,
      output: known ? record.output : undefined,
      invokeAt: record.invokeAt,
      completeAt: known ? record.completeAt : null,
    });
    part.records.push(record);
    part.indices.push(index);
  });
  return [...byKey]
    .map(([key, part]) => ({ key, ...part }))
    .sort((a, b) => a.ops.length - b.ops.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
