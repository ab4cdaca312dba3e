/**
 * A FIFO of encoded frames bounded by count and by bytes. `push` refuses
 * rather than grows: the caller counts the drop and Raft retransmits.
 * Invariant: `length <= maxMessages` and `bytes <= maxBytes`.
 */
export class SendQueue {
  private frames: (Uint8Array | undefined)[] = [];
  /** Index of the oldest frame in `frames` (amortised O(1) shift). */
  private head = 0;
  private size = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  get bytes(): number {
    return this.size;
  }

  /** Appends `frame` unless a bound would be exceeded; returns whether it did. */
  push(frame: Uint8Array): boolean {
    if (this.length >= this.maxMessages || this.size + frame.byteLength > this.maxBytes) return false;
    this.frames.push(frame);
    this.size += frame.byteLength;
    return true;
  }

  /** Removes and returns the oldest frame. */
  shift(): Uint8Array | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.frames[this.head] = undefined; // release it now, not at the next compaction
    this.head += 1;
    this.size -= frame.byteLength;
    if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.size = 0;
  }
}
