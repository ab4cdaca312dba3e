import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConnectOptions,
  connect,
  type FlotillaClient,
  type WatchEvent,
} from '../../src/client/index.ts';
import { waitUntil } from '../support/wait-for.ts';
import { type FakeNode, rejection, startCluster } from './fake-node.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

async function setup(options: Partial<ConnectOptions> = {}): Promise<[FlotillaClient, FakeNode]> {
  const [leader] = await startCluster(1);
  opened.push(leader!);
  const c = await connect(
    { endpoints: [leader!.address], retry: { baseMs: 5, maxMs: 20 }, ...options },
    { random: () => 0.99 },
  );
  opened.push(c);
  return [c, leader!];
}

describe('close()', () => {
  it('rejects every pending call with CLOSED, maybeApplied only for a write that was sent', async () => {
    const [c, leader] = await setup({ maxWriteLanes: 1 });
    leader.handler = () => 'drop';
    const sent = c.kv.put('a', 1);
    const queued = c.kv.put('b', 2);
    const read = c.kv.get('a');
    await waitUntil('write and read received', () => leader.requests.length === 2, 2000);
    const closing = c.close();
    const [e1, e2, e3] = await Promise.all([
      rejection(sent, 'CLOSED'),
      rejection(queued, 'CLOSED'),
      rejection(read, 'CLOSED'),
    ]);
    expect([e1.maybeApplied, e2.maybeApplied, e3.maybeApplied]).toEqual([true, false, false]);
    await closing;
    await waitUntil('the node saw the socket close', () => leader.connections === 0, 2000);
  });

  it('interrupts a write waiting out a backoff at once', async () => {
    const [c, leader] = await setup({ timeoutMs: 20_000, retry: { baseMs: 10_000, maxMs: 10_000 } });
    leader.role = 'follower';
    const put = c.kv.put('a', 1);
    await waitUntil('refused once', () => leader.writes.length === 1, 2000);
    const refused = rejection(put, 'CLOSED');
    const started = performance.now();
    await c.close();
    await refused;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(leader.writes).toHaveLength(1);
  });

  it('is idempotent, and refuses calls and watches afterwards', async () => {
    const [c] = await setup();
    const first = c.close();
    expect(c.close()).toBe(first);
    await first;
    await c[Symbol.asyncDispose]();
    await rejection(c.kv.get('a'), 'CLOSED');
    await rejection(c.cluster.status(), 'CLOSED');
    expect(() => c.watch({})).toThrow(/closed/);
  });

  it('ends every watch iterator', async () => {
    const [c, leader] = await setup();
    const seen: WatchEvent[] = [];
    const loop = (async () => {
      for await (const e of c.services.watch('api')) seen.push(e);
      return 'ended';
    })();
    await waitUntil('watch open', () => leader.watches.length === 1, 2000);
    await c.close();
    await expect(loop).resolves.toBe('ended');
    expect(seen).toEqual([]);
  });
});
