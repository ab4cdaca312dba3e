/** Why the checker refused its input (not a verdict: a malformed history or model misuse). */
export type LincheckErrorCode =
  /** A record breaks the history format (bad status, timestamps, a missing output). */
  | 'INVALID_HISTORY'
  /** A model was given an op it does not know, or an input/output of the wrong shape. */
  | 'INVALID_OPERATION'
  /** A recorder handle was completed twice. */
  | 'ALREADY_COMPLETED';

/** The checker's one error class, with a stable code (STYLE §4). */
export class LincheckError extends Error {
  constructor(
    readonly code: LincheckErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LincheckError';
  }
}
