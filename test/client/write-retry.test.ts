import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect, FlotillaClient, resolveOptions } from '../../src/client/index.ts';
import type { RequestFrame } from '../../src/protocol/client-protocol.ts';
import { waitUntil } from '../support/wait-for.ts';
import { type Action, deadAddress, type FakeNode, rejection, startCluster } from './fake-node.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

async function setup(
  n: number,
  options: Partial<ConnectOptions> = {},
  random?: () => number,
): Promise<[FlotillaClient, ...FakeNode[]]> {
  const nodes = await startCluster(n);
  opened.push(...nodes);
  const c = await connect(
    {
      endpoints: nodes.map((f) => f.address),
      retry: { baseMs: 5, maxMs: 20 },
      timeoutMs: 2000,
      attemptTimeoutMs: 100,
      ...options,
    },
    random === undefined ? {} : { random },
  );
  opened.push(c);
  return [c, ...nodes];
}

/** A handler that answers the first `n` writes with `first`, then behaves normally. */
function firstWrites(n: number, first: Action) {
  let seen = 0;
  return (req: RequestFrame): Action | undefined => (req.seq !== undefined && seen++ < n ? first : undefined);
}

const session = (w: { clientId?: string; seq?: number }) => `${w.clientId}/${w.seq}`;

describe('retries apply a write at most once', () => {
  it('resends a write whose response was dropped with the same (clientId, seq)', async () => {
    const [c, leader] = await setup(1);
    leader!.handler = firstWrites(1, 'apply-and-drop');
    await expect(c.kv.put('a', 1)).resolves.toEqual({ revision: 1 });
    expect(leader!.writes).toHaveLength(2);
    expect(session(leader!.writes[1]!)).toBe(session(leader!.writes[0]!));
    expect(leader!.applied).toHaveLength(1);
  });

  it('resends after the connection closed on receiving the write, on a fresh connection', async () => {
    const [c, leader] = await setup(1);
    leader!.handler = firstWrites(1, 'apply-and-close');
    await expect(c.services.setHealth('api-1', 'passing')).resolves.toEqual({ revision: 1 });
    expect(new Set(leader!.writes.map(session)).size).toBe(1);
    expect(leader!.applied).toHaveLength(1);
    expect(leader!.requests.at(-1)?.args).toEqual({ id: 'api-1', health: 'passing' });
  });

  it('gives each concurrent write its own lane, and the next write on a lane a higher seq', async () => {
    const [c, leader] = await setup(1, { clientId: 'app' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    leader!.handler = async (req) => {
      if (req.seq !== undefined) await gate;
      return undefined;
    };
    const puts = [c.kv.put('a', 1), c.kv.put('b', 2), c.kv.put('c', 3)];
    await waitUntil('three writes in flight', () => leader!.writesInFlight === 3, 2000);
    release();
    await Promise.all(puts);
    expect(leader!.writes.map((w) => w.clientId).sort()).toEqual(['app.0', 'app.1', 'app.2']);
    await c.kv.put('d', 4);
    const lane0 = leader!.writes.filter((w) => w.clientId === 'app.0').map((w) => w.seq!);
    expect(lane0).toHaveLength(2);
    expect(lane0[1]).toBe(lane0[0]! + 1);
  });

  it('holds at most maxWriteLanes writes in flight and queues the rest', async () => {
    const [c, leader] = await setup(1, { maxWriteLanes: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    leader!.handler = async (req) => {
      if (req.seq !== undefined) await gate;
      return undefined;
    };
    const puts = Array.from({ length: 5 }, (_, k) => c.kv.put(`k${k}`, k));
    await waitUntil('both lanes busy', () => leader!.writesInFlight === 2, 2000);
    expect(leader!.writes).toHaveLength(2);
    release();
    await expect(Promise.all(puts)).resolves.toHaveLength(5);
    expect(leader!.maxWritesInFlight).toBe(2);
    expect(new Set(leader!.writes.map((w) => w.clientId)).size).toBe(2);
  });
});

describe('maybeApplied', () => {
  it('is false when no endpoint could be reached (TIMEOUT)', async () => {
    // Built without connect(), which would refuse: the write never finds an open socket.
    const c = new FlotillaClient(resolveOptions({ endpoints: [await deadAddress()], timeoutMs: 300 }));
    opened.push(c);
    const err = await rejection(c.kv.put('a', 1), 'TIMEOUT');
    expect(err.maybeApplied).toBe(false);
    expect(err.message).toContain('connection failed');
  });

  it('is false when every node answered NOT_LEADER until the deadline', async () => {
    // The jitter pinned high: the backoff after the refusal outlasts the deadline, so no send is in flight then.
    const [c, n1, n2] = await setup(2, { timeoutMs: 300, retry: { baseMs: 1000, maxMs: 1000 } }, () => 0.99);
    n1!.role = 'follower';
    n1!.leader = undefined;
    n2!.leader = undefined;
    const err = await rejection(c.kv.put('a', 1), 'TIMEOUT');
    expect(err.maybeApplied).toBe(false);
    expect(err.details).toMatchObject({ op: 'kv.put', timeoutMs: 300 });
    expect(err.message).toContain('NOT_LEADER');
  });

  it('is true when the write was sent and no answer came before the deadline', async () => {
    const [c, leader] = await setup(1, { timeoutMs: 300 });
    leader!.handler = () => 'drop';
    const err = await rejection(c.kv.put('a', 1), 'TIMEOUT');
    expect(err.maybeApplied).toBe(true);
    expect(new Set(leader!.writes.map(session)).size).toBe(1);
  });

  it('is true when the node said maybeApplied and nothing settled it later', async () => {
    const [c, leader] = await setup(1, { timeoutMs: 300 });
    let first = true;
    leader!.handler = (req) => {
      if (req.seq === undefined) return undefined;
      if (first) {
        first = false;
        return { error: { code: 'UNAVAILABLE', message: 'leadership lost', maybeApplied: true } };
      }
      return { error: { code: 'NOT_LEADER', message: 'no leader' } };
    };
    const err = await rejection(c.kv.put('a', 1), 'TIMEOUT');
    expect(err.maybeApplied).toBe(true);
  });

  it('is false for a definite refusal, thrown at once without a retry', async () => {
    const [c, leader] = await setup(1);
    leader!.handler = () => ({
      error: { code: 'INVALID_ARGUMENT', message: 'port: bad', details: { field: 'port' } },
    });
    const err = await rejection(
      c.services.register({ id: 'a', name: 'a', address: '10.0.0.1', port: 0 }),
      'INVALID_ARGUMENT',
    );
    expect(err.maybeApplied).toBe(false);
    expect(err.details.field).toBe('port');
    expect(leader!.writes).toHaveLength(1);
  });

  it('is false when a definite answer to the resent write settles an ambiguous first attempt', async () => {
    const [c, leader] = await setup(1);
    let first = true;
    leader!.handler = () => {
      if (!first) return { error: { code: 'NOT_FOUND', message: 'no such instance' } };
      first = false;
      return 'close';
    };
    const err = await rejection(c.services.drain('ghost'), 'NOT_FOUND');
    expect(err.maybeApplied).toBe(false);
  });

  it('is true when a resent write is refused for a reason unrelated to the command', async () => {
    const [c, leader] = await setup(1);
    let first = true;
    leader!.handler = () => {
      if (!first) return { error: { code: 'LIMIT_EXCEEDED', message: 'too many requests' } };
      first = false;
      return 'close';
    };
    const err = await rejection(c.kv.delete('k'), 'LIMIT_EXCEEDED');
    expect(err.maybeApplied).toBe(true);
  });

  it('is never set on a read, even one sent and unanswered', async () => {
    const [c, leader] = await setup(1, { timeoutMs: 300 });
    leader!.handler = () => 'drop';
    const err = await rejection(c.kv.list('a/'), 'TIMEOUT');
    expect(err.maybeApplied).toBe(false);
  });

  it('is true for a leadership transfer whose connection dropped: it is not resent', async () => {
    const [c, leader] = await setup(1);
    leader!.handler = (req) => (req.op === 'leader.transfer' ? 'close' : undefined);
    const err = await rejection(c.cluster.transferLeader('n2'), 'UNAVAILABLE');
    expect(err.maybeApplied).toBe(true);
    expect(leader!.requests.filter((r) => r.op === 'leader.transfer')).toHaveLength(1);
  });

  it('is true for a membership change whose connection dropped: it is not resent (no session dedupes it)', async () => {
    const [c, leader] = await setup(1);
    leader!.handler = (req) => (req.op.startsWith('member.') ? 'close' : undefined);
    const add = await rejection(c.cluster.addMember({ id: 'n4', address: 'h:4' }), 'UNAVAILABLE');
    expect(add.maybeApplied).toBe(true);
    const remove = await rejection(c.cluster.removeMember('n2'), 'UNAVAILABLE');
    expect(remove.maybeApplied).toBe(true);
    expect(leader!.requests.map((r) => r.op)).toEqual(['member.add', 'member.remove']);
    expect(leader!.requests.every((r) => r.clientId === undefined)).toBe(true);
  });
});

describe('deadlines', () => {
  it('honours a per-call timeoutMs', async () => {
    const [c, leader] = await setup(1, { timeoutMs: 10_000, attemptTimeoutMs: 10_000 });
    leader!.handler = () => 'drop';
    const started = performance.now();
    const err = await rejection(c.kv.get('a', { timeoutMs: 150 }), 'TIMEOUT');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err.details.timeoutMs).toBe(150);
  });

  it('throws STALE_SEQUENCE as is and moves the lane above the reported seq', async () => {
    const [c, leader] = await setup(1, { clientId: 'dup' });
    leader!.handler = firstWrites(1, {
      error: { code: 'STALE_SEQUENCE', message: 'superseded', details: { field: 'seq', lastSeq: 9e15 } },
    });
    await rejection(c.kv.put('a', 1), 'STALE_SEQUENCE');
    await c.kv.put('a', 2);
    expect(leader!.writes[1]!.seq).toBe(9e15 + 1);
  });
});
