import { crc32 } from 'node:zlib';

/**
 * One WAL frame: `length u32 | crc32(payload) u32 | payload | zero padding`,
 * big-endian, padded to 8 bytes so frames start on aligned offsets. A segment
 * is preallocated (sparse, reads as zeros), so the end of the written part is
 * the first frame whose length is 0.
 */
export const FRAME_HEADER_BYTES = 8;
const ALIGN = 8;

export function frameBytes(payloadBytes: number): number {
  return FRAME_HEADER_BYTES + Math.ceil(payloadBytes / ALIGN) * ALIGN;
}

/** Writes `payload` as a frame at `offset` of `into` (which must have room and be zeroed there). */
export function writeFrame(into: Uint8Array, offset: number, payload: Uint8Array): number {
  const view = new DataView(into.buffer, into.byteOffset + offset, FRAME_HEADER_BYTES);
  view.setUint32(0, payload.byteLength);
  view.setUint32(4, crc32(payload) >>> 0);
  into.set(payload, offset + FRAME_HEADER_BYTES);
  return offset + frameBytes(payload.byteLength);
}

/** What a scan of one segment found: the payloads of its valid frames, where they end, and the first bad frame. */
export interface SegmentScan {
  readonly payloads: Uint8Array[];
  /** Offset just past the last valid frame: where the next frame goes. */
  readonly end: number;
  /** The first frame that is neither valid nor the zeroed end of the segment. */
  readonly bad?: {
    readonly offset: number;
    readonly detail: string;
    /** A valid frame starts somewhere after the bad one: the damage is not a torn last write. */
    readonly validFrameAfter: boolean;
  };
}

function isZero(bytes: Uint8Array, from: number): boolean {
  const zeros = new Uint8Array(64 * 1024);
  for (let p = from; p < bytes.byteLength; p += zeros.byteLength) {
    const chunk = bytes.subarray(p, Math.min(p + zeros.byteLength, bytes.byteLength));
    if (Buffer.compare(chunk, zeros.subarray(0, chunk.byteLength)) !== 0) return false;
  }
  return true;
}

/** The frame at `offset`: its payload, or why it is not a frame. */
function frameAt(bytes: Uint8Array, view: DataView, offset: number): Uint8Array | string {
  if (offset + FRAME_HEADER_BYTES > bytes.byteLength) return 'truncated frame header';
  const length = view.getUint32(offset);
  if (length === 0) return 'zero-length frame';
  const start = offset + FRAME_HEADER_BYTES;
  if (start + length > bytes.byteLength) return `frame of ${length} bytes runs past the end of the file`;
  const payload = bytes.subarray(start, start + length);
  const stored = view.getUint32(offset + 4);
  const actual = crc32(payload) >>> 0;
  if (stored !== actual) return `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`;
  return payload;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Reads every frame of a segment. The segment ends cleanly where the rest of
 * the file is zeros. Anything else (a checksum mismatch, a length that runs
 * off the file, data after a zero length) is reported as `bad`, with whether
 * a valid frame follows it: a torn last write leaves nothing valid behind it,
 * bit rot in the middle of the log does.
 */
export function scanSegment(bytes: Uint8Array): SegmentScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const frame = frameAt(bytes, view, offset);
    if (typeof frame !== 'string') {
      payloads.push(frame);
      offset += frameBytes(frame.byteLength);
      continue;
    }
    if (isZero(bytes, offset)) return { payloads, end: offset };
    let validFrameAfter = false;
    for (let p = offset + ALIGN; p + FRAME_HEADER_BYTES <= bytes.byteLength; p += ALIGN) {
      const length = view.getUint32(p);
      if (length === 0 || p + FRAME_HEADER_BYTES + length > bytes.byteLength) continue;
      if (typeof frameAt(bytes, view, p) !== 'string') {
        validFrameAfter = true;
        break;
      }
    }
    return { payloads, end: offset, bad: { offset, detail: frame, validFrameAfter } };
  }
  return { payloads, end: offset };
}
