import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait-for.ts';
import { NodeCluster } from './node-cluster.ts';
import { errorOf, RawClient, resultOf } from './raw-client.ts';

const reg = (id: string, port = 3000) => ({ id, name: 'api', address: '127.0.0.1', port, version: '1.0.0' });

describe('a 3-node cluster in one process, through the client protocol', () => {
  let cluster: NodeCluster;
  let leader: string;
  let follower: string;
  const clients: RawClient[] = [];
  const client = async (id: string) => {
    const c = await RawClient.connect(cluster.address(id));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await NodeCluster.start();
    leader = await cluster.leader();
    follower = cluster.follower(leader);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.close();
  });

  it('a write on a follower answers NOT_LEADER with the leader id and address, and writes nothing', async () => {
    const c = await client(follower);
    const err = errorOf(await c.call('service.register', reg('api-nl'), { clientId: 'c1', seq: 1 }));
    expect(err).toMatchObject({
      code: 'NOT_LEADER',
      leaderId: leader,
      leaderAddress: cluster.address(leader),
    });
    expect(err.maybeApplied).toBeUndefined();
    const got = resultOf<{ instances: unknown[] }>(await c.call('service.get', { name: 'api' }));
    expect(got.instances).toEqual([]);
  });

  it('a write on the leader is visible to a linearizable read on every node as soon as it returns', async () => {
    const l = await client(leader);
    const w = resultOf<{ revision: number }>(
      await l.call('service.register', reg('api-1'), { clientId: 'c2', seq: 1 }),
    );
    expect(w.revision).toBeGreaterThan(0);
    for (const id of cluster.nodes.keys()) {
      const c = await client(id);
      const r = resultOf<{ instances: { id: string }[]; revision: number }>(
        await c.call('service.get', { name: 'api', consistency: 'linearizable' }),
      );
      expect(r.instances.map((i) => i.id)).toContain('api-1');
      expect(r.revision).toBeGreaterThanOrEqual(w.revision);
    }
  });

  it('a stale read answers local state with its revision and the leader it knows', async () => {
    const c = await client(follower);
    const r = resultOf<{ revision: number; leaderId: string }>(
      await c.call('service.list', { consistency: 'stale' }),
    );
    expect(r.leaderId).toBe(leader);
    expect(typeof r.revision).toBe('number');
  });

  it('a retried write with the same clientId and seq applies once and answers the same result', async () => {
    const l = await client(leader);
    const first = resultOf<{ revision: number }>(
      await l.call('kv.put', { key: 'k', value: 'v1' }, { clientId: 'c3', seq: 7 }),
    );
    const again = resultOf<{ revision: number }>(
      await l.call('kv.put', { key: 'k', value: 'v1' }, { clientId: 'c3', seq: 7 }),
    );
    expect(again.revision).toBe(first.revision);
    const got = resultOf<{ modRevision: number }>(await l.call('kv.get', { key: 'k' }));
    expect(got.modRevision).toBe(first.revision);
  });

  it('kv compare-and-set succeeds only on the expected value', async () => {
    const l = await client(leader);
    await l.call('kv.put', { key: 'flag', value: 'on' });
    const miss = resultOf<{ succeeded: boolean }>(
      await l.call('kv.cas', { key: 'flag', expected: 'off', value: 'x' }),
    );
    expect(miss.succeeded).toBe(false);
    const hit = resultOf<{ succeeded: boolean }>(
      await l.call('kv.cas', { key: 'flag', expected: 'on', value: 'off' }),
    );
    expect(hit.succeeded).toBe(true);
    expect(resultOf<{ value: unknown }>(await l.call('kv.get', { key: 'flag' })).value).toBe('off');
  });

  it('a watch on a follower streams changes in revision order, and resumes from a revision without gap or duplicate', async () => {
    const f = await client(follower);
    const l = await client(leader);
    const opened = resultOf<{ watchId: number; revision: number }>(
      await f.call('watch', { filter: { kinds: ['kv'], keyPrefix: 'w/' } }),
    );
    const revisions: number[] = [];
    for (let i = 0; i < 5; i++) {
      revisions.push(
        resultOf<{ revision: number }>(await l.call('kv.put', { key: `w/${i}`, value: i })).revision,
      );
    }
    await l.call('kv.put', { key: 'other', value: 1 }); // filtered out
    const seen = () => f.watchFrames(opened.watchId).flatMap((fr) => (fr.type === 'events' ? fr.events : []));
    await waitUntil('five kv events', () => seen().length >= 5, 10_000);
    expect(seen().map((e) => e.revision)).toEqual(revisions);
    // A second watch resuming after the second change gets exactly the rest.
    const again = await client(follower);
    const resumed = resultOf<{ watchId: number }>(
      await again.call('watch', { filter: { kinds: ['kv'], keyPrefix: 'w/' }, fromRevision: revisions[1] }),
    );
    const rest = () =>
      again.watchFrames(resumed.watchId).flatMap((fr) => (fr.type === 'events' ? fr.events : []));
    await waitUntil('three kv events', () => rest().length >= 3, 10_000);
    expect(rest().map((e) => e.revision)).toEqual(revisions.slice(2));
  });

  it('node.status and HTTP /v1/status, /healthz, /metrics describe the node', async () => {
    const c = await client(follower);
    const s = resultOf<{ nodeId: string; leaderId: string; members: { id: string }[] }>(
      await c.call('node.status'),
    );
    expect(s.nodeId).toBe(follower);
    expect(s.leaderId).toBe(leader);
    expect(s.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    const base = `http://${cluster.address(follower)}`;
    const status = (await (await fetch(`${base}/v1/status`)).json()) as { nodeId: string };
    expect(status.nodeId).toBe(follower);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/flotilla_has_leader\{node="n\d"\} 1/);
    expect(metrics).toContain('flotilla_client_requests_total');
    const leaderMetrics = await (await fetch(`http://${cluster.address(leader)}/metrics`)).text();
    expect(leaderMetrics).toMatch(/flotilla_fsync_duration_seconds_count\{node="n\d"\} [1-9]/);
    expect(leaderMetrics).toMatch(/flotilla_proposal_duration_seconds_count\{node="n\d"\} [1-9]/);
    expect(leaderMetrics).toMatch(/flotilla_replication_lag_entries\{peer="n\d",node="n\d"\}/);
  });
});
