/**
 * The one error class of Flotilla, with a stable `code` callers branch on
 * (STYLE §4, after fastify's `FST_ERR_*`). Over the wire it travels as
 * `{ code, message, details }` ({@link ErrorInfo}) and is rebuilt from `code`.
 */

/** Every code a Flotilla error may carry. Stable: clients branch on these strings. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'NOT_LEADER'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'CLOSED'
  | 'WATCH_OVERFLOW'
  /** A per-connection limit (request size, concurrent requests, watches) was exceeded; nothing was done. */
  | 'LIMIT_EXCEEDED'
  /** A retried write whose sequence number a later write of the same session superseded (§6.3). */
  | 'STALE_SEQUENCE'
  | 'INTERNAL';

/** Structured context of an error, e.g. `{ field: 'port' }` for `INVALID_ARGUMENT`. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

/** The serialisable form of a {@link FlotillaError}: what apply results and the wire carry. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: ErrorDetails;
}

/** Options of {@link FlotillaError}. */
export interface FlotillaErrorOptions {
  readonly details?: ErrorDetails;
  /** True only when the caller cannot know whether a write took effect. */
  readonly maybeApplied?: boolean;
  readonly cause?: unknown;
}

/** An error with a stable {@link ErrorCode}. */
export class FlotillaError extends Error {
  override readonly name = 'FlotillaError';
  readonly details: ErrorDetails;
  /** True only when the write may or may not have been applied (e.g. a timeout after sending). */
  readonly maybeApplied: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: FlotillaErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
    this.maybeApplied = options.maybeApplied ?? false;
  }

  /** The serialisable form, for apply results and the wire. */
  toInfo(): ErrorInfo {
    return Object.keys(this.details).length === 0
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }

  /** Rebuilds an error from its serialisable form. */
  static fromInfo(info: ErrorInfo, options: Omit<FlotillaErrorOptions, 'details'> = {}): FlotillaError {
    return new FlotillaError(info.code, info.message, {
      ...options,
      ...(info.details === undefined ? {} : { details: info.details }),
    });
  }
}

/** Shorthand for an `INVALID_ARGUMENT` error naming the offending field. */
export function invalidArgument(field: string, message: string): FlotillaError {
  return new FlotillaError('INVALID_ARGUMENT', `${field}: ${message}`, { details: { field } });
}
