import { afterEach, describe, expect, it } from 'vitest';
import { seededRng } from '../../../raft/core/rng.ts';
import type { Message } from '../../../raft/core/types.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../raft/transport/memory-transport.ts';
import {
  binaries,
  everyMessage,
  heartbeat,
  inbox,
  openHandles,
  recordingLogger,
  waitFor,
} from './support.ts';

const open: MemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function nodes(
  net: MemoryNetwork,
  ids: string[],
  maxQueueMessages?: number,
): Promise<MemoryTransport[]> {
  const ts = ids.map((id) =>
    net.transport(id, {
      peers: ids.filter((p) => p !== id),
      ...(maxQueueMessages === undefined ? {} : { maxQueueMessages }),
    }),
  );
  open.push(...ts);
  await Promise.all(ts.map((t) => t.start()));
  return ts;
}

/** Lets every pending delivery turn run: a message sent before this call has arrived or been lost after it. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('MemoryTransport', () => {
  it('delivers every message type as a fresh copy with Uint8Array payloads, FIFO per link, never synchronously', async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = await nodes(net, ['a', 'b', 'c']);
    const boxes = [a!, b!, c!].map(inbox);
    const sent = everyMessage('a', 'b');
    for (const m of sent) expect(a!.send(m)).toBe(true);
    c!.send(heartbeat('c', 'a'));
    expect(boxes[1]).toHaveLength(0); // not inside send()
    await waitFor(() => boxes[1]!.length === sent.length && boxes[0]!.length === 1, 'delivery');
    expect(boxes[1]).toStrictEqual(sent);
    expect(boxes[1]![4]).not.toBe(sent[4]);
    for (const bin of boxes[1]!.flatMap(binaries))
      expect(Object.getPrototypeOf(bin)).toBe(Uint8Array.prototype);
    expect(a!.stats().peers.get('b')).toStrictEqual({
      connected: true,
      queued: 0,
      sent: sent.length,
      dropped: 0,
      received: 0,
    });
  });

  it('partitions, isolates, blocks one direction and heals', async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = await nodes(net, ['a', 'b', 'c']);
    const [ga, gb, gc] = [a!, b!, c!].map(inbox);
    net.partition(['a'], ['b', 'c']);
    a!.send(heartbeat('a', 'b'));
    b!.send(heartbeat('b', 'a'));
    b!.send(heartbeat('b', 'c'));
    await settle();
    expect([ga!.length, gb!.length, gc!.length]).toEqual([0, 0, 1]);
    expect(net.lost).toBe(2);
    expect(a!.stats().peers.get('b')?.connected).toBe(false);

    net.heal();
    net.block('a', 'b');
    a!.send(heartbeat('a', 'b'));
    b!.send(heartbeat('b', 'a'));
    await settle();
    expect([ga!.length, gb!.length]).toEqual([1, 0]);

    net.heal();
    net.isolate('c');
    c!.send(heartbeat('c', 'a'));
    a!.send(heartbeat('a', 'c'));
    a!.send(heartbeat('a', 'b'));
    await settle();
    expect([ga!.length, gb!.length, gc!.length]).toEqual([1, 1, 1]);
  });

  it('drops at random at a seeded rate, replayably', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const net = new MemoryNetwork();
      const [a, b] = await nodes(net, ['a', 'b']);
      const got = inbox(b!);
      net.setDropRate(0.5, seededRng(seed));
      for (let i = 0; i < 200; i++) a!.send(heartbeat('a', 'b', i));
      await settle();
      expect(got.length + net.lost).toBe(200);
      return got.map((m) => (m.type === 'heartbeat' ? m.commit : -1));
    };
    const first = await run(7);
    expect(first.length).toBeGreaterThan(50);
    expect(first.length).toBeLessThan(150);
    expect(await run(7)).toEqual(first);
    expect(() => new MemoryNetwork().setDropRate(2)).toThrow(/drop rate/);
  });

  it('bounds the per-peer queue: drops and counts instead of growing', async () => {
    const net = new MemoryNetwork();
    const [a, b] = await nodes(net, ['a', 'b'], 10);
    const got = inbox(b!);
    const accepted = Array.from({ length: 100 }, (_, i) => a!.send(heartbeat('a', 'b', i)));
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(a!.stats().peers.get('b')).toMatchObject({ queued: 10, dropped: 90, sent: 10 });
    await settle();
    expect(got).toHaveLength(10);
    expect(a!.send(heartbeat('a', 'nobody'))).toBe(false);
    expect(a!.send(heartbeat('b', 'a'))).toBe(false); // not our own id
  });

  it('loses messages to a closed node and delivers to its restarted transport', async () => {
    const net = new MemoryNetwork();
    const [a, b] = await nodes(net, ['a', 'b']);
    expect(() => net.transport('b')).toThrow(/already has an open transport/);
    await b!.close();
    a!.send(heartbeat('a', 'b'));
    await settle();
    expect(net.lost).toBe(1);
    const b2 = net.transport('b', { peers: ['a'] });
    open.push(b2);
    const got = inbox(b2);
    await b2.start();
    a!.send(heartbeat('a', 'b'));
    await waitFor(() => got.length === 1, 'delivery after restart');
  });

  it('adds and removes peers at run time; a throwing handler is logged and the node keeps receiving', async () => {
    const log = recordingLogger();
    const net = new MemoryNetwork();
    const a = net.transport('a', { logger: log });
    const [b] = await nodes(net, ['b']);
    open.push(a);
    await a.start();
    expect(b!.send(heartbeat('b', 'a'))).toBe(false);
    b!.addPeer('a');
    let n = 0;
    a.onMessage((_m: Message) => {
      n += 1;
      throw new Error('boom');
    });
    b!.send(heartbeat('b', 'a'));
    b!.send(heartbeat('b', 'a'));
    await waitFor(() => n === 2, 'both handled');
    expect(log.has('message handler threw')).toBe(true);
    b!.removePeer('a');
    expect(b!.send(heartbeat('b', 'a'))).toBe(false);
  });

  it('close() is idempotent, cancels pending deliveries and leaves no handles', async () => {
    const before = openHandles();
    const net = new MemoryNetwork();
    const [a, b] = await nodes(net, ['a', 'b']);
    const got = inbox(b!);
    await expect(a!.start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    a!.send(heartbeat('a', 'b'));
    const first = a!.close();
    expect(a!.close()).toBe(first);
    await a![Symbol.asyncDispose]();
    await settle();
    expect(got).toHaveLength(0);
    expect(a!.send(heartbeat('a', 'b'))).toBe(false);
    await expect(a!.start()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(openHandles()).toStrictEqual(before);
  });
});
