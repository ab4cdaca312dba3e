import { LincheckError } from './errors.ts';
import type { Operation, OpStatus } from './history.ts';

/** Completes one recorded invocation, exactly once. */
export interface OpHandle<Output = unknown> {
  /** It completed and answered `output` (record null for "absent"). */
  ok(output: Output): void;
  /** It definitely did not take effect (e.g. rejected before being proposed). */
  fail(): void;
  /** Its outcome is unknown (timeout, lost connection): it may take effect later, or never. */
  info(): void;
}

/** Options of {@link HistoryRecorder}. */
export interface RecorderOptions {
  /** A monotonic clock shared by all processes (default `performance.now`). */
  readonly now?: () => number;
}

interface Draft {
  readonly process: number | string;
  readonly key: string;
  readonly op: string;
  readonly input: unknown;
  readonly invokeAt: number;
  output: unknown;
  completeAt: number | null;
  status: OpStatus | undefined;
}

/**
 * Records a history as a test runs: `invoke` stamps the invocation, the
 * handle stamps the completion. Ops still open when `history()` is read are
 * reported as `info`: a client that never heard back cannot know the outcome.
 */
export class HistoryRecorder {
  readonly #now: () => number;
  readonly #drafts: Draft[] = [];

  constructor(options: RecorderOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Stamps an invocation; complete it through the returned handle. */
  invoke<Output = unknown>(
    process: number | string,
    key: string,
    op: string,
    input: unknown,
  ): OpHandle<Output> {
    const draft: Draft = {
      process,
      key,
      op,
      input,
      invokeAt: this.#now(),
      output: undefined,
      completeAt: null,
      status: undefined,
    };
    this.#drafts.push(draft);
    const complete = (status: OpStatus, output: unknown) => {
      if (draft.status !== undefined) {
        throw new LincheckError(
          'ALREADY_COMPLETED',
          `${op} on ${key} by ${process} already ended ${draft.status}`,
        );
      }
      draft.completeAt = this.#now();
      draft.status = status;
      draft.output = output;
    };
    return {
      ok: (output) => complete('ok', output),
      fail: () => complete('fail', undefined),
      info: () => complete('info', undefined),
    };
  }

  /**
   * Records `call()` around its invocation: ok with its result, or, when it
   * throws, whatever `classify` says (info unless it is known not to have
   * happened). Rethrows the error.
   */
  async run<Output>(
    process: number | string,
    key: string,
    op: string,
    input: unknown,
    call: () => Promise<Output>,
    classify: (error: unknown) => 'fail' | 'info' = () => 'info',
  ): Promise<Output> {
    const handle = this.invoke<Output>(process, key, op, input);
    try {
      const output = await call();
      handle.ok(output);
      return output;
    } catch (error) {
      if (classify(error) === 'fail') handle.fail();
      else handle.info();
      throw error;
    }
  }

  /** The records so far, in invocation order; open ops read as info. */
  history(): Operation[] {
    return this.#drafts.map((d) => ({
      process: d.process,
      key: d.key,
      op: d.op,
      input: d.input,
      output: d.output,
      invokeAt: d.invokeAt,
      completeAt: d.completeAt,
      status: d.status ?? 'info',
    }));
  }
}
