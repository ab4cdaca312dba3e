/**
 * The logging surface raft/ depends on: a subset of pino's API, so a pino
 * logger (or a `child()` of one) can be passed as is. Structured fields go in
 * `obj`, the human sentence in `msg`.
 */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => {};

/** The default: discards everything. */
export const noopLogger: Logger = Object.freeze({ info: noop, warn: noop, error: noop });
