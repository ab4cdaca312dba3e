/**
 * Turns an untrusted decoded value into a `Message`, or says why it is not
 * one. Every accepted message is a fresh object holding only the fields its
 * type declares, so nothing a peer adds (extra keys, prototypes, Dates, big
 * integers) ever reaches the core, whose code trusts the shapes in types.ts.
 * Byte fields are copied into plain `Uint8Array`s (see `bytes`).
 */

import type { ConfState, Entry, Message, MessageType, NodeId, SnapshotMeta } from '../core/types.ts';

/** Thrown inside this module only; `toMessage` turns it into a result. */
class ShapeError extends Error {}

type Rec = Record<string, unknown>;

function record(v: unknown, what: string): Rec {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new ShapeError(`${what} is not a map`);
  }
  return v as Rec;
}

/** A term or index: a non-negative safe integer (`min` lowers the floor, for read-index-resp's -1). */
function int(r: Rec, key: string, min = 0): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ShapeError(`${key} is not an integer >= ${min}`);
  }
  return v;
}

function str(r: Rec, key: string): string {
  const v = r[key];
  if (typeof v !== 'string') throw new ShapeError(`${key} is not a string`);
  return v;
}

function bool(r: Rec, key: string): boolean {
  const v = r[key];
  if (typeof v !== 'boolean') throw new ShapeError(`${key} is not a boolean`);
  return v;
}

/**
 * Copies bytes into a plain, unshared `Uint8Array`. msgpackr decodes binary as
 * a Node `Buffer` that is a view into the whole received frame: keeping it
 * would pin the frame in memory for as long as the core holds the entry, and
 * `Buffer` is not what the core's types (and tests' deep equality) expect.
 */
function bytes(r: Rec, key: string): Uint8Array {
  const v = r[key];
  if (!(v instanceof Uint8Array)) throw new ShapeError(`${key} is not binary`);
  return new Uint8Array(v);
}

function ids(r: Rec, key: string): NodeId[] {
  const v = r[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ShapeError(`${key} is not a list of node ids`);
  }
  return [...(v as string[])];
}

function confState(v: unknown): ConfState {
  const r = record(v, 'conf');
  return { voters: ids(r, 'voters'), learners: ids(r, 'learners'), promoting: ids(r, 'promoting') };
}

function snapshotMeta(v: unknown): SnapshotMeta {
  const r = record(v, 'meta');
  return { index: int(r, 'index'), term: int(r, 'term'), conf: confState(r.conf) };
}

function entry(v: unknown): Entry {
  const r = record(v, 'entry');
  const type = r.type;
  if (type === 'normal')
    return { type, index: int(r, 'index'), term: int(r, 'term'), data: bytes(r, 'data') };
  if (type === 'conf') return { type, index: int(r, 'index'), term: int(r, 'term'), conf: confState(r.conf) };
  throw new ShapeError('entry type is unknown');
}

function entries(r: Rec): Entry[] {
  const v = r.entries;
  if (!Array.isArray(v)) throw new ShapeError('entries is not a list');
  return v.map(entry);
}

/** The fields after `type`, `from`, `to`, `term`, one reader per message type. */
const bodies: { readonly [T in MessageType]: (r: Rec) => object } = {
  vote: (r) => ({
    lastLogIndex: int(r, 'lastLogIndex'),
    lastLogTerm: int(r, 'lastLogTerm'),
    transfer: bool(r, 'transfer'),
  }),
  'pre-vote': (r) => bodies.vote(r),
  'vote-resp': (r) => ({ granted: bool(r, 'granted') }),
  'pre-vote-resp': (r) => ({ granted: bool(r, 'granted') }),
  append: (r) => ({
    prevIndex: int(r, 'prevIndex'),
    prevTerm: int(r, 'prevTerm'),
    entries: entries(r),
    commit: int(r, 'commit'),
  }),
  'append-resp': (r) => ({
    success: bool(r, 'success'),
    index: int(r, 'index'),
    hintTerm: int(r, 'hintTerm'),
    hintIndex: int(r, 'hintIndex'),
  }),
  heartbeat: (r) => ({ commit: int(r, 'commit'), ctx: str(r, 'ctx') }),
  'heartbeat-resp': (r) => ({ ctx: str(r, 'ctx') }),
  snapshot: (r) => ({
    meta: snapshotMeta(r.meta),
    size: int(r, 'size'),
    offset: int(r, 'offset'),
    data: bytes(r, 'data'),
    done: bool(r, 'done'),
    seq: int(r, 'seq'),
  }),
  'snapshot-resp': (r) => ({
    index: int(r, 'index'),
    snapTerm: int(r, 'snapTerm'),
    offset: int(r, 'offset'),
    seq: int(r, 'seq'),
  }),
  'timeout-now': () => ({}),
  'read-index': (r) => ({ ctx: str(r, 'ctx') }),
  'read-index-resp': (r) => ({ ctx: str(r, 'ctx'), index: int(r, 'index', -1) }),
};

/** The outcome of checking a decoded value: the message, or the first reason it is not one. */
export type ShapeResult =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly reason: string };

/** Checks `v` against the `Message` union; never throws. */
export function toMessage(v: unknown): ShapeResult {
  try {
    const r = record(v, 'message');
    const type = r.type;
    if (typeof type !== 'string' || !Object.hasOwn(bodies, type)) {
      return { ok: false, reason: 'message type is unknown' };
    }
    const body = bodies[type as MessageType](r);
    const message = { type, from: str(r, 'from'), to: str(r, 'to'), term: int(r, 'term'), ...body };
    return { ok: true, message: message as Message };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, reason: err.message };
    throw err;
  }
}
