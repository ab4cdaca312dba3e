import { crc32 } from 'node:zlib';

/**
 * One WAL frame: `length u32 | crc u32 | payload | zero padding`, big-endian,
 * padded to 8 bytes so frames start on aligned offsets. The CRC32 of the
 * payload is seeded with the segment's number and the frame's offset in it:
 * a frame is valid only where it was written, so bytes inside an entry that
 * look like a frame, or a frame copied from elsewhere, never validate. A
 * segment is preallocated (sparse, reads as zeros), so the end of the
 * written part is the first frame whose length is 0.
 */
export const FRAME_HEADER_BYTES = 8;
const ALIGN = 8;
/** The unit a disk writes atomically, at least: a torn write leaves whole sectors unwritten. */
const SECTOR = 512;

export function frameBytes(payloadBytes: number): number {
  return FRAME_HEADER_BYTES + Math.ceil(payloadBytes / ALIGN) * ALIGN;
}

/** Where a frame is (segment, offset), as the bytes its CRC starts from; reused, frames are sealed one at a time. */
const place = new Uint8Array(16);
const placeView = new DataView(place.buffer);

function frameCrc(payload: Uint8Array, segment: number, offset: number): number {
  placeView.setBigUint64(0, BigInt(segment));
  placeView.setBigUint64(8, BigInt(offset));
  return crc32(payload, crc32(place)) >>> 0;
}

/** A frame holding a copy of `payload`, its header still blank: `sealFrame` it once its place is known. */
export function newFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(frameBytes(payload.byteLength));
  frame.set(payload, FRAME_HEADER_BYTES);
  new DataView(frame.buffer).setUint32(0, payload.byteLength);
  return frame;
}

/** Writes the frame's checksum for its place: at `offset` of segment `segment`. */
export function sealFrame(frame: Uint8Array, segment: number, offset: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES);
  const payload = frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + view.getUint32(0));
  view.setUint32(4, frameCrc(payload, segment, offset));
}

/** What a scan of one segment found: the payloads of its valid frames, where they end, and the first bad frame. */
export interface SegmentScan {
  readonly payloads: Uint8Array[];
  /** Offset just past the last valid frame: where the next frame goes. */
  readonly end: number;
  /** The first frame that is neither valid nor the zeroed end of the segment. */
  readonly bad?: BadFrame;
}

export interface BadFrame {
  readonly offset: number;
  readonly detail: string;
  /**
   * It looks like a write that never completed: part of it was never written
   * (its header, or a whole sector of it, still reads as zeros) and no valid
   * frame follows. Anything else is damage to data that was written.
   */
  readonly torn: boolean;
  /** A valid frame starts after it: data written later would be lost with it. */
  readonly validFrameAfter: boolean;
}

const ZEROS = new Uint8Array(64 * 1024);

function isZero(bytes: Uint8Array, from: number, to = bytes.byteLength): boolean {
  const zeros = ZEROS;
  for (let p = from; p < to; p += zeros.byteLength) {
    const chunk = bytes.subarray(p, Math.min(p + zeros.byteLength, to));
    if (Buffer.compare(chunk, zeros.subarray(0, chunk.byteLength)) !== 0) return false;
  }
  return true;
}

/** Some sector overlapping [from, to) holds only zeros there: a sector the write never reached. */
function hasUnwrittenSector(bytes: Uint8Array, from: number, to: number): boolean {
  for (let s = Math.floor(from / SECTOR) * SECTOR; s < to; s += SECTOR) {
    if (isZero(bytes, Math.max(s, from), Math.min(s + SECTOR, to))) return true;
  }
  return false;
}

/** The frame at `offset`: its payload, or why it is not a frame. */
function frameAt(bytes: Uint8Array, view: DataView, segment: number, offset: number): Uint8Array | string {
  if (offset + FRAME_HEADER_BYTES > bytes.byteLength) return 'truncated frame header';
  const length = view.getUint32(offset);
  if (length === 0) return 'zero-length frame';
  const start = offset + FRAME_HEADER_BYTES;
  if (start + length > bytes.byteLength) return `frame of ${length} bytes runs past the end of the file`;
  const payload = bytes.subarray(start, start + length);
  const stored = view.getUint32(offset + 4);
  const actual = frameCrc(payload, segment, offset);
  if (stored !== actual) return `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`;
  return payload;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Reads every frame of segment `segment`. It ends cleanly where the rest of
 * the file is zeros. Anything else is reported as `bad`, with whether it
 * looks like a torn last write: a frame that fits the file (the file is
 * extended before a frame is written), of which the header or a whole sector
 * reads as zeros, with no valid frame after it.
 */
export function scanSegment(bytes: Uint8Array, segment: number): SegmentScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const frame = frameAt(bytes, view, segment, offset);
    if (typeof frame !== 'string') {
      payloads.push(frame);
      offset += frameBytes(frame.byteLength);
      continue;
    }
    if (isZero(bytes, offset)) return { payloads, end: offset };
    const length = offset + FRAME_HEADER_BYTES <= bytes.byteLength ? view.getUint32(offset) : 0;
    const fits = length > 0 && offset + FRAME_HEADER_BYTES + length <= bytes.byteLength;
    const unwritten =
      length === 0 ||
      (fits && hasUnwrittenSector(bytes, offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
    let validFrameAfter = false;
    for (
      let p = fits ? offset + frameBytes(length) : offset + ALIGN;
      p + FRAME_HEADER_BYTES <= bytes.byteLength;
      p += ALIGN
    ) {
      if (typeof frameAt(bytes, view, segment, p) !== 'string') {
        validFrameAfter = true;
        break;
      }
    }
    return {
      payloads,
      end: offset,
      bad: { offset, detail: frame, torn: unwritten && !validFrameAfter, validFrameAfter },
    };
  }
  return { payloads, end: offset };
}
