import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { Gateway } from '../../src/gateway/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';
import { Backend, type Reply, send } from './helpers.ts';

let cluster: NodeCluster;
let client: FlotillaClient;

beforeAll(async () => {
  cluster = await NodeCluster.start({ size: 1 });
  await cluster.leader();
  client = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await client.close();
  await cluster.close();
});

/** A held backend behind a gateway whose service has `policy`; the caller closes both. */
async function setup(service: string, queueTimeoutMs: number) {
  const backend = await Backend.start(`${service}-1`);
  await client.services.register(backend.registration(service));
  await client.services.setPolicy(service, {
    strategy: 'round-robin',
    maxConcurrent: 10,
    queue: 20,
    queueTimeoutMs,
  });
  const g = await Gateway.start({
    listen: '127.0.0.1:0',
    routes: [`/=${service}`],
    endpoints: cluster.endpoints,
  });
  await g.ready();
  await waitUntil('policy loaded', () => g.table.router(service)!.policy.maxConcurrent === 10, 5000);
  backend.hold();
  return { backend, g };
}

function count(replies: readonly Reply[], status: number): number {
  return replies.filter((r) => r.status === status).length;
}

describe('gateway: per-service concurrency limit with a bounded queue', () => {
  it('a burst of 200 slow requests: 10 served at once, 20 queued, 170 refused 429, the queued 503 after the timeout', async () => {
    const { backend, g } = await setup('ov-burst', 1500);
    try {
      const replies: Reply[] = [];
      const all = Array.from({ length: 200 }, (_, i) =>
        send(`${g.url}/slow/${i}`).then((r) => {
          replies.push(r);
          return r;
        }),
      );
      await waitUntil(
        '170 refused, 10 at the backend, 20 queued',
        () =>
          count(replies, 429) === 170 &&
          backend.inFlight === 10 &&
          g.health().services['ov-burst']!.queued === 20,
        10_000,
      );
      expect(replies.length).toBe(170);
      // The 10 held requests outlast the queue timeout, so every queued one gives up.
      await waitUntil('20 queue timeouts', () => count(replies, 503) === 20, 10_000);
      expect(replies.length).toBe(190);
      backend.release();
      const done = await Promise.all(all);
      expect(count(done, 200)).toBe(10);
      expect(count(done, 429)).toBe(170);
      expect(count(done, 503)).toBe(20);
      expect(backend.maxInFlight).toBe(10);
      expect(backend.seen.length).toBe(10);
      for (const r of done.filter((x) => x.status !== 200)) {
        // retry-after: the queue timeout rounded up to seconds (1.5 s → 2).
        expect(r.headers['retry-after']).toBe('2');
        expect(JSON.parse(r.body).code).toBe(r.status === 429 ? 'OVERLOADED' : 'QUEUE_TIMEOUT');
      }
      // Nothing is left behind in the queue or in flight.
      expect(g.health().services['ov-burst']).toMatchObject({ queued: 0, inFlight: 0 });
    } finally {
      await g.close();
      await backend.close();
    }
  });

  it('queued requests are served in turn as slots free, never more than 10 at the backend', async () => {
    const { backend, g } = await setup('ov-turns', 10_000);
    try {
      const all = Array.from({ length: 30 }, (_, i) => send(`${g.url}/q/${i}`));
      await waitUntil(
        '10 in flight, 20 queued',
        () => g.health().services['ov-turns']!.queued === 20 && backend.inFlight === 10,
        10_000,
      );
      backend.release();
      const done = await Promise.all(all);
      expect(count(done, 200)).toBe(30);
      expect(backend.maxInFlight).toBe(10);
    } finally {
      await g.close();
      await backend.close();
    }
  });
});
