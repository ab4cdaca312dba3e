import { afterEach, describe, expect, it } from 'vitest';
import { enc, RuntimeCluster, waitFor } from './cluster-fixture.ts';

const ids = ['n1', 'n2', 'n3'];
let cluster: RuntimeCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('RaftServer', () => {
  it('elects a leader, answers proposals once applied, and every replica applies the same sequence', async () => {
    cluster = new RuntimeCluster(ids, 'memory');
    await cluster.startAll();
    const leader = await cluster.leader();
    const results = await Promise.all(Array.from({ length: 200 }, (_, k) => leader.propose(enc(`v${k}`))));
    expect(results).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
    const expected = Array.from({ length: 200 }, (_, k) => `v${k}`);
    await waitFor('every replica to apply', () =>
      ids.every((id) => cluster!.fsms.get(id)!.items.length === 200),
    );
    for (const id of ids) expect(cluster.fsms.get(id)!.items).toEqual(expected);
  });

  it('refuses a proposal on a follower with NOT_LEADER naming the leader', async () => {
    cluster = new RuntimeCluster(ids, 'memory');
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.server(ids.find((id) => id !== leader.id)!);
    await expect(follower.propose(enc('x'))).rejects.toMatchObject({
      code: 'NOT_LEADER',
      leaderId: leader.id,
    });
  });

  it('serves a linearizable read on a follower after the latest write', async () => {
    cluster = new RuntimeCluster(ids, 'memory');
    await cluster.startAll();
    const leader = await cluster.leader();
    await leader.propose(enc('written'));
    const followerId = ids.find((id) => id !== leader.id)!;
    const index = await cluster.server(followerId).readIndex();
    expect(cluster.server(followerId).status().appliedIndex).toBeGreaterThanOrEqual(index);
    expect(cluster.fsms.get(followerId)!.items).toContain('written');
  });

  it('a new leader takes over when the leader stops, and commits', async () => {
    cluster = new RuntimeCluster(ids, 'memory');
    await cluster.startAll();
    const old = await cluster.leader();
    await old.propose(enc('before'));
    await cluster.stop(old.id);
    const next = await cluster.leader();
    expect(next.id).not.toBe(old.id);
    await next.propose(enc('after'));
    expect(cluster.fsms.get(next.id)!.items).toEqual(['before', 'after']);
  });

  it('snapshots by entry count, and a node that was down while the log was compacted catches up by snapshot', async () => {
    cluster = new RuntimeCluster(ids, 'disk', { snapshotEntries: 50 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const down = ids.find((id) => id !== leader.id)!;
    await cluster.stop(down);
    for (let k = 0; k < 300; k++) await leader.propose(enc(`v${k}`));
    expect(leader.status().firstIndex).toBeGreaterThan(100); // compacted while `down` was away
    await cluster.start(down);
    const announced: number[] = [];
    cluster.server(down).on('applied', (index) => announced.push(index));
    await waitFor('the restarted node to catch up', () => cluster!.fsms.get(down)!.items.length === 300);
    expect(cluster.fsms.get(down)!.items).toEqual(cluster.fsms.get(leader.id)!.items);
    // The snapshot install is announced like applied entries, so the FSM's watchers hear of it.
    const installed = leader.status().firstIndex - 1; // the snapshot the leader sent
    expect(announced).toContain(installed);
  });

  it('restarts every node from disk with the same log and state', async () => {
    cluster = new RuntimeCluster(ids, 'disk', { snapshotEntries: 400 });
    await cluster.startAll();
    const leader = await cluster.leader();
    await Promise.all(Array.from({ length: 1000 }, (_, k) => leader.propose(enc(`v${k}`))));
    await waitFor('every replica to apply', () =>
      ids.every((id) => cluster!.fsms.get(id)!.items.length === 1000),
    );
    const before = ids.map((id) => cluster!.server(id).status().lastIndex);
    for (const id of ids) await cluster.stop(id);
    await cluster.startAll();
    for (const [k, id] of ids.entries()) expect(cluster.server(id).status().lastIndex).toBe(before[k]);
    const again = await cluster.leader();
    await again.propose(enc('after restart'));
    await waitFor('the write after restart everywhere', () =>
      ids.every((id) => cluster!.fsms.get(id)!.items.at(-1) === 'after restart'),
    );
    for (const id of ids)
      expect(cluster.fsms.get(id)!.items.slice(0, 1000)).toEqual(
        Array.from({ length: 1000 }, (_, k) => `v${k}`),
      );
  });
});

describe('RaftServer events', () => {
  it('reports each leader change once', async () => {
    cluster = new RuntimeCluster(ids, 'memory');
    await cluster.startAll();
    const leaders: string[] = [];
    const server = cluster.server('n1');
    server.on('leaderChanged', (leader) => leaders.push(leader));
    const leader = await cluster.leader();
    await leader.propose(enc('x'));
    await waitFor('n1 to learn the leader', () => leaders.includes(leader.id));
    await leader.propose(enc('y'));
    expect(leaders.filter((l) => l === leader.id)).toHaveLength(1);
  });
});
