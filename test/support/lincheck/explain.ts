import { formatTime, type Operation } from './history.ts';
import { describeOp, describeState, type Model } from './model.ts';
import type { Partition } from './partition.ts';
import type { DeadEnd } from './search.ts';

/** How many ops of the linearizable prefix an explanation lists (the last ones: nearest the failure). */
export const EXPLAIN_PREFIX_LIMIT = 20;

/** The ops of a failure, as records of the checked history. */
export interface FailureOps<Input, Output> {
  readonly stuck: Operation<Input, Output>;
  readonly linearized: readonly Operation<Input, Output>[];
  readonly pending: readonly Operation<Input, Output>[];
}

/** Maps a dead end's partition-local op indices back to history records. */
export function failureOps<State, Input, Output>(
  part: Partition<Input, Output>,
  deadEnd: DeadEnd<State>,
): FailureOps<Input, Output> {
  const record = (op: number) => part.records[op]!;
  return {
    stuck: record(deadEnd.stuck),
    linearized: deadEnd.linearized.map(record),
    pending: deadEnd.pending.map(record),
  };
}

/**
 * A failure for a human: which op could not be placed, after which
 * linearizable prefix and in which state, and what else was pending then.
 * Ops are named `#<index in the history>`.
 */
export function explainDeadEnd<State, Input, Output>(
  model: Model<State, Input, Output>,
  part: Partition<Input, Output>,
  deadEnd: DeadEnd<State>,
): string {
  const name = (op: number) => describeRecord(model, part.records[op]!, part.indices[op]!);
  const stuck = part.records[deadEnd.stuck]!;
  const prefix = deadEnd.linearized;
  const shown = prefix.slice(-EXPLAIN_PREFIX_LIMIT);
  const lines = [
    `key ${JSON.stringify(part.key)} is not linearizable (model ${model.name}): ` +
      `the history up to the completion of #${part.indices[deadEnd.stuck]} (t=${formatTime(stuck.completeAt)}) ` +
      'has no linearization.',
    `  could not place: ${name(deadEnd.stuck)}`,
    `  longest linearizable prefix found (${prefix.length} ops), leaving state ${describeState(model, deadEnd.state)}:`,
  ];
  if (shown.length < prefix.length) lines.push(`    … ${prefix.length - shown.length} earlier ops`);
  lines.push(...shown.map((op) => `    ${name(op)}`));
  if (prefix.length === 0) lines.push('    (none: not even the first op fits)');
  if (deadEnd.pending.length > 0) {
    lines.push(
      '  also pending then (none of them could go next either):',
      ...deadEnd.pending.map((op) => `    ${name(op)}`),
    );
  }
  return lines.join('\n');
}

/** `#7 p2 get() → "a" [30, 40]`, or `… [35, ∞) info` for an op of unknown outcome. */
export function describeRecord<State, Input, Output>(
  model: Model<State, Input, Output>,
  record: Operation<Input, Output>,
  index: number,
): string {
  const who = typeof record.process === 'number' ? `p${record.process}` : record.process;
  const known = record.status === 'ok';
  const what = describeOp(model, record.op, record.input, known ? record.output : undefined);
  const when = known
    ? `[${formatTime(record.invokeAt)}, ${formatTime(record.completeAt)}]`
    : `[${formatTime(record.invokeAt)}, ∞) ${record.status}`;
  return `#${index} ${who} ${what} ${when}`;
}
