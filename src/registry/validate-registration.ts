/**
 * Validation of an instance registration, run by the server before proposing
 * and again by apply (defence in depth). Pure: no clock, no I/O.
 */

import { invalidArgument } from './errors.ts';
import type { CheckDefinition, Registration } from './types.ts';
import {
  address,
  has,
  hostPort,
  int,
  isPlainObject,
  join,
  list,
  META_KEY_PATTERN,
  map,
  name,
  oneOf,
  type Rec,
  record,
  str,
  VERSION_PATTERN,
} from './validate-primitives.ts';

/** Limits of a registration. */
export const MAX_TAGS = 64;
export const MAX_TAG_LENGTH = 128;
export const MAX_META_ENTRIES = 64;
export const MAX_META_VALUE_LENGTH = 512;
export const MAX_CHECKS = 8;
export const MAX_WEIGHT = 1000;
export const DEFAULT_WEIGHT = 1;
const MAX_PATH_LENGTH = 1024;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 3_600_000;
const MAX_TTL_MS = 86_400_000;

const REGISTRATION_FIELDS = [
  'id',
  'name',
  'version',
  'address',
  'port',
  'tags',
  'meta',
  'weight',
  'zone',
  'checks',
] as const;
const CHECK_FIELDS = [
  'type',
  'url',
  'path',
  'address',
  'intervalMs',
  'timeoutMs',
  'ttlMs',
  'successesBeforePassing',
  'failuresBeforeCritical',
  'deregisterCriticalAfterMs',
] as const;
const MAX_THRESHOLD = 100;
const MIN_DEREGISTER_AFTER_MS = 1000;
const MAX_URL_LENGTH = 2048;

/**
 * Checks a registration and returns a fresh copy holding only its known
 * fields. Throws `INVALID_ARGUMENT` naming the first bad field.
 */
export function validateRegistration(input: unknown): Registration {
  if (!isPlainObject(input)) throw invalidArgument('registration', 'must be an object');
  const r = record(input, '', REGISTRATION_FIELDS);
  const out: { -readonly [K in keyof Registration]: Registration[K] } = {
    id: name(r.id, 'id'),
    name: name(r.name, 'name'),
    address: address(r.address, 'address'),
    port: int(r.port, 'port', 1, 65_535),
  };
  if (has(r, 'version')) out.version = str(r.version, 'version', 64, VERSION_PATTERN);
  if (has(r, 'tags')) out.tags = tags(r.tags);
  if (has(r, 'meta')) out.meta = map(r.meta, 'meta', MAX_META_ENTRIES, META_KEY_PATTERN, metaValue);
  if (has(r, 'weight')) out.weight = int(r.weight, 'weight', 0, MAX_WEIGHT);
  if (has(r, 'zone')) out.zone = name(r.zone, 'zone');
  if (has(r, 'checks'))
    out.checks = list(r.checks, 'checks', MAX_CHECKS).map((c, i) => check(c, `checks[${i}]`));
  return out;
}

function tags(value: unknown): string[] {
  return list(value, 'tags', MAX_TAGS).map((t, i) => str(t, `tags[${i}]`, MAX_TAG_LENGTH));
}

function metaValue(value: unknown, field: string): string {
  if (value === '') return value;
  return str(value, field, MAX_META_VALUE_LENGTH);
}

function check(value: unknown, field: string): CheckDefinition {
  const r = record(value, field, CHECK_FIELDS);
  const f = (key: string): string => join(field, key);
  const type = oneOf(r.type, f('type'), ['http', 'tcp', 'ttl'] as const);
  const out: { -readonly [K in keyof CheckDefinition]: CheckDefinition[K] } = { type };
  if (type === 'ttl') {
    forbid(r, field, ['url', 'path', 'address', 'intervalMs', 'timeoutMs'], 'ttl');
    out.ttlMs = int(r.ttlMs, f('ttlMs'), 1000, MAX_TTL_MS);
  } else {
    forbid(r, field, type === 'tcp' ? ['url', 'path', 'ttlMs'] : ['address', 'ttlMs'], type);
    if (has(r, 'url') && has(r, 'path')) throw invalidArgument(f('url'), 'give url or path, not both');
    if (has(r, 'url')) out.url = httpUrl(r.url, f('url'));
    if (has(r, 'path')) out.path = httpPath(r.path, f('path'));
    if (has(r, 'address')) out.address = hostPort(r.address, f('address'));
    const interval = has(r, 'intervalMs')
      ? int(r.intervalMs, f('intervalMs'), MIN_INTERVAL_MS, MAX_INTERVAL_MS)
      : undefined;
    if (interval !== undefined) out.intervalMs = interval;
    if (has(r, 'timeoutMs')) out.timeoutMs = int(r.timeoutMs, f('timeoutMs'), 1, interval ?? MAX_INTERVAL_MS);
  }
  if (has(r, 'successesBeforePassing'))
    out.successesBeforePassing = int(r.successesBeforePassing, f('successesBeforePassing'), 1, MAX_THRESHOLD);
  if (has(r, 'failuresBeforeCritical'))
    out.failuresBeforeCritical = int(r.failuresBeforeCritical, f('failuresBeforeCritical'), 1, MAX_THRESHOLD);
  if (has(r, 'deregisterCriticalAfterMs')) {
    const min = MIN_DEREGISTER_AFTER_MS;
    out.deregisterCriticalAfterMs = int(
      r.deregisterCriticalAfterMs,
      f('deregisterCriticalAfterMs'),
      min,
      MAX_TTL_MS,
    );
  }
  return out;
}

function httpUrl(value: unknown, field: string): string {
  const text = str(value, field, MAX_URL_LENGTH);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidArgument(field, 'must be http or https');
  return text;
}

function forbid(r: Rec, field: string, keys: readonly string[], type: string): void {
  for (const key of keys) {
    if (has(r, key)) throw invalidArgument(join(field, key), `not allowed for a ${type} check`);
  }
}

function httpPath(value: unknown, field: string): string {
  const path = str(value, field, MAX_PATH_LENGTH);
  if (!path.startsWith('/')) throw invalidArgument(field, "must start with '/'");
  return path;
}
