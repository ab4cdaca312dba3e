/**
 * Issue #7: a backend that fails its check leaves the gateway's rotation
 * after failuresBeforeCritical probes, and returns after
 * successesBeforePassing — health written by the cluster's checkers, seen by
 * the gateway through its watch.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { Gateway } from '../../src/gateway/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { waitUntilAsync } from '../support/wait-for.ts';
import { Backend, send } from './helpers.ts';

const failing = new Set<string>();
const probes = new Map<string, number>();

/** A backend whose /health fails while its id is in `failing`. */
const healthChecked = (id: string) =>
  Backend.start(id, (req, res, b) => {
    req.resume();
    if (req.url === '/health') {
      probes.set(b.id, (probes.get(b.id) ?? 0) + 1);
      res.writeHead(failing.has(b.id) ? 500 : 200).end();
      return;
    }
    res.end(b.id);
  });

describe('gateway rotation follows health checks', () => {
  let cluster: NodeCluster;
  let client: FlotillaClient;
  let gateway: Gateway;
  const backends: Backend[] = [];

  beforeAll(async () => {
    cluster = await NodeCluster.start({ size: 3 });
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints });
    backends.push(...(await Promise.all(['hr-1', 'hr-2', 'hr-3'].map(healthChecked))));
    for (const b of backends) {
      await client.services.register({
        ...b.registration('hr'),
        checks: [
          {
            type: 'http',
            path: '/health',
            intervalMs: 100,
            failuresBeforeCritical: 3,
            successesBeforePassing: 2,
          },
        ],
      });
    }
    gateway = await Gateway.start({ listen: '127.0.0.1:0', routes: ['/=hr'], endpoints: cluster.endpoints });
    await gateway.ready();
  });
  afterAll(async () => {
    await gateway?.close();
    await client?.close();
    await cluster?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  /** Who served `n` requests through the gateway. */
  const servedBy = async (n: number): Promise<Set<string>> => {
    const ids = new Set<string>();
    for (let k = 0; k < n; k++) {
      const r = await send(`${gateway.url}/`);
      expect(r.status).toBe(200);
      ids.add(r.headers['x-flotilla-instance'] as string);
    }
    return ids;
  };
  const until = (what: string, cond: () => Promise<boolean>): Promise<void> =>
    waitUntilAsync(what, cond, 15_000);

  it('a failing backend leaves after failuresBeforeCritical probes and comes back after successesBeforePassing', async () => {
    // Checks start critical (the gateway's panic threshold routes to all meanwhile): wait for three passes.
    await until('all three passing', async () => {
      const { instances } = await client.services.discover('hr', { healthyOnly: true });
      return instances.length === 3;
    });
    await until('all three in rotation', async () => (await servedBy(12)).size === 3);
    failing.add('hr-1');
    const probesAtFailure = probes.get('hr-1') ?? 0;
    await until('hr-1 critical', async () => {
      const { instances } = await client.services.discover('hr', { healthyOnly: true });
      return !instances.some((i) => i.id === 'hr-1');
    });
    expect((probes.get('hr-1') ?? 0) - probesAtFailure).toBeGreaterThanOrEqual(3);
    await until('hr-1 out of the gateway rotation', async () => !(await servedBy(12)).has('hr-1'));
    expect([...(await servedBy(30))].sort()).toEqual(['hr-2', 'hr-3']);
    failing.delete('hr-1');
    await until('hr-1 back in rotation', async () => (await servedBy(12)).has('hr-1'));
  });
});
