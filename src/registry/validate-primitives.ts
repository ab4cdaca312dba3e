/**
 * Building blocks of validation. Every check throws `INVALID_ARGUMENT` naming
 * the offending field (`details.field`), and is pure: the same input always
 * gets the same answer, so apply may run it again on every node.
 */

import { isIP } from 'node:net';
import { invalidArgument } from './errors.ts';

/** A plain object being validated. */
export type Rec = Readonly<Record<string, unknown>>;

/** Ids and names: a letter or digit, then up to 127 letters, digits, `.`, `_` or `-`. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;
/** Versions: like names but shorter, and `+` allowed (semver build metadata). */
export const VERSION_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._+-]{0,63}$/;
/** Meta keys: like names, with `/` allowed (`team/owner`). */
export const META_KEY_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._/-]{0,127}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const HOST_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** True for a plain object (what msgpack maps and object literals decode to). */
export function isPlainObject(value: unknown): value is Rec {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Requires a plain object whose keys are all in `allowed`; field '' stands for the command's `args`. */
export function record(value: unknown, field: string, allowed: readonly string[]): Rec {
  if (!isPlainObject(value)) throw invalidArgument(field === '' ? 'args' : field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalidArgument(join(field, key), 'unknown field');
  }
  return value;
}

/** `a.b`, or `b` at the top level (field ''). */
export function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

/** True when `r` has `key` with a value other than `undefined`. */
export function has(r: Rec, key: string): boolean {
  return Object.hasOwn(r, key) && r[key] !== undefined;
}

/** A string of 1–`maxLength` characters without control characters, matching `pattern` when given. */
export function str(value: unknown, field: string, maxLength: number, pattern?: RegExp): string {
  if (typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  if (value.length === 0) throw invalidArgument(field, 'must not be empty');
  if (value.length > maxLength) throw invalidArgument(field, `must be at most ${maxLength} characters`);
  if (CONTROL_CHARS.test(value)) throw invalidArgument(field, 'must not contain control characters');
  if (pattern !== undefined && !pattern.test(value)) {
    throw invalidArgument(field, `must match ${String(pattern)}`);
  }
  return value;
}

/** An id or a name ({@link NAME_PATTERN}). */
export function name(value: unknown, field: string): string {
  return str(value, field, 128, NAME_PATTERN);
}

/** An integer in `[min, max]`. */
export function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalidArgument(field, 'must be an integer');
  if (value < min || value > max) throw invalidArgument(field, `must be between ${min} and ${max}`);
  return value;
}

/** One of `choices`. */
export function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalidArgument(field, `must be one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** An array of at most `maxItems` items. */
export function list(value: unknown, field: string, maxItems: number): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(field, 'must be an array');
  if (value.length > maxItems) throw invalidArgument(field, `must have at most ${maxItems} items`);
  return value;
}

/** An IPv4 or IPv6 address, or an RFC 1123 host name (labels of 1–63 characters, 253 in all). */
export function address(value: unknown, field: string): string {
  const s = str(value, field, 253);
  if (isIP(s) !== 0) return s;
  const labels = s.split('.');
  const hostname = labels.every((l) => HOST_LABEL.test(l)) && !/^[0-9.]+$/.test(s);
  if (!hostname) throw invalidArgument(field, 'must be a host name or an IP address');
  return s;
}

/** `host:port` (IPv6 hosts in brackets or bare) with a port from 1 to 65535. */
export function hostPort(value: unknown, field: string): string {
  const text = str(value, field, 260);
  const at = text.lastIndexOf(':');
  const port = Number(text.slice(at + 1));
  if (at < 1 || !/^\d{1,5}$/.test(text.slice(at + 1)) || port < 1 || port > 65_535)
    throw invalidArgument(field, 'must be host:port with a port from 1 to 65535');
  address(text.slice(0, at).replace(/^\[(.*)\]$/, '$1'), field);
  return text;
}

/**
 * A map of at most `maxEntries` keys matching `keyPattern`, each value checked
 * by `item`. Built on a fresh object; `keyPattern` must exclude `__proto__`.
 */
export function map<T>(
  value: unknown,
  field: string,
  maxEntries: number,
  keyPattern: RegExp,
  item: (v: unknown, f: string) => T,
): Record<string, T> {
  if (!isPlainObject(value)) throw invalidArgument(field, 'must be an object');
  const keys = Object.keys(value);
  if (keys.length > maxEntries) throw invalidArgument(field, `must have at most ${maxEntries} entries`);
  const out: Record<string, T> = {};
  for (const key of keys) {
    const f = join(field, key);
    if (!keyPattern.test(key)) throw invalidArgument(f, `key must match ${String(keyPattern)}`);
    out[key] = item(value[key], f);
  }
  return out;
}
