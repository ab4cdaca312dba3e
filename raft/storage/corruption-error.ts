/**
 * Storage found something it cannot trust: a checksum mismatch, a gap in the
 * log, a hard state that points past it, an unreadable snapshot. The node must
 * refuse to start and say exactly where (DESIGN: never a silent truncation).
 */
export class StorageCorruptionError extends Error {
  override readonly name = 'StorageCorruptionError';
  readonly code = 'CORRUPT' as const;

  constructor(
    /** The data directory (or file) that holds the bad record. */
    readonly path: string,
    /** What is wrong, in words an operator can act on. */
    readonly detail: string,
    /** The log index concerned, when there is one. */
    readonly index?: number,
  ) {
    super(`corrupt Raft data in ${path}${index === undefined ? '' : ` at index ${index}`}: ${detail}`);
  }
}
