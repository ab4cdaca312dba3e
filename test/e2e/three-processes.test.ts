/**
 * Issue #4's end-to-end acceptance: three node processes started by the CLI
 * on loopback, driven through the SDK. The tests share one cluster and run
 * in order; each leaves every node running for the next.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient, type WatchEvent } from '../../src/client/index.ts';
import { ProcessCluster } from '../support/process-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';

const reg = (id: string, port: number) => ({ id, name: 'api', address: '127.0.0.1', port, version: '1.0.0' });

describe('three node processes started by the CLI', () => {
  let cluster: ProcessCluster;
  const clients: FlotillaClient[] = [];
  const client = async (endpoints: string[]) => {
    const c = await connect({ endpoints, timeoutMs: 15_000 });
    clients.push(c);
    return c;
  };
  /** A client that talks to one node only: its reads are that node's answers. */
  const clientOf = (id: string) => client([cluster.address(id)]);

  beforeAll(async () => {
    cluster = await ProcessCluster.create();
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it('a registration sent to a follower lands through the redirect and every node reads it at once (linearizable)', async () => {
    const leader = await cluster.leader();
    const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
    const viaFollower = await clientOf(follower);
    const written = await viaFollower.services.register(reg('api-1', 3001));
    for (const n of cluster.nodes) {
      const c = await clientOf(n.id);
      const got = await c.services.discover('api', { consistency: 'linearizable' });
      expect(
        got.instances.map((i) => i.id),
        `read on ${n.id}`,
      ).toContain('api-1');
      expect(got.revision).toBeGreaterThanOrEqual(written.revision);
    }
  });

  it('a stale read answers at once with the revision it reflects', async () => {
    const c = await clientOf(cluster.nodes[2]!.id);
    const got = await c.services.discover('api', { consistency: 'stale' });
    expect(got.revision).toBeGreaterThan(0);
    expect(got.leaderId).not.toBe('');
  });

  it('kill -9 of the leader: the next write succeeds under a new leader; nothing acknowledged is lost after the old leader restarts', async () => {
    const writer = await client(cluster.endpoints);
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      await writer.kv.put(`before/${i}`, i);
      acked.push(`before/${i}`);
    }
    const oldLeader = await cluster.leader();
    await cluster.kill(oldLeader);
    await writer.kv.put('after/0', 'first write after the kill');
    acked.push('after/0');
    const newLeader = await cluster.leader();
    expect(newLeader).not.toBe(oldLeader);
    for (let i = 1; i < 10; i++) {
      await writer.kv.put(`after/${i}`, i);
      acked.push(`after/${i}`);
    }
    cluster.start(oldLeader);
    await cluster.leader();
    const restarted = await clientOf(oldLeader);
    const { keys } = await restarted.kv.list('', { consistency: 'linearizable' });
    for (const key of acked) expect(keys, `acknowledged ${key} on the restarted node`).toContain(key);
  });

  it('a watcher whose node dies resumes on another with every change exactly once, in revision order', async () => {
    const writer = await client(cluster.endpoints);
    const start = await writer.services.register(reg('w-0', 4000));
    const watcher = await client(cluster.endpoints);
    const seen: WatchEvent[] = [];
    const stream = watcher.services.watch('api', { fromRevision: start.revision });
    const consuming = (async () => {
      for await (const e of stream) seen.push(e);
    })();
    const expected: number[] = [];
    for (let i = 1; i <= 5; i++)
      expected.push((await writer.services.register(reg(`w-${i}`, 4000 + i))).revision);
    await waitUntil('the first five changes', () => seen.length >= 5, 15_000);
    // Kill the node serving the watch: the one whose metrics count an open watch.
    const holder = await watchHolder(cluster);
    await cluster.kill(holder);
    for (let i = 6; i <= 10; i++)
      expected.push((await writer.services.register(reg(`w-${i}`, 4000 + i))).revision);
    await waitUntil('all ten changes', () => seen.length >= 10, 20_000);
    stream.cancel();
    await consuming;
    const revisions = seen.map((e) => e.revision);
    expect(seen.every((e) => e.kind === 'instance')).toBe(true);
    expect(revisions).toEqual(expected);
    cluster.start(holder);
    await cluster.leader();
  });
});

/** The node whose /metrics shows an open watch (polled: the watch opens asynchronously). */
async function watchHolder(cluster: ProcessCluster): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const n of cluster.nodes) {
      const text = await (await fetch(`http://${n.address}/metrics`)).text();
      if (/^flotilla_watches\{[^}]*\} [1-9]/m.test(text)) return n.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no node reports an open watch');
}
