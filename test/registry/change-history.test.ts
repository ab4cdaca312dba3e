import { describe, expect, it } from 'vitest';
import { ChangeHistory } from '../../src/registry/change-history.ts';
import { FlotillaError } from '../../src/registry/errors.ts';
import { Driver } from './helpers.ts';

const put = (key: string) => ({ op: 'kv.put', args: { key, value: 1 } }) as const;
const kvEvent = (revision: number) => ({ revision, kind: 'kv', type: 'delete', key: 'k' }) as const;

describe('ChangeHistory', () => {
  it('keeps the last N events and resyncs below its floor', () => {
    const h = new ChangeHistory(3);
    for (const r of [2, 4, 6, 8, 10]) h.push(kvEvent(r));
    expect(h.floor).toBe(4);
    expect(h.since(4)?.map((e) => e.revision)).toEqual([6, 8, 10]);
    expect(h.since(7)?.map((e) => e.revision)).toEqual([8, 10]);
    expect(h.since(10)).toEqual([]);
    expect(h.since(99)).toEqual([]);
    expect(h.since(3)).toBeUndefined();
    h.reset(12);
    expect(h.since(11)).toBeUndefined();
    expect(h.since(12)).toEqual([]);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new ChangeHistory(0)).toThrow(RangeError);
  });
});

describe('Registry.changesSince', () => {
  it('answers every change after a revision, in order, with its revision', () => {
    const d = new Driver();
    d.apply(put('a'));
    d.apply({ op: 'kv.delete', args: { key: 'zzz' } }); // no change, no event
    d.apply(put('b'));
    expect(d.registry.changesSince(0)).toEqual({
      resync: false,
      revision: 3,
      events: [
        { revision: 1, kind: 'kv', type: 'put', key: 'a', value: 1 },
        { revision: 3, kind: 'kv', type: 'put', key: 'b', value: 1 },
      ],
    });
    expect(d.registry.changesSince(1)).toMatchObject({ events: [{ revision: 3 }] });
    expect(d.registry.changesSince(3)).toEqual({ resync: false, revision: 3, events: [] });
  });

  it('never a silent gap: a revision older than the history answers resync', () => {
    const d = new Driver({ historySize: 2 });
    for (const k of ['a', 'b', 'c', 'd']) d.apply(put(k));
    expect(d.registry.changesSince(1)).toEqual({ resync: true, revision: 4 });
    expect(d.registry.changesSince(2)).toMatchObject({
      resync: false,
      events: [{ revision: 3 }, { revision: 4 }],
    });
  });

  it('after restore the history restarts empty at the snapshot revision', () => {
    const d = new Driver();
    for (const k of ['a', 'b']) d.apply(put(k));
    const other = new Driver();
    other.registry.restore(d.registry.snapshot());
    expect(other.registry.changesSince(1)).toEqual({ resync: true, revision: 2 });
    expect(other.registry.changesSince(2)).toEqual({ resync: false, revision: 2, events: [] });
    other.index = 2;
    other.apply(put('c'));
    expect(other.registry.changesSince(2)).toMatchObject({ events: [{ revision: 3, key: 'c' }] });
  });

  it.each([-1, 1.5, Number.NaN])('rejects revision %s', (revision) => {
    expect(() => new Driver().registry.changesSince(revision)).toThrow(FlotillaError);
  });
});
