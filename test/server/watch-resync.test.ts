import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchFrame } from '../../src/protocol/client-protocol.ts';
import { waitUntil } from '../support/wait-for.ts';
import { NodeCluster } from './node-cluster.ts';
import { RawClient, resultOf } from './raw-client.ts';

describe('a watch on a node that installs a snapshot', () => {
  let cluster: NodeCluster;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    cluster = await NodeCluster.start({ size: 3, only: ['n1', 'n2'], snapshotEntries: 10 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.close();
  });

  it('gets a full resync as soon as the snapshot is installed, never a silent gap', async () => {
    const leader = await cluster.leader();
    const writer = await RawClient.connect(cluster.address(leader));
    clients.push(writer);
    for (let i = 0; i < 40; i++) resultOf(await writer.call('kv.put', { key: `s/${i}`, value: i }));
    const last = resultOf<{ revision: number }>(
      await writer.call('kv.put', { key: 's/last', value: 'end' }),
    ).revision;
    // n3 joins late: the leader's log was compacted, so it can only catch up by snapshot.
    await cluster.startNode('n3');
    const watcher = await RawClient.connect(cluster.address('n3'));
    clients.push(watcher);
    const opened = resultOf<{ watchId: number }>(
      await watcher.call('watch', { filter: { keyPrefix: 's/' }, fromRevision: 0 }),
    );
    const frames = (): WatchFrame[] => watcher.watchFrames(opened.watchId);
    await waitUntil('a resync frame', () => frames().some((f) => f.type === 'resync'), 15_000);
    const resync = frames().find((f) => f.type === 'resync')!;
    if (resync.type !== 'resync') throw new Error('unreachable');
    // Whatever arrived as events before the resync, the resync holds the state as of its revision.
    expect(resync.revision).toBeGreaterThan(0);
    // Everything after the resync arrives as events: together they name every key once.
    const keys = (): Set<string> =>
      new Set([
        ...resync.state.kv.map((e) => e.key),
        ...frames().flatMap((f) =>
          f.type === 'events' && f.revision > resync.revision
            ? f.events.map((e) => (e.kind === 'kv' ? e.key : ''))
            : [],
        ),
      ]);
    await waitUntil('every key through the resync and the events after it', () => keys().size === 41, 15_000);
    expect(frames().filter((f) => f.type === 'resync')).toHaveLength(1);
    expect(cluster.nodes.get('n3')!.status().revision).toBe(last);
  });
});
