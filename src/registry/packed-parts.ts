/**
 * Encoding a large value with msgpackr without its shared encode buffer
 * growing to the size of the whole value.
 *
 * msgpackr packs into one module-level buffer shared by every `Packr` of the
 * process, grows it by up to four times what one `pack` call needs, and
 * keeps it: after one `pack` of a 15 MB snapshot a node held a 47 MB buffer
 * for good, every later buffer it allocated was as large, and the leader's
 * log entries (views into them) kept 50 MB of them alive (heap profiles of
 * the bench's `state` workload, read with scripts/bench/heap-summary.ts).
 * {@link packInParts} writes the containers
 * at the top of the value itself and packs what they hold one by one, copying
 * each piece into its own buffer before the next, so msgpackr never holds
 * more than one piece at a time, and sizes that buffer from the last
 * encoding's size, so that a snapshot allocates its bytes once.
 */

import { type Packr, RESET_BUFFER_MODE } from 'msgpackr';

/** The least a buffer starts with. */
const MIN_BYTES = 64 * 1024;

/**
 * Bytes written in order into one buffer, sized by a hint so that in the
 * steady state it is allocated once and never copied: it grows by half when
 * the hint was short, and the result is a view of it unless that would keep
 * more than an eighth of it unused (then an exact copy).
 */
class GrowableBytes {
  private buffer: Uint8Array;
  private used = 0;

  constructor(sizeHint: number) {
    this.buffer = new Uint8Array(Math.max(MIN_BYTES, Math.ceil(sizeHint)));
  }

  write(bytes: Uint8Array): void {
    const end = this.used + bytes.byteLength;
    if (end > this.buffer.byteLength) {
      const bigger = new Uint8Array(Math.max(end, Math.ceil(this.buffer.byteLength * 1.5)));
      bigger.set(this.buffer.subarray(0, this.used));
      this.buffer = bigger;
    }
    this.buffer.set(bytes, this.used);
    this.used = end;
  }

  /** Every byte written, in an array of its own (a view of the whole buffer's start, or a copy). */
  finish(): Uint8Array {
    const unused = this.buffer.byteLength - this.used;
    return unused * 8 > this.buffer.byteLength
      ? this.buffer.slice(0, this.used)
      : this.buffer.subarray(0, this.used);
  }
}

/** msgpack array header, as msgpackr writes it (fixarray, array 16, array 32). */
function arrayHeader(length: number): Uint8Array {
  if (length < 0x10) return Uint8Array.of(0x90 | length);
  if (length < 0x10000) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  const header = new Uint8Array(5);
  header[0] = 0xdd;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

/** msgpack map header of a plain object: msgpackr without records or `variableMapSize` always writes map 16. */
function objectHeader(size: number): Uint8Array {
  if (size > 0xffff) throw new Error(`packInParts: an object of ${size} keys does not fit a map 16`);
  return Uint8Array.of(0xde, size >> 8, size & 0xff);
}

function ownKeys(object: Record<string, unknown>): string[] {
  // The keys msgpackr writes, in its order (`for…in`, own properties only).
  const keys: string[] = [];
  for (const key in object) if (Object.hasOwn(object, key)) keys.push(key);
  return keys;
}

function write(out: GrowableBytes, packr: Packr, value: unknown, depth: number): void {
  if (depth > 0 && value !== null && typeof value === 'object') {
    if (value.constructor === Array) {
      const array = value as readonly unknown[];
      out.write(arrayHeader(array.length));
      for (const element of array) write(out, packr, element, depth - 1);
      return;
    }
    if (value.constructor === Object) {
      const object = value as Record<string, unknown>;
      const keys = ownKeys(object);
      out.write(objectHeader(keys.length));
      for (const key of keys) {
        out.write(packOne(packr, key));
        write(out, packr, object[key], depth - 1);
      }
      return;
    }
  }
  out.write(packOne(packr, value));
}

/**
 * Packs one piece, to be copied at once: RESET_BUFFER_MODE has msgpackr
 * write the next piece over this one, so a snapshot makes it allocate
 * nothing (one new shared buffer per few MB of output otherwise).
 */
function packOne(packr: Packr, value: unknown): Uint8Array {
  return packr.pack(value, RESET_BUFFER_MODE);
}

/**
 * The bytes `packr.pack(value)` gives, in an array no other code shares,
 * for a `Packr` with `useRecords: false` and without `variableMapSize`: plain
 * objects and arrays down to `depth` levels are written here, and everything
 * below them is packed by `packr` one value at a time. `sizeHint`: the
 * expected size (the buffer starts that large); the array may be a view of a
 * buffer up to 8/7 of its length.
 */
export function packInParts(packr: Packr, value: unknown, depth: number, sizeHint = MIN_BYTES): Uint8Array {
  const out = new GrowableBytes(sizeHint);
  write(out, packr, value, depth);
  return out.finish();
}

/**
 * A size hint for the next of a series of encodings (snapshots of a state
 * that grows or stays): the last size plus its last growth, plus a sixteenth.
 */
export function nextSizeHint(previous: number, last: number): number {
  return last + Math.max(0, last - previous) + Math.max(MIN_BYTES, last / 16);
}
