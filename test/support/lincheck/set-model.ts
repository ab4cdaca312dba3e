import { LincheckError } from './errors.ts';
import { canonicalJson } from './json.ts';
import type { Model } from './model.ts';

/** The instances registered under one service name: sorted, no duplicates. */
export type ServiceSetState = readonly string[];

/**
 * A service registry keyed by service name (the history's `key`):
 * - `register(instanceId)` → anything; idempotent
 * - `deregister(instanceId)` → anything; a no-op when absent
 * - `discover()` → the registered ids, as a list (its order is ignored; duplicates are an anomaly)
 */
export const serviceSetModel: Model<ServiceSetState> = {
  name: 'service-set',
  init: () => [],
  key: (state) => JSON.stringify(state),
  readOnly: (op) => op === 'discover',
  step(state, op, input, output) {
    switch (op) {
      case 'register': {
        const id = instanceId(input);
        return [state.includes(id) ? state : [...state, id].sort()];
      }
      case 'deregister': {
        const id = instanceId(input);
        return [state.filter((x) => x !== id)];
      }
      case 'discover':
        return output === undefined || sameIds(discovered(output), state) ? [state] : [];
      default:
        throw new LincheckError('INVALID_OPERATION', `service-set has no op ${JSON.stringify(op)}`);
    }
  },
  describeState: (state) => `{${state.join(', ')}}`,
};

function instanceId(input: unknown): string {
  if (typeof input === 'string') return input;
  throw new LincheckError('INVALID_OPERATION', `instanceId must be a string: ${canonicalJson(input)}`);
}

function discovered(output: unknown): string[] {
  if (Array.isArray(output) && output.every((x) => typeof x === 'string')) return [...output].sort();
  throw new LincheckError(
    'INVALID_OPERATION',
    `discover output must be a list of ids: ${canonicalJson(output)}`,
  );
}

// Sorted, and compared element by element: a duplicated id in the output is a mismatch.
function sameIds(sortedOutput: readonly string[], state: ServiceSetState): boolean {
  return sortedOutput.length === state.length && sortedOutput.every((x, i) => x === state[i]);
}
