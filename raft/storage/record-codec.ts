import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';

/**
 * Every stored value is `crc32 (4 bytes, big-endian) | msgpack payload`, so a
 * flipped bit or a foreign write is caught on read instead of being applied.
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

export function encodeRecord(value: unknown): Uint8Array {
  const payload = packr.pack(value);
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, crc32(payload) >>> 0);
  out.set(payload, 4);
  return out;
}

/** Decodes a record, or returns an error message when its checksum or encoding is bad. */
export function decodeRecord(bytes: Uint8Array): { value: unknown } | { error: string } {
  if (bytes.byteLength < 5) return { error: `record of ${bytes.byteLength} bytes is too short` };
  const expected = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const payload = bytes.subarray(4);
  const actual = crc32(payload) >>> 0;
  if (actual !== expected) {
    return { error: `checksum mismatch (stored ${hex(expected)}, computed ${hex(actual)})` };
  }
  try {
    return { value: packr.unpack(payload) };
  } catch (cause) {
    return { error: `undecodable record: ${(cause as Error).message}` };
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Big-endian 8-byte index keys sort in index order under LevelDB's bytewise comparator. */
export function indexKey(prefix: number, index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

export function keyIndex(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}
