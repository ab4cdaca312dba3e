/**
 * The registry's snapshot format: one plain msgpack value holding the whole
 * replicated state (sessions and revision included; the change history is not
 * kept). Encoding is deterministic: the same state, built by the same commands,
 * gives the same bytes on every node.
 */

import { Packr } from 'msgpackr';
import { packInParts } from './packed-parts.ts';
import type { Session } from './sessions.ts';
import type { Deployment, Instance, KvEntry, MemberAddress, RoutingPolicy } from './types.ts';
import { isPlainObject, type Rec } from './validate-primitives.ts';

/** Bumped whenever the layout changes; restore refuses other formats. 2 added `members`. */
export const SNAPSHOT_FORMAT = 2;
/** Older formats restore still reads (format 1 lacks `members`: an empty address book). */
const READABLE_FORMATS: readonly number[] = [1, SNAPSHOT_FORMAT];

/** The snapshot layout. Every collection is an array in the registry's own order. */
export interface SnapshotData {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly revision: number;
  readonly appliedIndex: number;
  readonly clock: number;
  readonly instances: readonly Instance[];
  readonly deployments: readonly Deployment[];
  readonly routing: readonly (readonly [string, RoutingPolicy])[];
  readonly kv: readonly (readonly [string, KvEntry])[];
  readonly sessions: readonly (readonly [string, Session])[];
  readonly members: readonly MemberAddress[];
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Encodes a snapshot into unshared bytes: the bytes of `packr.pack(data)`,
 * packed one collection element at a time into a buffer of about
 * `sizeHint` bytes (see packed-parts.ts for why).
 */
export function encodeSnapshot(data: SnapshotData, sizeHint?: number): Uint8Array {
  return packInParts(packr, data, 2, sizeHint);
}

/** Decodes a snapshot; throws an `Error` naming what is wrong when the bytes are not one. */
export function decodeSnapshot(bytes: Uint8Array): SnapshotData {
  const raw: unknown = packr.unpack(bytes);
  if (!isPlainObject(raw) || !READABLE_FORMATS.includes(raw.format as number)) {
    throw new Error(`registry snapshot: not format ${READABLE_FORMATS.join(' or ')}`);
  }
  const value: Rec = raw.format === 1 ? { ...raw, format: SNAPSHOT_FORMAT, members: [] } : raw;
  for (const key of ['instances', 'deployments', 'routing', 'kv', 'sessions', 'members']) {
    if (!Array.isArray(value[key])) throw new Error(`registry snapshot: ${key} is not an array`);
  }
  for (const key of ['revision', 'appliedIndex', 'clock']) {
    if (!Number.isSafeInteger(value[key])) throw new Error(`registry snapshot: ${key} is not an integer`);
  }
  const data = value as unknown as SnapshotData;
  // msgpackr decodes binary as Buffer views into the snapshot: copy into plain Uint8Arrays.
  const kv = data.kv.map(([key, entry]): [string, KvEntry] => [
    key,
    entry.value instanceof Uint8Array ? { ...entry, value: new Uint8Array(entry.value) } : entry,
  ]);
  return { ...data, kv };
}
