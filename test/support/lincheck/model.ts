import { canonicalJson } from './json.ts';

/**
 * A sequential specification of one key's object. The checker looks for an
 * order of the key's operations, consistent with real time, in which every
 * step is legal in this model.
 */
export interface Model<State, Input = unknown, Output = unknown> {
  /** Shown in explanations. */
  readonly name: string;
  /** The state of a key no operation touched yet. */
  init(): State;
  /**
   * The states `op` may leave behind when applied in `state` and answering
   * `output`; empty when that output is impossible there. `output` is
   * undefined when unknown (an `info` op): return every possible outcome.
   * More than one state lets a model be nondeterministic. Must be pure: the
   * search calls it many times on the same arguments and keeps `state`.
   */
  step(state: State, op: string, input: Input, output: Output | undefined): readonly State[];
  /** A canonical text of a state: equal keys iff equivalent states (the search memoizes on it). */
  key(state: State): string;
  /**
   * True for ops that never change the state. An `info` op of this kind can
   * be dropped before the search: with its output unknown it constrains nothing,
   * while keeping it would double the states to explore.
   */
  readOnly?(op: string): boolean;
  /**
   * True for ops whose resulting state never depends on the prior state
   * (a register's put and delete). Optional, for speed only: an info op of
   * this kind right after another info op is skipped without calling `step`,
   * as it would overwrite that op's effect (see search.ts).
   */
  blind?(op: string): boolean;
  /** A human text of one op (default: `op(input) → output`). */
  describeOp?(op: string, input: Input, output: Output | undefined): string;
  /** A human text of a state (default: its key). */
  describeState?(state: State): string;
}

/** `op(input) → output`, with `?` for an unknown output; inputs `undefined`/`null` print as `()`. */
export function defaultDescribeOp(op: string, input: unknown, output: unknown): string {
  const args = input === undefined || input === null ? '' : canonicalJson(input);
  const result = output === undefined ? '?' : canonicalJson(output);
  return `${op}(${args}) → ${result}`;
}

/** The model's own op text, else the default. */
export function describeOp<S, I, O>(
  model: Model<S, I, O>,
  op: string,
  input: I,
  output: O | undefined,
): string {
  return model.describeOp?.(op, input, output) ?? defaultDescribeOp(op, input, output);
}

/** The model's own state text, else its key. */
export function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  return model.describeState?.(state) ?? model.key(state);
}
