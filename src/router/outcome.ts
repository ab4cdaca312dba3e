/**
 * How a routed request ended, as the breaker and the outlier detector see it.
 * Only failures of the instance count against it: a 4xx is the caller's
 * problem, and a caller that hung up tells nothing about the instance.
 */
export type Outcome =
  /** Any response below 500. */
  | 'success'
  /** A 5xx response (502 and 503 included), or a response that broke off mid-body. */
  | 'server-error'
  /** No response at all: refused, reset or unreachable before the response began. */
  | 'connect-failure'
  /** No response within the deadline. */
  | 'timeout'
  /** The caller gave up first: neither success nor failure. */
  | 'cancelled';

/** Whether `o` counts against the instance. */
export function isFailure(o: Outcome): boolean {
  return o === 'server-error' || o === 'connect-failure' || o === 'timeout';
}
