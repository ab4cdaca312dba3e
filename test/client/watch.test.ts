import { afterEach, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient, type WatchEvent, type WatchStream } from '../../src/client/index.ts';
import type { ChangeEvent } from '../../src/registry/change-history.ts';
import { waitUntil } from '../support/wait-for.ts';
import { expectCode, type FakeNode, startCluster } from './fake-node.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

async function setup(n: number): Promise<[FlotillaClient, ...FakeNode[]]> {
  const nodes = await startCluster(n);
  opened.push(...nodes);
  const c = await connect({ endpoints: nodes.map((f) => f.address), retry: { baseMs: 5, maxMs: 20 } });
  opened.push(c);
  return [c, ...nodes];
}

const kv = (revision: number): ChangeEvent => ({
  revision,
  kind: 'kv',
  type: 'put',
  key: `k/${revision}`,
  value: revision,
});

/** Pulls events off `w` into `into` until it ends or throws (the error is returned). */
async function drain(w: WatchStream, into: WatchEvent[]): Promise<unknown> {
  try {
    for await (const e of w) into.push(e);
    return undefined;
  } catch (err) {
    return err;
  }
}

function watchesOf(nodes: FakeNode[]) {
  return nodes.flatMap((f) => f.watches.map((w) => ({ node: f, w })));
}

describe('watch', () => {
  it('asks for the filter, yields events in order and a resync as one event', async () => {
    const [c, n1] = await setup(1);
    const seen: WatchEvent[] = [];
    const w = c.services.watch('api', { fromRevision: 4 });
    const done = drain(w, seen);
    await waitUntil('watch open', () => n1!.watches.length === 1, 2000);
    const sw = n1!.watches[0]!;
    expect(sw.args).toEqual({ filter: { kinds: ['instance'], service: 'api' }, fromRevision: 4 });
    n1!.emit(sw, { type: 'events', revision: 6, events: [kv(5), kv(6)] });
    const state = { instances: [], kv: [], deployments: [], routing: [] };
    n1!.emit(sw, { type: 'resync', revision: 9, state });
    n1!.emit(sw, { type: 'events', revision: 10, events: [kv(8), kv(10)] });
    await waitUntil('four events', () => seen.length === 4, 2000);
    expect(seen.map((e) => e.revision)).toEqual([5, 6, 9, 10]);
    expect(seen[2]).toEqual({ kind: 'resync', revision: 9, state });
    await w.return();
    await expect(done).resolves.toBeUndefined();
    await waitUntil('cancel sent', () => n1!.cancels.includes(sw.id), 2000);
  });

  it('resumes after a dropped connection from the last delivered revision, without gap or duplicate', async () => {
    const nodes = await setup(3);
    const [c, ...fakes] = nodes;
    const seen: WatchEvent[] = [];
    const w = c.kv.watch('k/');
    const done = drain(w, seen);
    await waitUntil('watch open', () => watchesOf(fakes).length === 1, 2000);
    const first = watchesOf(fakes)[0]!;
    expect(first.w.args).toEqual({ filter: { kinds: ['kv'], keyPrefix: 'k/' } });
    first.node.emit(first.w, { type: 'events', revision: 3, events: [kv(1), kv(2), kv(3)] });
    await waitUntil('three events', () => seen.length === 3, 2000);
    first.node.dropConnections();
    await waitUntil('watch reopened', () => watchesOf(fakes).length === 2, 5000);
    const second = watchesOf(fakes)[1]!;
    expect(second.w.args.fromRevision).toBe(3);
    // A node that replays what was already delivered is filtered client-side.
    second.node.emit(second.w, { type: 'events', revision: 5, events: [kv(2), kv(3), kv(4), kv(5)] });
    await waitUntil('five events', () => seen.length === 5, 2000);
    expect(seen.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5]);
    w.cancel();
    await done;
  });

  it('resumes from the revision the node answered when nothing was delivered yet', async () => {
    const [c, n1] = await setup(1);
    n1!.revision = 41;
    const w = c.watch({ keyPrefix: 'x' });
    const done = drain(w, []);
    await waitUntil('watch open', () => n1!.watches.length === 1, 2000);
    n1!.dropConnections();
    await waitUntil('watch reopened', () => n1!.watches.length === 2, 5000);
    expect(n1!.watches[1]!.args.fromRevision).toBe(41);
    await w[Symbol.asyncDispose]();
    await done;
  });

  it("resumes on another node after an 'end' frame", async () => {
    const [c, ...fakes] = await setup(2);
    const seen: WatchEvent[] = [];
    const w = c.watch({}, { fromRevision: 0 });
    const done = drain(w, seen);
    await waitUntil('watch open', () => watchesOf(fakes).length === 1, 2000);
    const first = watchesOf(fakes)[0]!;
    first.node.emit(first.w, { type: 'events', revision: 7, events: [kv(7)] });
    first.node.emit(first.w, { type: 'end', error: { code: 'WATCH_OVERFLOW', message: 'too slow' } });
    await waitUntil('watch reopened', () => watchesOf(fakes).length === 2, 5000);
    const second = watchesOf(fakes)[1]!;
    expect(second.node).not.toBe(first.node);
    expect(second.w.args.fromRevision).toBe(7);
    w.cancel();
    await done;
    expect(seen.map((e) => e.revision)).toEqual([7]);
  });

  it('ends with WATCH_OVERFLOW after yielding the buffered events when the consumer falls behind', async () => {
    const [c, n1] = await setup(1);
    const w = c.watch({}, { maxBuffered: 3 });
    await waitUntil('watch open', () => n1!.watches.length === 1, 2000);
    const sw = n1!.watches[0]!;
    n1!.emit(sw, { type: 'events', revision: 5, events: [kv(1), kv(2), kv(3), kv(4), kv(5)] });
    await waitUntil('cancel sent', () => n1!.cancels.includes(sw.id), 2000);
    const seen: WatchEvent[] = [];
    const err = await drain(w, seen);
    expect(seen.map((e) => e.revision)).toEqual([1, 2, 3]);
    expect(expectCode(err, 'WATCH_OVERFLOW').details.revision).toBe(3);
  });

  it('throws a refusal the node gives for the watch itself', async () => {
    const [c, n1] = await setup(1);
    n1!.handler = (req) =>
      req.op === 'watch' ? { error: { code: 'INVALID_ARGUMENT', message: 'filter: bad' } } : undefined;
    const err = await drain(c.watch({ keyPrefix: '' }), []);
    expectCode(err, 'INVALID_ARGUMENT');
  });

  it('ends normally when its signal aborts, and cancels on the node', async () => {
    const [c, n1] = await setup(1);
    const ac = new AbortController();
    const done = drain(c.services.watch(undefined, { signal: ac.signal }), []);
    await waitUntil('watch open', () => n1!.watches.length === 1, 2000);
    expect(n1!.watches[0]!.args.filter).toEqual({ kinds: ['instance'] });
    ac.abort();
    await expect(done).resolves.toBeUndefined();
    await waitUntil('cancel sent', () => n1!.cancels.length === 1, 2000);
    const late = c.watch({}, { signal: ac.signal });
    await expect(late.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('validates its options', async () => {
    const [c] = await setup(1);
    expect(() => c.watch({}, { fromRevision: -1 })).toThrow(/fromRevision/);
    expect(() => c.watch({}, { maxBuffered: 0 })).toThrow(/maxBuffered/);
  });
});
