import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import type { Operation } from '../support/lincheck/history.ts';
import { kvRegisterModel } from '../support/lincheck/kv-model.ts';
import { cas, del, FAIL, get, INFO, put } from './helpers.ts';

const check = (history: readonly Operation[]) => checkHistory(history, kvRegisterModel);

describe('kv register: linearizable histories are accepted', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(check([]).ok).toBe(true);
    expect(check([get(1, null, [0, 1]), put(1, 'a', [2, 3]), get(2, 'a', [4, 5]), del(1, [6, 7])]).ok).toBe(
      true,
    );
    expect(check([put(1, 'a', [0, 1]), del(2, [2, 3]), get(1, null, [4, 5])]).ok).toBe(true);
  });

  it('accepts concurrent writes read in either order', () => {
    const writes = [put(1, 'a', [0, 10]), put(2, 'b', [0, 10])];
    expect(check([...writes, get(3, 'a', [20, 30])]).ok).toBe(true);
    expect(check([...writes, get(3, 'b', [20, 30])]).ok).toBe(true);
  });

  it('accepts a read concurrent with a write seeing the old or the new value', () => {
    const base = [put(1, 'a', [0, 1]), put(1, 'b', [10, 20])];
    expect(check([...base, get(2, 'a', [12, 15])]).ok).toBe(true);
    expect(check([...base, get(2, 'b', [12, 15])]).ok).toBe(true);
  });

  it('counts intervals that merely touch as concurrent (a shared clock reading orders nothing)', () => {
    expect(check([put(1, 'a', [0, 10]), get(2, null, [10, 20])]).ok).toBe(true);
  });

  it('accepts an info write that took effect, even long after its invocation', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, null], INFO), get(3, 'a', [30, 40])];
    expect(check([...history, get(3, 'b', [100, 110])]).ok).toBe(true);
  });

  it('accepts an info write that never took effect', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, 25], INFO), get(3, 'a', [30, 40])];
    expect(check([...history, get(3, 'a', [100, 110])]).ok).toBe(true);
  });

  it('lets identical info writes (retries) each take effect, separately', () => {
    const twins = [put(2, 'b', [0, null], INFO), put(3, 'b', [0, null], INFO)];
    const consume = [cas(1, ['b', 'a'], true, [1, 2]), get(1, 'b', [3, 4])];
    expect(check([...twins, ...consume]).ok).toBe(true);
    expect(check([twins[0]!, ...consume]).ok).toBe(false);
    const deletes = [del(2, [2, null], INFO), del(3, [2, null], INFO)];
    const history = [
      put(1, 'a', [0, 1]),
      ...deletes,
      get(1, null, [3, 4]),
      put(1, 'b', [5, 6]),
      get(1, null, [7, 8]),
    ];
    expect(check(history).ok).toBe(true);
    expect(check(history.filter((r) => r !== deletes[1])).ok).toBe(false);
  });

  it('ignores a failed write nobody read, and info reads of anything', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, 30], FAIL), get(3, 'a', [40, 50])];
    expect(check([...history, get(4, 'zzz', [41, null], INFO)]).ok).toBe(true);
  });

  it('accepts cas successes and failures consistent with the register', () => {
    const history = [
      cas(1, [null, 'a'], true, [0, 10]),
      cas(2, ['a', 'b'], true, [20, 30]),
      cas(1, ['a', 'c'], false, [40, 50]),
      get(3, 'b', [60, 70]),
      cas(2, ['b', 7], true, [80, 90]),
      get(1, 7, [100, 110]),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('accepts two concurrent cas on the same value when exactly one succeeds', () => {
    const base = [
      put(1, 'a', [0, 1]),
      cas(2, ['a', 'b'], true, [10, 20]),
      cas(3, ['a', 'c'], false, [10, 20]),
    ];
    expect(check([...base, get(1, 'b', [30, 40])]).ok).toBe(true);
  });

  it('checks keys independently', () => {
    const history = [put(1, 'a', [0, 10], { key: 'x' }), put(2, 'b', [20, 30], { key: 'y' })];
    const reads = [get(3, 'a', [40, 50], { key: 'x' }), get(3, 'b', [40, 50], { key: 'y' })];
    expect(check([...history, ...reads])).toMatchObject({ ok: true, keys: 2 });
  });
});

describe('kv register: anomalies are rejected', () => {
  it('rejects a stale read, naming the read and the prefix before it', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, 30]), get(3, 'a', [40, 50])];
    const result = check(history);
    expect(result).toMatchObject({
      ok: false,
      key: 'x',
      stuck: history[2],
      linearized: [history[0], history[1]],
    });
  });

  it('rejects a lost acknowledged write', () => {
    const history = [
      put(1, 'a', [0, 10]),
      put(2, 'b', [20, 30]),
      get(3, 'a', [40, 50]),
      get(1, 'a', [60, 70]),
    ];
    expect(check(history)).toMatchObject({ ok: false, stuck: history[2] });
    expect(check([put(1, 'a', [0, 10]), get(2, null, [20, 30])]).ok).toBe(false);
  });

  it('rejects a read of a value never written', () => {
    const history = [put(1, 'a', [0, 10]), get(2, 'nope', [5, 30])];
    expect(check(history)).toMatchObject({ ok: false, stuck: history[1] });
  });

  it('compares values as JSON: the number 1 is not the string "1"', () => {
    expect(check([put(1, 1, [0, 10]), get(2, '1', [20, 30])]).ok).toBe(false);
    expect(check([put(1, 1, [0, 10]), get(2, 1, [20, 30])]).ok).toBe(true);
  });

  it('rejects two readers that see concurrent writes in contradictory orders', () => {
    const writes = [put(1, 'a', [0, 100]), put(2, 'b', [0, 100])];
    const reader3 = [get(3, 'a', [10, 20]), get(3, 'b', [30, 40])];
    const reader4 = [get(4, 'b', [10, 20]), get(4, 'a', [30, 40])];
    expect(check([...writes, ...reader3]).ok).toBe(true);
    expect(check([...writes, ...reader4]).ok).toBe(true);
    expect(check([...writes, ...reader3, ...reader4]).ok).toBe(false);
  });

  it('rejects an info write seen and then unseen (it takes effect at most once)', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, null], INFO), get(3, 'b', [30, 40])];
    expect(check([...history, get(3, 'a', [50, 60])]).ok).toBe(false);
  });

  it('rejects a read of a failed write', () => {
    const history = [put(1, 'a', [0, 10]), put(2, 'b', [20, 30], FAIL), get(3, 'b', [40, 50])];
    expect(check(history)).toMatchObject({ ok: false, stuck: history[2] });
  });

  it('rejects cas outcomes inconsistent with the register', () => {
    const a = put(1, 'a', [0, 10]);
    expect(check([a, cas(2, ['a', 'b'], false, [20, 30])]).ok).toBe(false);
    expect(check([a, cas(2, ['z', 'b'], true, [20, 30])]).ok).toBe(false);
    expect(check([cas(2, [null, 'b'], false, [20, 30])]).ok).toBe(false);
    expect(check([a, cas(2, ['a', 'b'], true, [20, 30]), get(3, 'a', [40, 50])]).ok).toBe(false);
  });

  it('rejects two concurrent cas from the same value that both succeed', () => {
    const history = [
      put(1, 'a', [0, 1]),
      cas(2, ['a', 'b'], true, [10, 20]),
      cas(3, ['a', 'c'], true, [10, 20]),
    ];
    expect(check(history).ok).toBe(false);
  });

  it('rejects a read of a value after its delete completed', () => {
    expect(check([put(1, 'a', [0, 10]), del(2, [20, 30]), get(3, 'a', [40, 50])]).ok).toBe(false);
  });

  it('reports the failing key when another key is fine', () => {
    const history = [
      put(1, 'a', [0, 10], { key: 'good' }),
      get(2, 'a', [20, 30], { key: 'good' }),
      put(1, 'a', [0, 10], { key: 'bad' }),
      get(2, 'b', [20, 30], { key: 'bad' }),
    ];
    expect(check(history)).toMatchObject({ ok: false, key: 'bad', stuck: history[3] });
  });
});
