import { LincheckError } from './errors.ts';
import { canonicalJson, jsonEqual } from './json.ts';
import type { Model } from './model.ts';

/** A register's value: a string or a JSON number. */
export type KvValue = string | number;
/** A register's state: its value, or null when absent (never written, or deleted). */
export type KvState = KvValue | null;
/** Input of `cas`: `expected: null` means "only if absent". */
export interface CasInput {
  readonly expected: KvValue | null;
  readonly value: KvValue;
}
/** Output of `cas`. */
export interface CasOutput {
  readonly succeeded: boolean;
}

/**
 * A key-value register, one per key:
 * - `put(value)` → anything (an acknowledgement; not checked)
 * - `get()` → the value, or null when absent
 * - `cas({ expected, value })` → `{ succeeded }`: writes only if the current value equals `expected`
 * - `delete()` → anything; afterwards `get()` → null
 * Values compare by deep equality of their JSON.
 */
export const kvRegisterModel: Model<KvState> = {
  name: 'kv-register',
  init: () => null,
  key: (state) => canonicalJson(state),
  readOnly: (op) => op === 'get',
  blind: (op) => op === 'put' || op === 'delete',
  step(state, op, input, output) {
    switch (op) {
      case 'put':
        return [kvValue(input, 'put input')];
      case 'delete':
        return [null];
      case 'get':
        // An unknown output (info) constrains nothing; a known one must be the current value.
        if (output !== undefined) kvState(output, 'get output');
        return output === undefined || jsonEqual(output, state) ? [state] : [];
      case 'cas':
        return stepCas(state, casInput(input), output === undefined ? undefined : casOutput(output));
      default:
        throw new LincheckError('INVALID_OPERATION', `kv-register has no op ${JSON.stringify(op)}`);
    }
  },
  describeState: (state) => (state === null ? 'absent' : canonicalJson(state)),
};

function stepCas(state: KvState, input: CasInput, output: CasOutput | undefined): KvState[] {
  const matches = jsonEqual(state, input.expected);
  // Deterministic: the current state decides the outcome, so an unknown output just follows it.
  if (output === undefined) return [matches ? input.value : state];
  if (output.succeeded !== matches) return [];
  return [matches ? input.value : state];
}

function kvValue(value: unknown, what: string): KvValue {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new LincheckError(
    'INVALID_OPERATION',
    `${what} must be a string or a finite number: ${String(value)}`,
  );
}

function kvState(value: unknown, what: string): KvState {
  return value === null ? null : kvValue(value, what);
}

function casInput(input: unknown): CasInput {
  if (typeof input !== 'object' || input === null || !('expected' in input) || !('value' in input)) {
    throw new LincheckError(
      'INVALID_OPERATION',
      `cas input must be { expected, value }: ${canonicalJson(input)}`,
    );
  }
  return { expected: kvState(input.expected, 'cas expected'), value: kvValue(input.value, 'cas value') };
}

function casOutput(output: unknown): CasOutput {
  if (typeof output !== 'object' || output === null || !('succeeded' in output)) {
    throw new LincheckError(
      'INVALID_OPERATION',
      `cas output must be { succeeded }: ${canonicalJson(output)}`,
    );
  }
  if (typeof output.succeeded !== 'boolean') {
    throw new LincheckError('INVALID_OPERATION', `cas succeeded must be a boolean: ${canonicalJson(output)}`);
  }
  return { succeeded: output.succeeded };
}
