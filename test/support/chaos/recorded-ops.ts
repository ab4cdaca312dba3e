/**
 * One client op, recorded: the invocation stamped before the call, the
 * completion after it, and the outcome classified as Jepsen does:
 * - ok: it answered;
 * - fail: a FlotillaError with `maybeApplied` false, which the SDK promises
 *   only when the write certainly did not happen (the checker holds it to that);
 * - info: anything else (a write that may have applied, an unknown error).
 * Outputs are what the lincheck models read; write outputs also carry the
 * revision, which the watch check matches against the watcher's events.
 */

import { FlotillaError } from '../../../src/client/index.ts';
import type { HistoryRecorder } from '../lincheck/recorder.ts';

export type Status = 'ok' | 'fail' | 'info';

/** Ledger writes: fresh names, each written once. */
export interface LedgerEntry {
  readonly name: string;
  status: Status;
  /** The revision an acknowledged write made. */
  revision: number;
}

export interface Ledger {
  readonly kv: LedgerEntry[];
  readonly instances: LedgerEntry[];
}

export function classify(error: unknown): 'fail' | 'info' {
  return error instanceof FlotillaError && !error.maybeApplied ? 'fail' : 'info';
}

export type Recorded =
  | { readonly status: 'ok'; readonly output: Record<string, unknown> }
  | { readonly status: 'fail' | 'info' };

type KvOp = 'get' | 'put' | 'cas' | 'delete';
type ServiceOp = 'register' | 'deregister' | 'discover';

/** A kv op on `key`; the model sees get → value, cas → { succeeded }, put/delete → { revision, … }. */
export async function recordKv(
  recorder: HistoryRecorder,
  process: string,
  key: string,
  op: KvOp,
  input: unknown,
  call: () => Promise<object>,
): Promise<Recorded> {
  return record(recorder, process, key, op, input, call, (r) =>
    op === 'get' ? (r as { value: unknown }).value : r,
  );
}

/** A registry op on service `key`; the model sees discover → instance ids, register/deregister → { revision, … }. */
export async function recordService(
  recorder: HistoryRecorder,
  process: string,
  key: string,
  op: ServiceOp,
  input: unknown,
  call: () => Promise<object>,
): Promise<Recorded> {
  return record(recorder, process, key, op, input, call, (r) =>
    op === 'discover' ? (r as { instances: { id: string }[] }).instances.map((i) => i.id) : r,
  );
}

async function record(
  recorder: HistoryRecorder,
  process: string,
  key: string,
  op: string,
  input: unknown,
  call: () => Promise<object>,
  modelOutput: (result: object) => unknown,
): Promise<Recorded> {
  const handle = recorder.invoke(process, key, op, input);
  try {
    const result = await call();
    handle.ok(modelOutput(result));
    return { status: 'ok', output: result as Record<string, unknown> };
  } catch (error) {
    const status = classify(error);
    if (status === 'fail') handle.fail();
    else handle.info();
    return { status };
  }
}
