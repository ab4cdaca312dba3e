import { afterEach, describe, expect, it } from 'vitest';
import { merge } from '../../src/client/cluster-status.ts';
import { connect } from '../../src/client/index.ts';
import type { NodeStatus } from '../../src/protocol/client-protocol.ts';
import { deadAddress, startCluster } from './fake-node.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

describe('cluster.status', () => {
  it('merges every node, asks members learned from answers, and lists the silent ones as unreachable', async () => {
    const [n1, n2, n3] = await startCluster(3);
    opened.push(n1!, n2!, n3!);
    const n4 = await deadAddress();
    const stray = await deadAddress();
    const members = [...n1!.members, { id: 'n4', address: n4, voter: false }];
    for (const f of [n1!, n2!, n3!]) f.members = members;
    // n1 still believes it leads term 2; n3 leads term 3 and n2 knows it.
    n1!.term = 2;
    n3!.role = 'leader';
    n3!.term = 3;
    n2!.term = 3;
    n2!.leader = { id: 'n3', address: n3!.address };
    n2!.revision = 7;
    const c = await connect({ endpoints: [n1!.address, n2!.address, stray], timeoutMs: 2000 });
    opened.push(c);
    const s = await c.cluster.status();
    expect(s.leaderId).toBe('n3');
    expect(s.term).toBe(3);
    expect(s.members).toEqual([
      {
        id: 'n1',
        address: n1!.address,
        role: 'leader',
        voter: true,
        term: 2,
        commitIndex: 0,
        appliedIndex: 0,
        reachable: true,
      },
      {
        id: 'n2',
        address: n2!.address,
        role: 'follower',
        voter: true,
        term: 3,
        commitIndex: 7,
        appliedIndex: 7,
        reachable: true,
      },
      {
        id: 'n3',
        address: n3!.address,
        role: 'leader',
        voter: true,
        term: 3,
        commitIndex: 0,
        appliedIndex: 0,
        reachable: true,
      },
      {
        id: 'n4',
        address: n4,
        role: 'unknown',
        voter: false,
        term: null,
        commitIndex: null,
        appliedIndex: null,
        reachable: false,
      },
      {
        id: '',
        address: stray,
        role: 'unknown',
        voter: null,
        term: null,
        commitIndex: null,
        appliedIndex: null,
        reachable: false,
      },
    ]);
    expect(n3!.requests.map((r) => r.op)).toEqual(['node.status']);
  });
});

describe('merge', () => {
  const status = (over: Partial<NodeStatus>): NodeStatus => ({
    nodeId: 'n1',
    address: 'h:1',
    role: 'follower',
    term: 1,
    leaderId: '',
    leaderAddress: null,
    commitIndex: 1,
    appliedIndex: 1,
    revision: 1,
    members: [],
    ...over,
  });

  it('reports no leader and the highest term seen when no answer names a leader', () => {
    const s = merge([
      { address: 'h:1', status: status({ term: 4, role: 'candidate' }) },
      { address: 'h:2', status: status({ nodeId: 'n2', address: 'h:2', term: 6, role: 'pre-candidate' }) },
      { address: 'h:3', status: undefined },
    ]);
    expect(s.leaderId).toBe('');
    expect(s.term).toBe(6);
    expect(s.members.map((m) => [m.id, m.reachable])).toEqual([
      ['n1', true],
      ['n2', true],
      ['', false],
    ]);
  });

  it('reports term 0 and only unreachable endpoints when nobody answered', () => {
    expect(merge([{ address: 'h:1', status: undefined }])).toEqual({
      leaderId: '',
      term: 0,
      members: [
        {
          id: '',
          address: 'h:1',
          role: 'unknown',
          voter: null,
          term: null,
          commitIndex: null,
          appliedIndex: null,
          reachable: false,
        },
      ],
    });
  });
});
