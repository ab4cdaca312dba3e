/**
 * Membership changes through the client protocol on in-process nodes: a
 * node joins empty, catches up and becomes a voter; members are removed
 * (the leader included) and stay out of the way; every refusal answers a
 * stable code and leaves the configuration as it was.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import type { MemberList } from '../../src/protocol/client-protocol.ts';
import { FlotillaNode } from '../../src/server/flotilla-node.ts';
import { waitUntil } from '../support/wait-for.ts';
import { NodeCluster } from './node-cluster.ts';
import { errorOf, RawClient, resultOf } from './raw-client.ts';

const ELECTION_MS = 500;
const SNAPSHOT_ENTRIES = 16;

const isVoter = (node: FlotillaNode, id: string) => node.status().members.some((m) => m.id === id && m.voter);

describe('membership changes on a running cluster', () => {
  let cluster: NodeCluster;
  let client: FlotillaClient;
  const raws: RawClient[] = [];
  const raw = async (id: string) => {
    const c = await RawClient.connect(cluster.address(id));
    raws.push(c);
    return c;
  };
  const members = async (): Promise<MemberList> => client.cluster.members();
  const voters = (list: MemberList) =>
    list.members
      .filter((m) => m.voter)
      .map((m) => m.id)
      .sort();

  beforeAll(async () => {
    cluster = await NodeCluster.start({ electionMs: ELECTION_MS, snapshotEntries: SNAPSHOT_ENTRIES });
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(raws.map((c) => c.close()));
    await client?.close();
    await cluster?.close();
  });

  it('member.list answers the voters with their addresses on any node', async () => {
    const leader = await cluster.leader();
    const list = resultOf<MemberList>(await (await raw(cluster.follower(leader))).call('member.list', {}));
    expect(list.leaderId).toBe(leader);
    expect(list.members).toEqual(
      ['n1', 'n2', 'n3'].map((id) => ({ id, address: cluster.address(id), voter: true })),
    );
  });

  it('a node started with join waits for the leader, catches up, serves a linearizable read and is promoted', async () => {
    for (let i = 0; i < 20; i++) await client.kv.put(`before/${i}`, i);
    const address = await cluster.addNode('n4');
    const added = await client.cluster.addMember({ id: 'n4', address });
    expect(added).toEqual({ id: 'n4', address, voter: false });
    const n4 = await cluster.startNode('n4', { join: true });
    await waitUntil('n4 is a voter', () => isVoter(n4, 'n4'), 10_000);
    const onN4 = await connect({ endpoints: [address], timeoutMs: 10_000 });
    try {
      expect((await onN4.kv.get('before/19', { consistency: 'linearizable' })).value).toBe(19);
    } finally {
      await onN4.close();
    }
    expect(voters(await members())).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('a node whose file names only itself and the leader learns every address from the snapshot, and can lead', async () => {
    const leader = await cluster.leader();
    const address = await cluster.addNode('n5');
    await client.cluster.addMember({ id: 'n5', address });
    // Enough writes that the address book is inside the snapshot n5 will receive.
    for (let i = 0; i < 2 * SNAPSHOT_ENTRIES; i++) await client.kv.put(`more/${i}`, i);
    const file = cluster.config.nodes.filter((n) => n.id === leader || n.id === 'n5');
    const n5 = await FlotillaNode.start({
      config: { ...cluster.config, nodes: file },
      nodeId: 'n5',
      join: true,
    });
    cluster.nodes.set('n5', n5);
    await waitUntil('n5 is a voter', () => isVoter(n5, 'n5'), 10_000);
    expect(n5.status().members.map((m) => [m.id, m.address])).toEqual(
      ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => [id, cluster.address(id)]),
    );
    // Leading takes a quorum of 3 of the 5: n5 must reach members its file does not name.
    await client.cluster.transferLeader('n5');
    await client.kv.put('written-under-n5', 1);
    expect(n5.status().leaderId).toBe('n5');
  });

  it('removing a follower: it leaves the configuration and cannot disturb the others', async () => {
    const leader = await cluster.leader();
    const gone = [...cluster.nodes.keys()].find((id) => id !== leader && id < 'n4')!;
    const after = await client.cluster.removeMember(gone);
    expect(after.members.map((m) => m.id)).not.toContain(gone);
    // The removed node keeps running: for three election timeouts the others keep their leader and term.
    const term = cluster.nodes.get(leader)!.status().term;
    const until = Date.now() + 3 * ELECTION_MS;
    while (Date.now() < until) await client.kv.put('during', Date.now());
    for (const [id, node] of cluster.nodes) {
      if (id === gone) continue;
      expect(node.status(), id).toMatchObject({ leaderId: leader, term });
    }
    await cluster.stopNode(gone);
  });

  it('removing the leader hands leadership over first; the rest keep taking writes', async () => {
    const leader = await cluster.leader();
    const after = await client.cluster.removeMember(leader);
    expect(after.members.map((m) => m.id)).not.toContain(leader);
    expect(after.leaderId).not.toBe(leader);
    expect(after.leaderId).not.toBe('');
    await client.kv.put('after-leader-removal', 1);
    const old = cluster.nodes.get(leader)!;
    expect(old.status().role).toBe('follower');
    await cluster.stopNode(leader);
    expect((await client.kv.get('after-leader-removal')).value).toBe(1);
  });
});

describe('membership refusals change nothing', () => {
  let cluster: NodeCluster;
  let leaderClient: RawClient;
  let followerClient: RawClient;
  let leader: string;
  const list = async () => resultOf<MemberList>(await leaderClient.call('member.list', {}));

  beforeAll(async () => {
    cluster = await NodeCluster.start({ electionMs: ELECTION_MS });
    leader = await cluster.leader();
    leaderClient = await RawClient.connect(cluster.address(leader));
    followerClient = await RawClient.connect(cluster.address(cluster.follower(leader)));
  });
  afterAll(async () => {
    await leaderClient?.close();
    await followerClient?.close();
    await cluster?.close();
  });

  const refusals: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'an invalid id',
      'member.add',
      { id: 'bad id!', address: '127.0.0.1:9' },
      { code: 'INVALID_ARGUMENT', details: { field: 'id' } },
    ],
    [
      'an address without a port',
      'member.add',
      { id: 'x', address: '127.0.0.1' },
      { code: 'INVALID_ARGUMENT', details: { field: 'address' } },
    ],
    [
      'a port out of range',
      'member.add',
      { id: 'x', address: '127.0.0.1:70000' },
      { code: 'INVALID_ARGUMENT', details: { field: 'address' } },
    ],
    [
      'a bad peer address',
      'member.add',
      { id: 'x', address: '127.0.0.1:9', peerAddress: 'no port' },
      { code: 'INVALID_ARGUMENT', details: { field: 'peerAddress' } },
    ],
    [
      'an unknown field',
      'member.add',
      { id: 'x', address: '127.0.0.1:9', voter: true },
      { code: 'INVALID_ARGUMENT', details: { field: 'voter' } },
    ],
    [
      'an existing id',
      'member.add',
      { id: 'n2', address: '127.0.0.1:9' },
      { code: 'CONFLICT', details: { field: 'id' } },
    ],
    [
      'the address book (nodes write it, never clients)',
      'member.put',
      { members: [{ id: 'x', address: '127.0.0.1:9' }] },
      { code: 'INVALID_ARGUMENT', details: { field: 'op' } },
    ],
    [
      'an unknown id to remove',
      'member.remove',
      { id: 'n9' },
      { code: 'NOT_FOUND', details: { field: 'id' } },
    ],
    [
      'an invalid id to remove',
      'member.remove',
      { id: '' },
      { code: 'INVALID_ARGUMENT', details: { field: 'id' } },
    ],
  ];
  for (const [what, op, args, expected] of refusals) {
    it(`${op} with ${what} answers ${expected.code}`, async () => {
      const before = await list();
      expect(errorOf(await leaderClient.call(op, args))).toMatchObject(expected);
      expect(await list()).toEqual(before);
    });
  }

  it("member.add with a member's address answers CONFLICT naming address", async () => {
    const before = await list();
    const taken = cluster.address('n3');
    expect(errorOf(await leaderClient.call('member.add', { id: 'x', address: taken }))).toMatchObject({
      code: 'CONFLICT',
      details: { field: 'address' },
    });
    expect(await list()).toEqual(before);
  });

  it('a change sent to a follower answers NOT_LEADER naming the leader', async () => {
    const err = errorOf(await followerClient.call('member.add', { id: 'x', address: '127.0.0.1:9' }));
    expect(err).toMatchObject({
      code: 'NOT_LEADER',
      leaderId: leader,
      leaderAddress: cluster.address(leader),
    });
    expect(err.maybeApplied).toBeUndefined();
  });

  it('a second change while one is in progress answers CONFLICT (change-pending); the first applies', async () => {
    const first = leaderClient.call('member.add', { id: 'l1', address: '127.0.0.1:1' });
    const second = leaderClient.call('member.add', { id: 'l2', address: '127.0.0.1:2' });
    expect(errorOf(await second)).toMatchObject({ code: 'CONFLICT', details: { reason: 'change-pending' } });
    expect(resultOf<{ added: unknown }>(await first).added).toEqual({
      id: 'l1',
      address: '127.0.0.1:1',
      voter: false,
    });
    const ids = (await list()).members.map((m) => m.id);
    expect(ids).toContain('l1');
    expect(ids).not.toContain('l2');
    // A learner that never started can be removed again.
    resultOf(await leaderClient.call('member.remove', { id: 'l1' }));
    expect((await list()).members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
  });
});

describe('starting a node', () => {
  it('refuses a node the cluster file does not name, saying how to add it', async () => {
    const cluster = await NodeCluster.start({ size: 1, only: [] });
    try {
      await expect(FlotillaNode.start({ config: cluster.config, nodeId: 'n9' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('join: true'),
      });
    } finally {
      await cluster.close();
    }
  });

  it('the only voter cannot be removed', async () => {
    const cluster = await NodeCluster.start({ size: 1 });
    const c = await RawClient.connect(cluster.address('n1'));
    try {
      await cluster.leader();
      expect(errorOf(await c.call('member.remove', { id: 'n1' }))).toMatchObject({ code: 'CONFLICT' });
    } finally {
      await c.close();
      await cluster.close();
    }
  });

  it('a joining node that no leader adds stays a silent follower: no term, no campaign', async () => {
    const cluster = await NodeCluster.start({ electionMs: ELECTION_MS, only: ['n1', 'n2', 'n3'] });
    const client = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
    try {
      const leader = await cluster.leader();
      const term = cluster.nodes.get(leader)!.status().term;
      await cluster.addNode('n4'); // `join: true` in the file: no --join needed
      const n4 = await cluster.startNode('n4');
      // Three election timeouts of n4's, while the cluster keeps working.
      const until = Date.now() + 3 * ELECTION_MS;
      while (Date.now() < until) await client.kv.put('meanwhile', Date.now());
      expect(n4.status()).toMatchObject({ role: 'follower', term: 0, leaderId: '', members: [] });
      expect(cluster.nodes.get(leader)!.status()).toMatchObject({ leaderId: leader, term });
    } finally {
      await client.close();
      await cluster.close();
    }
  });
});
