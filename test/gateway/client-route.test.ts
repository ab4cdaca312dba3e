import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient, FlotillaError } from '../../src/client/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { waitUntilAsync } from '../support/wait-for.ts';

let cluster: NodeCluster;
let client: FlotillaClient;

const reg = (id: string, name: string, version = '1.0.0', port = 4000) => ({
  id,
  name,
  address: '127.0.0.1',
  port,
  version,
});

beforeAll(async () => {
  cluster = await NodeCluster.start({ size: 1 });
  await cluster.leader();
  client = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await client.close();
  await cluster.close();
});

/** Polls an async condition (the cache follows a watch: no fixed delay would be right). */
const eventually = (what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> =>
  waitUntilAsync(what, check, timeoutMs);

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlotillaError);
  return (err as FlotillaError).code;
}

describe('client.route', () => {
  it('picks by the service policy from a watched cache, and follows changes', async () => {
    await client.services.register(reg('cr-1', 'cr-api'));
    await client.services.register(reg('cr-2', 'cr-api'));
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push((await client.route('cr-api')).id);
    expect(picks).toEqual(['cr-1', 'cr-2', 'cr-1', 'cr-2']);
    // Consistent hashing by a header, set through the replicated policy, reaches the cache by the watch:
    // five picks in a row for one user land on one instance (round-robin over three never does).
    await client.services.setPolicy('cr-api', { strategy: 'consistent-hash', hashKey: 'header:x-user' });
    await client.services.register(reg('cr-3', 'cr-api', '2.0.0'));
    const alice = { headers: { 'x-user': 'alice' } };
    await eventually('hash policy and third instance cached', async () => {
      const all = await client
        .route('cr-api', {}, { strategy: (xs) => (xs.length === 3 ? xs[0] : undefined) })
        .then(
          () => true,
          () => false,
        );
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) ids.add((await client.route('cr-api', alice)).id);
      return all && ids.size === 1;
    });
    // A per-call custom strategy.
    expect(
      (await client.route('cr-api', {}, { strategy: (xs) => xs.find((x) => x.version === '2.0.0') })).id,
    ).toBe('cr-3');
  });

  it('NOT_FOUND for a service without instances; UNAVAILABLE when none is eligible', async () => {
    expect(await codeOf(client.route('cr-nobody'))).toBe('NOT_FOUND');
    await client.services.register(reg('cr-d1', 'cr-drained'));
    expect((await client.route('cr-drained')).id).toBe('cr-d1');
    await client.services.drain('cr-d1');
    await eventually(
      'drain cached',
      async () => (await codeOf(client.route('cr-drained'))) === 'UNAVAILABLE',
    );
    expect(await codeOf(client.route('cr-drained'))).toBe('UNAVAILABLE');
    expect(await codeOf(client.route('not a name!'))).toBe('INVALID_ARGUMENT');
  });

  it('UNAVAILABLE when the cluster cannot be reached for the first read', async () => {
    const lonely = await NodeCluster.start({ size: 1 });
    try {
      await lonely.leader();
      const c = await connect({
        endpoints: lonely.endpoints,
        timeoutMs: 600,
        retry: { baseMs: 10, maxMs: 50 },
      });
      try {
        await lonely.stopNode('n1');
        expect(await codeOf(c.route('anything'))).toBe('UNAVAILABLE');
      } finally {
        await c.close();
      }
      expect(await codeOf(c.route('anything'))).toBe('CLOSED');
    } finally {
      await lonely.close();
    }
  });
});
