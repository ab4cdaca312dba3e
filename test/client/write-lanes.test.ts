import { describe, expect, it } from 'vitest';
import { Deadline } from '../../src/client/deadline.ts';
import { clockSeqBase, WriteLanes } from '../../src/client/write-lanes.ts';
import { rejection } from './fake-node.ts';

const long = () => new Deadline(10_000);

describe('WriteLanes', () => {
  it('gives concurrent writes distinct sessions, lowest lane first, each with a rising seq', async () => {
    const lanes = new WriteLanes('cli', 3, () => 100);
    const [a, b] = await Promise.all([lanes.acquire(long()), lanes.acquire(long())]);
    expect([a.sessionId, b.sessionId]).toEqual(['cli.0', 'cli.1']);
    expect([lanes.nextSeq(a), lanes.nextSeq(a), lanes.nextSeq(b)]).toEqual([101, 102, 101]);
    lanes.release(a);
    const c = await lanes.acquire(long());
    expect(c.sessionId).toBe('cli.0');
    expect(lanes.nextSeq(c)).toBe(103);
    expect(lanes.busy).toBe(2);
  });

  it('queues writes beyond max in FIFO order and hands a freed lane to the oldest', async () => {
    const lanes = new WriteLanes('cli', 1, () => 0);
    const first = await lanes.acquire(long());
    const order: string[] = [];
    const second = lanes.acquire(long()).then((l) => order.push(`second:${l.sessionId}`));
    const third = lanes.acquire(long()).then((l) => order.push(`third:${l.sessionId}`));
    expect(lanes.queued).toBe(2);
    lanes.release(first);
    await second;
    expect(order).toEqual(['second:cli.0']);
    lanes.release(first);
    await third;
    expect(order).toEqual(['second:cli.0', 'third:cli.0']);
  });

  it('rejects a queued write with TIMEOUT (never sent) at its deadline', async () => {
    const lanes = new WriteLanes('cli', 1);
    await lanes.acquire(long());
    const err = await rejection(lanes.acquire(new Deadline(20)), 'TIMEOUT');
    expect(err.maybeApplied).toBe(false);
    expect(lanes.queued).toBe(0);
  });

  it('rejects queued and later writes with CLOSED once closed', async () => {
    const lanes = new WriteLanes('cli', 1);
    await lanes.acquire(long());
    const queued = lanes.acquire(long());
    lanes.close();
    await rejection(queued, 'CLOSED');
    await rejection(lanes.acquire(long()), 'CLOSED');
  });

  it('continues above the seq a STALE_SEQUENCE reports, never below its own', async () => {
    const lanes = new WriteLanes('cli', 1, () => 10);
    const lane = await lanes.acquire(long());
    lanes.noteStale(lane, 50);
    expect(lanes.nextSeq(lane)).toBe(51);
    lanes.noteStale(lane, 3);
    expect(lanes.nextSeq(lane)).toBe(52);
  });

  it('starts seqs from the clock so a restarted process with the same clientId is never stale', () => {
    const before = Date.now() * 1000;
    expect(clockSeqBase()).toBeGreaterThanOrEqual(before);
    expect(Number.isSafeInteger(clockSeqBase())).toBe(true);
  });
});
