import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import { LincheckError } from '../support/lincheck/errors.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import { HistoryRecorder } from '../support/lincheck/recorder.ts';

/** A clock the test moves by hand. */
function manualClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

describe('HistoryRecorder', () => {
  it('stamps invocations and completions with its clock and keeps invocation order', () => {
    const clock = manualClock();
    const recorder = new HistoryRecorder({ now: clock.now });
    const write = recorder.invoke(1, 'x', 'put', 'a');
    clock.t = 5;
    const read = recorder.invoke(2, 'x', 'get', null);
    clock.t = 7;
    write.ok('ok');
    clock.t = 9;
    read.ok('a');
    expect(recorder.history()).toEqual([
      { process: 1, key: 'x', op: 'put', input: 'a', output: 'ok', invokeAt: 0, completeAt: 7, status: 'ok' },
      { process: 2, key: 'x', op: 'get', input: null, output: 'a', invokeAt: 5, completeAt: 9, status: 'ok' },
    ]);
    expect(checkHistory(recorder.history(), kvRegisterModel).ok).toBe(true);
  });

  it('records fail and info without an output, and reports open ops as info', () => {
    const clock = manualClock();
    const recorder = new HistoryRecorder({ now: clock.now });
    recorder.invoke(1, 'x', 'put', 'a').fail();
    recorder.invoke(2, 'x', 'put', 'b').info();
    recorder.invoke(3, 'x', 'put', 'c');
    expect(recorder.history().map((r) => [r.status, r.output, r.completeAt])).toEqual([
      ['fail', undefined, 0],
      ['info', undefined, 0],
      ['info', undefined, null],
    ]);
  });

  it('refuses to complete an op twice', () => {
    const handle = new HistoryRecorder().invoke(1, 'x', 'put', 'a');
    handle.ok('ok');
    expect(() => handle.info()).toThrow(LincheckError);
  });

  it('run() records a result as ok and an error as info unless classified as fail', async () => {
    const recorder = new HistoryRecorder();
    await expect(recorder.run(1, 'x', 'put', 'a', async () => 'ok')).resolves.toBe('ok');
    const boom = new Error('timeout');
    await expect(recorder.run(1, 'x', 'put', 'b', () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      recorder.run(
        1,
        'x',
        'put',
        'c',
        () => Promise.reject(boom),
        () => 'fail',
      ),
    ).rejects.toBe(boom);
    expect(recorder.history().map((r) => r.status)).toEqual(['ok', 'info', 'fail']);
    const last = recorder.history().at(-1)!;
    expect(last.invokeAt).toBeLessThanOrEqual(last.completeAt!);
  });
});
