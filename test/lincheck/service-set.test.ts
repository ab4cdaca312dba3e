import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/lincheck/check-history.ts';
import type { Operation, OpStatus } from '../support/lincheck/history.ts';
import { serviceSetModel } from '../support/lincheck/set-model.ts';
import { record, type Span } from './helpers.ts';

const register = (p: number, id: string, span: Span, status: OpStatus = 'ok') =>
  record(p, 'register', id, 'ok', span, { key: 'api', status });
const deregister = (p: number, id: string, span: Span) =>
  record(p, 'deregister', id, 'ok', span, { key: 'api' });
const discover = (p: number, ids: string[], span: Span, key = 'api') =>
  record(p, 'discover', null, ids, span, { key });

const check = (history: readonly Operation[]) => checkHistory(history, serviceSetModel);

describe('service set model', () => {
  it('accepts discovers that see concurrent registrations one at a time, in any list order', () => {
    const history = [
      register(1, 'api-1', [0, 10]),
      register(2, 'api-2', [0, 10]),
      discover(3, ['api-2'], [2, 8]),
      discover(4, ['api-2', 'api-1'], [20, 30]),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('accepts idempotent registers and deregisters of absent ids', () => {
    const history = [
      register(1, 'a', [0, 1]),
      register(2, 'a', [2, 3]),
      deregister(1, 'b', [4, 5]),
      discover(3, ['a'], [6, 7]),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('accepts an info register that took effect, and one that did not', () => {
    const base = [register(1, 'a', [0, 1]), register(2, 'b', [2, null], 'info')];
    expect(check([...base, discover(3, ['a', 'b'], [10, 11])]).ok).toBe(true);
    expect(check([...base, discover(3, ['a'], [10, 11])]).ok).toBe(true);
  });

  it('rejects a discover that still sees an instance whose deregister completed', () => {
    const history = [register(1, 'a', [0, 1]), deregister(1, 'a', [2, 3]), discover(2, ['a'], [4, 5])];
    expect(check(history)).toMatchObject({ ok: false, key: 'api', stuck: history[2] });
  });

  it('rejects a discover that misses an acknowledged registration, or lists an id twice', () => {
    expect(check([register(1, 'a', [0, 1]), discover(2, [], [4, 5])]).ok).toBe(false);
    expect(check([register(1, 'a', [0, 1]), discover(2, ['a', 'a'], [4, 5])]).ok).toBe(false);
  });

  it('rejects discovers that see two registrations in contradictory orders', () => {
    const history = [
      register(1, 'a', [0, 100]),
      register(2, 'b', [0, 100]),
      discover(3, ['a'], [10, 20]),
      discover(4, ['b'], [10, 20]),
    ];
    expect(check(history).ok).toBe(false);
  });

  it('keeps services apart', () => {
    const history = [register(1, 'a', [0, 1]), discover(2, [], [4, 5], 'web'), discover(2, ['a'], [4, 5])];
    expect(check(history)).toMatchObject({ ok: true, keys: 2 });
  });
});
