import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect, type FlotillaClient } from '../../src/client/index.ts';
import { waitUntil } from '../support/wait-for.ts';
import { deadAddress, type FakeNode, rejection, startCluster } from './fake-node.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

async function cluster(n: number): Promise<FakeNode[]> {
  const nodes = await startCluster(n);
  opened.push(...nodes);
  return nodes;
}

async function client(options: ConnectOptions): Promise<FlotillaClient> {
  const c = await connect({ retry: { baseMs: 5, maxMs: 20 }, ...options });
  opened.push(c);
  return c;
}

describe('leader discovery', () => {
  it('follows NOT_LEADER to the leader (even outside endpoints), resending the same (session, seq)', async () => {
    const [n1, n2] = await cluster(2);
    const c = await client({ endpoints: [n2!.address] });
    await expect(c.kv.put('a', 'one')).resolves.toEqual({ revision: 1 });
    expect(n2!.writes).toHaveLength(1);
    expect(n1!.writes).toEqual(n2!.writes);
    expect(n1!.kv.get('a')).toBe('one');
  });

  it('sends membership changes to the leader, following NOT_LEADER; member lists to any node', async () => {
    const [n1, n2] = await cluster(2);
    const list = { members: [{ id: 'n1', address: n1!.address, voter: true }], leaderId: 'n1' };
    const notLeader = {
      code: 'NOT_LEADER',
      message: 'no',
      leaderId: 'n1',
      leaderAddress: n1!.address,
    } as const;
    n1!.handler = (req) => {
      if (req.op === 'member.list') return { result: list };
      return req.op === 'member.add'
        ? { result: { ...list, added: { id: 'n4', address: 'h:4', voter: false } } }
        : undefined;
    };
    n2!.handler = (req) => {
      if (req.op === 'member.list') return { result: list };
      return req.op === 'member.add' ? { error: notLeader } : undefined;
    };
    const c = await client({ endpoints: [n2!.address] });
    await expect(c.cluster.addMember({ id: 'n4', address: 'h:4' })).resolves.toEqual({
      id: 'n4',
      address: 'h:4',
      voter: false,
    });
    expect(n2!.requests.map((r) => r.op)).toEqual(['member.add']);
    expect(n1!.requests.filter((r) => r.op === 'member.add')).toHaveLength(1);
    await expect(c.cluster.members({ consistency: 'stale' })).resolves.toEqual(list);
    const lists = [...n1!.requests, ...n2!.requests].filter((r) => r.op === 'member.list');
    expect(lists).toEqual([expect.objectContaining({ args: { consistency: 'stale' } })]);
  });

  it('caches the leader: later writes go straight to it', async () => {
    const [n1, n2, n3] = await cluster(3);
    const c = await client({ endpoints: [n2!.address, n3!.address] });
    await c.kv.put('a', 1);
    const redirected = n2!.writes.length + n3!.writes.length;
    await c.kv.put('b', 2);
    await c.services.deregister('x');
    expect(n2!.writes.length + n3!.writes.length).toBe(redirected);
    expect(n1!.applied.map((w) => w.op)).toEqual(['kv.put', 'kv.put', 'service.deregister']);
  });

  it('moves to the new leader when the cached one steps down', async () => {
    const [n1, n2, n3] = await cluster(3);
    const c = await client({ endpoints: [n1!.address, n2!.address, n3!.address] });
    await c.kv.put('a', 1);
    n1!.role = 'follower';
    n3!.role = 'leader';
    n3!.term = n1!.term = 2;
    n1!.leader = { id: n3!.id, address: n3!.address };
    await c.kv.put('b', 2);
    expect(n3!.applied).toHaveLength(1);
    await c.kv.put('c', 3);
    expect(n3!.applied).toHaveLength(2);
    expect(n1!.writes).toHaveLength(2);
  });

  it('retries over the other endpoints when one is down', async () => {
    const [n1] = await cluster(1);
    const c = await client({ endpoints: [await deadAddress(), n1!.address] });
    for (let k = 0; k < 4; k++) await c.kv.put(`k${k}`, k);
    expect(n1!.applied).toHaveLength(4);
    await expect(c.kv.get('k3')).resolves.toMatchObject({ value: 3 });
  });

  it('keeps retrying with backoff while no node knows a leader, then reaches the elected one', async () => {
    const [n1, n2, n3] = await cluster(3);
    n2!.leader = undefined;
    n3!.leader = undefined;
    const c = await client({ endpoints: [n2!.address, n3!.address], timeoutMs: 5000 });
    const put = c.kv.put('a', 1);
    await waitUntil('both followers asked', () => n2!.writes.length >= 2 && n3!.writes.length >= 2, 4000);
    n3!.leader = { id: n1!.id, address: n1!.address };
    await expect(put).resolves.toEqual({ revision: 1 });
    const sessions = new Set(
      [...n2!.writes, ...n3!.writes, ...n1!.writes].map((w) => `${w.clientId}/${w.seq}`),
    );
    expect(sessions.size).toBe(1);
  });

  it('serves reads from any node and moves on when one cannot serve them', async () => {
    const [n1, n2] = await cluster(2);
    n1!.kv.set('k', 'leader-copy');
    n2!.kv.set('k', 'follower-copy');
    n2!.handler = (req) =>
      req.op === 'kv.get' ? { error: { code: 'UNAVAILABLE', message: 'no leader' } } : undefined;
    const c = await client({ endpoints: [n2!.address, n1!.address] });
    await expect(c.kv.get('k')).resolves.toEqual({ value: 'leader-copy', revision: 0, modRevision: 0 });
    n2!.handler = undefined;
    await expect(c.kv.get('k', { consistency: 'stale' })).resolves.toBeDefined();
    const reads = [...n1!.requests, ...n2!.requests].filter((r) => r.op === 'kv.get');
    expect(reads.at(-1)?.args).toEqual({ key: 'k', consistency: 'stale' });
  });

  it('hands leadership over and forgets the cached leader', async () => {
    const [n1, n2] = await cluster(2);
    const c = await client({ endpoints: [n2!.address] });
    await expect(c.cluster.transferLeader('n2')).resolves.toEqual({ from: 'n1', to: 'n2', term: 2 });
    n1!.role = 'follower';
    n1!.leader = { id: n2!.id, address: n2!.address };
    n2!.role = 'leader';
    await c.kv.put('a', 1);
    expect(n2!.applied).toHaveLength(1);
  });

  it('refuses watch ops and unknown ops on request()', async () => {
    const [n1] = await cluster(1);
    const c = await client({ endpoints: [n1!.address] });
    await rejection(c.request('watch', {}), 'INVALID_ARGUMENT');
    await rejection(c.request('nope' as 'node.status', {}), 'INVALID_ARGUMENT');
  });
});
