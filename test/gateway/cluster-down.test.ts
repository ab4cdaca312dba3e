import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { Gateway } from '../../src/gateway/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';
import { Backend, healthOf, send } from './helpers.ts';

let cluster: NodeCluster;
let client: FlotillaClient;
const backends: Backend[] = [];

beforeAll(async () => {
  cluster = await NodeCluster.start({ size: 3 });
  await cluster.leader();
  client = await connect({ endpoints: cluster.endpoints, retry: { baseMs: 20, maxMs: 200 } });
  backends.push(...(await Promise.all(['down-1', 'down-2', 'down-3'].map((id) => Backend.start(id)))));
});
afterAll(async () => {
  await client.close();
  await cluster.close();
  await Promise.all(backends.map((b) => b.close()));
});

/** Requests from `workers` loops, one after another, until stopped; tallies statuses and who served. */
function steadyTraffic(url: string, workers: number) {
  const tally = { ok: 0, failed: [] as string[], servedBy: new Map<string, number>() };
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const r = await send(url);
        if (r.status === 200) {
          tally.ok++;
          const id = r.headers['x-flotilla-instance'] as string;
          tally.servedBy.set(id, (tally.servedBy.get(id) ?? 0) + 1);
        } else tally.failed.push(`${r.status} ${r.body}`);
      } catch (err) {
        tally.failed.push(String(err));
      }
    }
  });
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('gateway: the whole cluster down', () => {
  it('keeps routing on its last table, reports degraded, and follows the registry again once the cluster is back', async () => {
    const [b1, b2, b3] = backends;
    await client.services.register(b1!.registration('cd-api'));
    await client.services.register(b2!.registration('cd-api'));
    const g = await Gateway.start({
      listen: '127.0.0.1:0',
      routes: ['/=cd-api'],
      endpoints: cluster.endpoints,
      probeIntervalMs: 100,
      clusterTimeoutMs: 500,
    });
    try {
      await g.ready();
      await waitUntil('gateway ok', () => g.health().status === 'ok', 5000);
      const traffic = steadyTraffic(`${g.url}/work`, 4);
      await waitUntil('traffic flowing', () => traffic.tally.ok >= 50, 5000);

      for (const id of [...cluster.nodes.keys()]) await cluster.stopNode(id);
      await waitUntil('degraded', () => g.health().status === 'degraded', 5000);
      expect((await healthOf(g.url)).status).toBe('degraded');
      const atDegraded = traffic.tally.ok;
      await waitUntil(
        'traffic while the cluster is down',
        () => traffic.tally.ok >= atDegraded + 200,
        10_000,
      );
      expect(g.health().status).toBe('degraded');

      for (const id of ['n1', 'n2', 'n3']) await cluster.startNode(id);
      await cluster.leader();
      await waitUntil('ok again', () => g.health().status === 'ok', 10_000);
      // Changes made after the return reach the gateway: b3 joins, b1 drains.
      await client.services.register(b3!.registration('cd-api'));
      await client.services.drain(b1!.id);
      await waitUntil(
        'new table in use',
        () => {
          const ids = g.table
            .router('cd-api')!
            .instances.filter((i) => i.state === 'active')
            .map((i) => i.id);
          return ids.length === 2 && ids.includes('down-3') && !ids.includes('down-1');
        },
        10_000,
      );
      const before = new Map(traffic.tally.servedBy);
      await waitUntil('b3 serving', () => (traffic.tally.servedBy.get('down-3') ?? 0) >= 20, 5000);
      const servedByB1 = (traffic.tally.servedBy.get('down-1') ?? 0) - (before.get('down-1') ?? 0);
      await traffic.stop();
      expect(traffic.tally.failed).toEqual([]);
      // At most the requests already on their way when the drain landed.
      expect(servedByB1).toBeLessThanOrEqual(4);
    } finally {
      await g.close();
    }
  });
});
