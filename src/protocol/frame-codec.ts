/**
 * Client frames as bytes: one plain msgpack value per WebSocket message (no
 * msgpackr records or extensions, so any msgpack client can speak it; bytes
 * travel as msgpack `bin` and come back as Uint8Array).
 */

import { Packr } from 'msgpackr';
import type { RequestFrame, ServerFrame } from './client-protocol.ts';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeFrame(frame: RequestFrame | ServerFrame): Uint8Array {
  return packr.pack(frame);
}

/** The outcome of decoding a frame a peer sent: the value, or why it is refused. */
export type Decoded<T> =
  | { readonly ok: true; readonly frame: T }
  | { readonly ok: false; readonly reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function unpack(bytes: Uint8Array): Decoded<Record<string, unknown>> {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return { ok: false, reason: 'frame is not msgpack' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'frame must be a msgpack map' };
  return { ok: true, frame: value };
}

const MAX_REQUEST_ID = Number.MAX_SAFE_INTEGER;

/**
 * A request as the node receives it: `id` a positive safe integer, `op` a
 * string. The op's arguments are checked by the handler that owns the op.
 */
export function decodeRequest(bytes: Uint8Array): Decoded<RequestFrame> {
  const d = unpack(bytes);
  if (!d.ok) return d;
  const f = d.frame;
  if (!Number.isSafeInteger(f.id) || (f.id as number) < 1 || (f.id as number) > MAX_REQUEST_ID) {
    return { ok: false, reason: 'id: must be a positive integer' };
  }
  if (typeof f.op !== 'string' || f.op.length === 0 || f.op.length > 64) {
    return { ok: false, reason: 'op: must be a non-empty string' };
  }
  for (const key of Object.keys(f)) {
    if (!['id', 'op', 'args', 'clientId', 'seq'].includes(key)) {
      return { ok: false, reason: `${key.slice(0, 40)}: unknown field of a request` };
    }
  }
  return { ok: true, frame: f as unknown as RequestFrame };
}

/** A frame as the SDK receives it (trusting the node for the shape of results). */
export function decodeServerFrame(bytes: Uint8Array): Decoded<ServerFrame> {
  const d = unpack(bytes);
  if (!d.ok) return d;
  const f = d.frame;
  if (!Number.isSafeInteger(f.id) && !Number.isSafeInteger(f.watch)) {
    return { ok: false, reason: 'frame has neither id nor watch' };
  }
  return { ok: true, frame: f as unknown as ServerFrame };
}

/** The id of a request frame that failed validation, when one can be read (0 otherwise). */
export function requestIdOf(bytes: Uint8Array): number {
  const d = unpack(bytes);
  if (!d.ok) return 0;
  const id = d.frame.id;
  return Number.isSafeInteger(id) && (id as number) > 0 ? (id as number) : 0;
}
