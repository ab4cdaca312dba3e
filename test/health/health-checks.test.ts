/**
 * Issue #7's health acceptance against a real 3-node cluster (in process)
 * and real HTTP backends on loopback.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import type { ChangeEvent } from '../../src/registry/change-history.ts';
import type { Health } from '../../src/registry/types.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { waitUntil, waitUntilAsync } from '../support/wait-for.ts';

/** An HTTP backend whose /health answers what the test says, counting probes. */
class Backend {
  status = 200;
  probes = 0;
  /** Answer 500 and 200 in turn, one per probe: a check never sees two equal results in a row. */
  alternate = false;
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Backend> {
    const server = http.createServer();
    const backend = new Backend(server);
    server.on('request', (_req, res) => {
      backend.probes++;
      const status = backend.alternate ? (backend.probes % 2 === 0 ? 200 : 500) : backend.status;
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return backend;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('health checks', () => {
  let cluster: NodeCluster;
  let client: FlotillaClient;
  const backends: Backend[] = [];
  const healthOf = async (id: string): Promise<Health | undefined> => {
    const { instances } = await client.services.discover('web', { consistency: 'stale' });
    return instances.find((i) => i.id === id)?.health;
  };
  const healthyIds = async (): Promise<string[]> =>
    (await client.services.discover('web', { healthyOnly: true })).instances.map((i) => i.id);
  const eventually = (what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> =>
    waitUntilAsync(what, cond, timeoutMs);
  const backend = async (): Promise<Backend> => {
    const b = await Backend.start();
    backends.push(b);
    return b;
  };

  beforeAll(async () => {
    cluster = await NodeCluster.start();
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('an http check: passes after successesBeforePassing, fails after failuresBeforeCritical, returns, with one transition per crossing', async () => {
    const b = await backend();
    const changes: ChangeEvent[] = [];
    const stream = client.services.watch('web');
    const consuming = (async () => {
      for await (const e of stream) if (e.kind === 'instance') changes.push(e);
    })();
    await client.services.register({
      id: 'web-1',
      name: 'web',
      address: '127.0.0.1',
      port: b.port,
      checks: [
        {
          type: 'http',
          path: '/health',
          intervalMs: 100,
          successesBeforePassing: 2,
          failuresBeforeCritical: 3,
        },
      ],
    });
    expect(await healthOf('web-1')).toBe('critical'); // checks start critical, as in Consul
    await eventually('web-1 passing', async () => (await healthOf('web-1')) === 'passing');
    expect(await healthyIds()).toContain('web-1');
    b.status = 500;
    const failingFrom = b.probes;
    await eventually('web-1 critical', async () => (await healthOf('web-1')) === 'critical');
    expect(b.probes - failingFrom).toBeGreaterThanOrEqual(3);
    expect(await healthyIds()).not.toContain('web-1');
    b.status = 429;
    await eventually('web-1 warning', async () => (await healthOf('web-1')) === 'warning');
    expect(
      (await client.services.discover('web', { healthyOnly: true, includeWarning: true })).instances.map(
        (i) => i.id,
      ),
    ).toContain('web-1');
    b.status = 200;
    await eventually('web-1 passing again', async () => (await healthOf('web-1')) === 'passing');
    const lastHealth = (): string | undefined => {
      const e = changes.at(-1);
      return e?.kind === 'instance' && e.type === 'put' ? e.instance.health : undefined;
    };
    await waitUntil(
      'the watch saw the last transition',
      () => lastHealth() === 'passing' && changes.length >= 5,
      10_000,
    );
    stream.cancel();
    await consuming;
    const healths = changes.map((e) =>
      e.kind === 'instance' && e.type === 'put' ? e.instance.health : 'gone',
    );
    // register (critical), passing, critical, warning, passing: each crossing written once.
    expect(healths).toEqual(['critical', 'passing', 'critical', 'warning', 'passing']);
  });

  it('a flapping backend writes nothing while it never fails or passes enough times in a row', async () => {
    const b = await backend();
    await client.services.register({
      id: 'web-flap',
      name: 'web',
      address: '127.0.0.1',
      port: b.port,
      checks: [
        { type: 'http', path: '/', intervalMs: 100, successesBeforePassing: 2, failuresBeforeCritical: 2 },
      ],
    });
    await eventually('web-flap passing', async () => (await healthOf('web-flap')) === 'passing');
    const before = (await client.services.discover('web')).instances.find(
      (i) => i.id === 'web-flap',
    )!.modRevision;
    b.alternate = true;
    const probesAtStart = b.probes;
    await eventually('twenty alternating probes', async () => b.probes - probesAtStart >= 20);
    b.alternate = false;
    const after = (await client.services.discover('web')).instances.find((i) => i.id === 'web-flap')!;
    expect(after.health).toBe('passing');
    expect(after.modRevision).toBe(before);
  });

  it('deregisterCriticalAfterMs removes an instance that stays critical', async () => {
    const b = await backend();
    b.status = 503;
    await client.services.register({
      id: 'web-dead',
      name: 'web',
      address: '127.0.0.1',
      port: b.port,
      checks: [{ type: 'http', path: '/', intervalMs: 100, deregisterCriticalAfterMs: 1_000 }],
    });
    await eventually('web-dead deregistered', async () => (await healthOf('web-dead')) === undefined);
  });

  it('a ttl check passes while heartbeats come and turns critical when they stop', async () => {
    await client.services.register({
      id: 'web-ttl',
      name: 'web',
      address: '127.0.0.1',
      port: 1,
      checks: [{ type: 'ttl', ttlMs: 1_000 }],
    });
    const beat = await client.services.heartbeat('web-ttl');
    expect(beat).toMatchObject({ id: 'web-ttl', ttlMs: 1_000 });
    await eventually('web-ttl passing', async () => (await healthOf('web-ttl')) === 'passing');
    const stopAt = Date.now();
    await eventually('web-ttl critical', async () => (await healthOf('web-ttl')) === 'critical', 5_000);
    expect(Date.now() - stopAt).toBeGreaterThanOrEqual(900);
    await expect(client.services.heartbeat('web-1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.services.heartbeat('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('the check work moves when its node dies', async () => {
    const b = await backend();
    await client.services.register({
      id: 'web-move',
      name: 'web',
      address: '127.0.0.1',
      port: b.port,
      checks: [{ type: 'http', path: '/', intervalMs: 100 }],
    });
    await eventually('web-move passing', async () => (await healthOf('web-move')) === 'passing');
    const owner = () =>
      [...cluster.nodes.entries()].find(([, n]) => n.checksOwned().includes('web-move'))?.[0];
    await waitUntil('an owner', () => owner() !== undefined, 5_000);
    const first = owner()!;
    await cluster.stopNode(first);
    await waitUntil(
      'another node takes the check over',
      () => owner() !== undefined && owner() !== first,
      10_000,
    );
    b.status = 500;
    await eventually(
      'web-move critical, seen by the new owner',
      async () => (await healthOf('web-move')) === 'critical',
    );
    await cluster.startNode(first);
    await cluster.leader();
  });
});
