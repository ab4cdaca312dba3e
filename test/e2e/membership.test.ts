/**
 * Membership change end to end, on node processes started by the CLI: a
 * fourth node added with `member add` and started with `--join` catches up
 * from the snapshot and the log, serves a linearizable read of what was
 * written before it existed, and is promoted to voter; then a founding
 * member (the leader) is removed and the cluster keeps taking writes.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { ProcessCluster } from '../support/process-cluster.ts';
import { waitUntilAsync } from '../support/wait-for.ts';

const SNAPSHOT_ENTRIES = 50;

describe('membership change on node processes', () => {
  let cluster: ProcessCluster;
  const clients: FlotillaClient[] = [];
  const client = async (endpoints: string[]) => {
    const c = await connect({ endpoints, timeoutMs: 15_000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await ProcessCluster.create({ snapshotEntries: SNAPSHOT_ENTRIES });
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it('adds n4 with --join (it catches up and becomes a voter), removes the leader, and keeps accepting writes', async () => {
    const founders = cluster.nodes.map((n) => n.id);
    const writer = await client(cluster.endpoints);
    // More than a snapshot's worth: the leader's log no longer starts at 1, so n4 needs the snapshot.
    for (let i = 0; i < 2 * SNAPSHOT_ENTRIES; i++) await writer.kv.put(`before/${i}`, i);

    const address = await cluster.addNode('n4');
    expect(await writer.cluster.addMember({ id: 'n4', address })).toEqual({
      id: 'n4',
      address,
      voter: false,
    });
    cluster.start('n4', { join: true });
    await waitUntilAsync(
      'n4 reports itself a voter',
      async () => (await cluster.status('n4'))?.members.some((m) => m.id === 'n4' && m.voter) ?? false,
      30_000,
    );
    const onN4 = await client([address]);
    const { keys } = await onN4.kv.list('before/', { consistency: 'linearizable' });
    expect(keys).toHaveLength(2 * SNAPSHOT_ENTRIES);
    expect((await onN4.kv.get(`before/${2 * SNAPSHOT_ENTRIES - 1}`)).value).toBe(2 * SNAPSHOT_ENTRIES - 1);
    const status = await writer.cluster.status();
    expect(status.members.find((m) => m.id === 'n4')).toMatchObject({
      address,
      voter: true,
      reachable: true,
    });

    const leader = await cluster.leader();
    const after = await writer.cluster.removeMember(leader);
    const remaining = [...founders.filter((id) => id !== leader), 'n4'].sort();
    expect(after.members.map((m) => m.id)).toEqual(remaining);
    expect(after.members.every((m) => m.voter)).toBe(true);
    expect(await cluster.stop(leader)).toBe(0);
    const next = await cluster.leader();
    expect(remaining).toContain(next);

    for (let i = 0; i < 20; i++) await writer.kv.put(`after/${i}`, i);
    expect((await onN4.kv.list('after/', { consistency: 'linearizable' })).keys).toHaveLength(20);
    expect((await onN4.cluster.members()).members.map((m) => m.id)).toEqual(remaining);
  });
});
