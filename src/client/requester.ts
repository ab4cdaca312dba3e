/**
 * The narrow face of the client that the service and kv facades use, so
 * they depend on two methods rather than on the client class.
 */

import type { ArgsOf, ClientOp, ResultOf, WatchFilter } from '../protocol/client-protocol.ts';
import type { WatchOptions, WatchStream } from './watch-stream.ts';

/** Options every call takes. */
export interface CallOptions {
  /** This call's deadline in ms (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
}

/** What the facades call: typed requests and watches. */
export interface Requester {
  request<K extends ClientOp>(op: K, args: ArgsOf<K>, options?: CallOptions): Promise<ResultOf<K>>;
  watch(filter: WatchFilter, options?: WatchOptions): WatchStream;
}

/**
 * A shallow copy of `o` without its `undefined` fields: optional arguments
 * left out by the caller must not reach the wire as explicit values.
 */
export function defined<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}

/** `T` with every field that may be `undefined` made optional instead (`exactOptionalPropertyTypes`). */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};
