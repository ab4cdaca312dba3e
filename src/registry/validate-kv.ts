/**
 * Validation of kv keys and values. Values are bytes or JSON; top-level `null`
 * is reserved for "absent" (in `kv.get` answers and as the `expected` of a cas).
 */

import { invalidArgument } from './errors.ts';
import type { JsonValue, KvValue } from './types.ts';
import { isPlainObject, str } from './validate-primitives.ts';

/** Longest kv key, in characters. */
export const MAX_KV_KEY_LENGTH = 512;
/** Largest kv value: bytes, or characters of its JSON text. */
export const MAX_KV_VALUE_BYTES = 256 * 1024;
/** Deepest nesting of a JSON value. */
export const MAX_JSON_DEPTH = 32;

/** A kv key: 1–512 characters without control characters. */
export function validateKvKey(value: unknown, field = 'key'): string {
  return str(value, field, MAX_KV_KEY_LENGTH);
}

/**
 * A kv value: a `Uint8Array` (copied into a plain, unshared one) or a JSON
 * value other than `null`, at most {@link MAX_KV_VALUE_BYTES}.
 */
export function validateKvValue(value: unknown, field = 'value'): KvValue {
  if (value instanceof Uint8Array) {
    if (value.byteLength > MAX_KV_VALUE_BYTES) {
      throw invalidArgument(field, `must be at most ${MAX_KV_VALUE_BYTES} bytes`);
    }
    return new Uint8Array(value);
  }
  if (value === null) throw invalidArgument(field, 'must not be null (null means absent)');
  json(value, field, 0);
  if (JSON.stringify(value).length > MAX_KV_VALUE_BYTES) {
    throw invalidArgument(field, `must be at most ${MAX_KV_VALUE_BYTES} characters of JSON`);
  }
  return value as KvValue;
}

function json(value: unknown, field: string, depth: number): asserts value is JsonValue {
  if (depth > MAX_JSON_DEPTH) throw invalidArgument(field, `must nest at most ${MAX_JSON_DEPTH} levels`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArgument(field, 'must be a finite number');
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) json(v, field, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') throw invalidArgument(field, 'must not contain a __proto__ key');
      json(v, field, depth + 1);
    }
    return;
  }
  throw invalidArgument(field, 'must be bytes or a JSON value');
}

/** Structural equality of two kv values (bytes with bytes, JSON with JSON). */
export function kvValuesEqual(a: KvValue | JsonValue, b: KvValue | JsonValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(b);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => kvValuesEqual(v, b[i] as JsonValue))
    );
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && kvValuesEqual(a[k] as JsonValue, b[k] as JsonValue));
}
