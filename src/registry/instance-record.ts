/**
 * How instances are laid out in memory. An instance is the registry's
 * largest population (100,000 of them is the benchmark's state), so each
 * one is built as one object literal in one field order — one hidden class,
 * every field in the object — and shares what needs no copy of its own:
 * empty tags, meta and checks, the service name, and the health and state
 * strings. Values and field order are never changed, so snapshots are the
 * same bytes as before.
 */

import type { RegistryState } from './registry-state.ts';
import type { CheckDefinition, Health, Instance, InstanceState } from './types.ts';

/** Shared by every instance without tags (frozen: nothing may change it). */
export const NO_TAGS: readonly string[] = Object.freeze([]);
/** Shared by every instance without meta. */
export const NO_META: Readonly<Record<string, string>> = Object.freeze({});
/** Shared by every instance without checks. */
export const NO_CHECKS: readonly CheckDefinition[] = Object.freeze([]);

/** `list`, or the shared `empty` when it is an empty array. */
export function shareEmptyList<T>(list: readonly T[], empty: readonly T[]): readonly T[] {
  return Array.isArray(list) && list.length === 0 ? empty : list;
}

/** `meta`, or {@link NO_META} when it is a plain object without a key. */
export function shareEmptyMeta(meta: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (meta === null || typeof meta !== 'object' || Object.getPrototypeOf(meta) !== Object.prototype)
    return meta;
  for (const _ in meta) return meta;
  return NO_META;
}

/**
 * The name string the service's instances already hold, so that a service
 * keeps one copy of its name instead of one per instance (each command and
 * each snapshot decodes its own).
 */
export function sharedServiceName(s: RegistryState, name: string): string {
  const members = s.services.get(name);
  if (members !== undefined) for (const existing of members.values()) return existing.name;
  return name;
}

const HEALTH: readonly Health[] = ['passing', 'warning', 'critical'];
const STATES: readonly InstanceState[] = ['active', 'draining'];

/** The literal equal to `value` (one string for all instances), or `value` itself when none is. */
function intern<T extends string>(value: T, literals: readonly T[]): T {
  for (const literal of literals) if (literal === value) return literal;
  return value;
}

/** The fields every instance has, in the order `applyRegister` creates them. */
const FIELDS = [
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
  'state',
  'health',
  'healthSince',
  'modRevision',
] as const;

/**
 * An instance decoded from a snapshot, rebuilt in the layout of an applied
 * one: the decoder builds objects field by field (fields outside the object,
 * a larger shape) and gives each its own strings and empty lists — 549 bytes
 * per instance restored as decoded against 373 rebuilt, in the bench's
 * instances. Same values and the same field order, so the next snapshot
 * encodes it to the same bytes; an instance whose fields are not in the
 * expected order is kept as decoded.
 */
export function compactInstance(s: RegistryState, decoded: Instance): Instance {
  const keys = Object.keys(decoded);
  for (let k = 0; k < FIELDS.length; k++) if (keys[k] !== FIELDS[k]) return decoded;
  const compact: Instance = {
    id: decoded.id,
    name: sharedServiceName(s, decoded.name),
    version: decoded.version,
    address: decoded.address,
    port: decoded.port,
    tags: shareEmptyList(decoded.tags, NO_TAGS),
    meta: shareEmptyMeta(decoded.meta),
    weight: decoded.weight,
    zone: decoded.zone,
    checks: shareEmptyList(decoded.checks, NO_CHECKS),
    state: intern(decoded.state, STATES),
    health: intern(decoded.health, HEALTH),
    healthSince: decoded.healthSince,
    modRevision: decoded.modRevision,
  };
  if (keys.length === FIELDS.length) return compact;
  // Fields set later (drainingSince, drainTimeoutMs), after the others and in their order.
  const rest = compact as unknown as Record<string, unknown>;
  const source = decoded as unknown as Record<string, unknown>;
  for (const key of keys.slice(FIELDS.length)) rest[key] = source[key];
  return compact;
}
