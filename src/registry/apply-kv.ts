/** Applying the kv commands: put, delete, compare-and-set. */

import type { ApplyContext, Outcome, RegistryState } from './registry-state.ts';
import type { KvValue } from './types.ts';
import { kvValuesEqual } from './validate-kv.ts';

/** Writes a key. */
export function applyKvPut(s: RegistryState, key: string, value: KvValue, ctx: ApplyContext): Outcome {
  const createRevision = s.kv.get(key)?.createRevision ?? ctx.index;
  s.kv.set(key, { value, createRevision, modRevision: ctx.index });
  ctx.emit({ revision: ctx.index, kind: 'kv', type: 'put', key, value });
  return {};
}

/** Deletes a key; `deleted: false` when it was absent. */
export function applyKvDelete(s: RegistryState, key: string, ctx: ApplyContext): Outcome {
  if (!s.kv.delete(key)) return { deleted: false };
  ctx.emit({ revision: ctx.index, kind: 'kv', type: 'delete', key });
  return { deleted: true };
}

/**
 * Writes `value` if the key holds `expected` (structural equality), or if it
 * is absent when `expected` is `null`. A failed comparison changes nothing.
 */
export function applyKvCas(
  s: RegistryState,
  key: string,
  expected: KvValue | null,
  value: KvValue,
  ctx: ApplyContext,
): Outcome {
  const current = s.kv.get(key);
  const holds =
    expected === null
      ? current === undefined
      : current !== undefined && kvValuesEqual(current.value, expected);
  if (!holds) return { succeeded: false };
  applyKvPut(s, key, value, ctx);
  return { succeeded: true };
}
