import { describe, expect, it } from 'vitest';
import { baseRegistration, Driver } from './helpers.ts';

const put = (value: number) => ({ op: 'kv.put', args: { key: 'k', value } }) as const;

describe('client sessions (Raft dissertation §6.3)', () => {
  it('a retried (clientId, seq) answers the stored result without applying again', () => {
    const d = new Driver();
    const first = d.apply(put(1), { clientId: 'c1', seq: 1 });
    d.apply(put(2)); // another writer, no session
    const retry = d.apply(put(1), { clientId: 'c1', seq: 1 });
    expect(retry).toEqual(first);
    expect(d.registry.kvGet('k').value).toBe(2);
    expect(d.registry.revision).toBe(2);
    expect(d.registry.changesSince(0)).toMatchObject({
      resync: false,
      events: [{ revision: 1 }, { revision: 2 }],
    });
  });

  it('a retried register that would now fail still answers its first result', () => {
    const d = new Driver();
    const reg = { op: 'service.register', args: baseRegistration } as const;
    const first = d.apply(reg, { clientId: 'c1', seq: 1 });
    d.apply({ op: 'service.deregister', args: { id: 'api-1' } });
    expect(d.apply(reg, { clientId: 'c1', seq: 1 })).toEqual(first);
    expect(d.registry.listServices()).toEqual([]);
  });

  it('error results are stored too, and a retry of a failed write is not re-run', () => {
    const d = new Driver();
    const drain = { op: 'instance.drain', args: { id: 'api-1' } } as const;
    const first = d.apply(drain, { clientId: 'c1', seq: 1 });
    expect(first).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    d.apply({ op: 'service.register', args: baseRegistration });
    expect(d.apply(drain, { clientId: 'c1', seq: 1 })).toEqual(first);
    expect(d.registry.getInstance('api-1')?.state).toBe('active');
  });

  it('a seq older than the last one answers STALE_SEQUENCE and changes nothing', () => {
    const d = new Driver();
    d.apply(put(1), { clientId: 'c1', seq: 1 });
    d.apply(put(2), { clientId: 'c1', seq: 2 });
    const r = d.apply(put(3), { clientId: 'c1', seq: 1 });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'STALE_SEQUENCE', details: { field: 'seq', lastSeq: 2 } },
    });
    expect(d.registry.kvGet('k').value).toBe(2);
    expect(d.registry.getSession('c1')?.lastSeq).toBe(2);
  });

  it('sessions are per client and a higher seq applies (gaps allowed)', () => {
    const d = new Driver();
    d.apply(put(1), { clientId: 'c1', seq: 1 });
    d.apply(put(2), { clientId: 'c2', seq: 1 });
    d.apply(put(3), { clientId: 'c1', seq: 5 });
    expect(d.registry.kvGet('k').value).toBe(3);
    expect(d.registry.getSession('c1')?.lastSeq).toBe(5);
  });

  it('expire by command time only: a session idle longer than the TTL is forgotten', () => {
    const d = new Driver({ sessionTtlMs: 1000 });
    d.apply(put(1), { clientId: 'c1', seq: 1, now: 1000 });
    d.apply(put(2), { clientId: 'c2', seq: 1, now: 1500 });
    d.apply(put(3), { now: 2000 }); // exactly at the TTL: still live
    expect(d.registry.getSession('c1')).toBeDefined();
    d.apply(put(4), { now: 2001 });
    expect(d.registry.getSession('c1')).toBeUndefined();
    expect(d.registry.getSession('c2')).toBeDefined();
  });

  it('the command clock never goes back: an older leader timestamp does not revive or misorder', () => {
    const d = new Driver({ sessionTtlMs: 1000 });
    d.apply(put(1), { clientId: 'c1', seq: 1, now: 5000 });
    d.apply(put(2), { clientId: 'c2', seq: 1, now: 100 }); // skewed clock: counted as 5000
    d.apply(put(3), { now: 6001 });
    expect(d.registry.getSession('c1')).toBeUndefined();
    expect(d.registry.getSession('c2')).toBeUndefined();
  });

  it('a duplicate keeps its session alive', () => {
    const d = new Driver({ sessionTtlMs: 1000 });
    d.apply(put(1), { clientId: 'c1', seq: 1, now: 1000 });
    d.apply(put(1), { clientId: 'c1', seq: 1, now: 1900 });
    d.apply(put(2), { now: 2500 });
    expect(d.registry.getSession('c1')).toBeDefined();
  });

  it('beyond maxSessions the least recently used session is dropped', () => {
    const d = new Driver({ maxSessions: 2 });
    d.apply(put(1), { clientId: 'a', seq: 1 });
    d.apply(put(1), { clientId: 'b', seq: 1 });
    d.apply(put(1), { clientId: 'a', seq: 2 });
    d.apply(put(1), { clientId: 'c', seq: 1 });
    expect(d.registry.getSession('b')).toBeUndefined();
    expect(d.registry.getSession('a')?.lastSeq).toBe(2);
    expect(d.registry.getSession('c')).toBeDefined();
  });
});
