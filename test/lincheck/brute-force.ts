import type { Operation } from '../support/lincheck/history.ts';
import type { Model } from '../support/lincheck/model.ts';

/**
 * An oracle for tiny single-key histories: tries every order of the ops that
 * respects real time (a before b when a completed strictly before b was
 * invoked), placing every ok op and any subset of the info ops. No memo, no
 * pruning, no cleverness: exponential, and obviously right.
 */
export function bruteForceLinearizable<State>(history: readonly Operation[], model: Model<State>): boolean {
  const ops = history.filter((r) => r.status !== 'fail');
  const end = (r: Operation) => (r.status === 'ok' ? r.completeAt! : Number.POSITIVE_INFINITY);
  const place = (state: State, remaining: readonly Operation[]): boolean => {
    if (remaining.every((r) => r.status !== 'ok')) return true;
    return remaining.some((next) => {
      // `next` may go now only if no other remaining op had to come before it.
      if (remaining.some((r) => r !== next && end(r) < next.invokeAt)) return false;
      const output = next.status === 'ok' ? next.output : undefined;
      const rest = remaining.filter((r) => r !== next);
      return model.step(state, next.op, next.input, output).some((s) => place(s, rest));
    });
  };
  return place(model.init(), ops);
}
