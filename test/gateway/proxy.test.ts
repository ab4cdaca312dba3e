import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { Gateway, type GatewayOptions } from '../../src/gateway/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { freePort } from '../support/process-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';
import { Backend, healthOf, send } from './helpers.ts';

let cluster: NodeCluster;
let client: FlotillaClient;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  cluster = await NodeCluster.start({ size: 1 });
  await cluster.leader();
  client = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await client.close();
  await cluster.close();
});
afterEach(async () => {
  for (const x of opened.splice(0).reverse()) await x.close();
});

async function backends(...ids: string[]): Promise<Backend[]> {
  const out = await Promise.all(ids.map((id) => Backend.start(id)));
  opened.push(...out);
  return out;
}

async function gateway(routes: string[], extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const g = await Gateway.start({ listen: '127.0.0.1:0', routes, endpoints: cluster.endpoints, ...extra });
  opened.push(g);
  await g.ready();
  return g;
}

/** Waits until the gateway's table for `service` satisfies `check`. */
function tableShows(g: Gateway, service: string, what: string, check: (ids: string[]) => boolean) {
  return waitUntil(
    what,
    () =>
      check(
        g.table
          .router(service)!
          .instances.filter((i) => i.state === 'active')
          .map((i) => i.id),
      ),
    5000,
  );
}

describe('gateway: routing', () => {
  it('routes by longest prefix, names the instance, adds x-forwarded-*, strips hop-by-hop headers', async () => {
    const [a1, a2, w1] = await backends('api-1', 'api-2', 'web-1');
    await client.services.register(a1!.registration('r-api'));
    await client.services.register(a2!.registration('r-api'));
    await client.services.register(w1!.registration('r-web'));
    const g = await gateway(['/=r-web', '/api=r-api']);
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await send(`${g.url}/api/items?x=${i}`, {
        headers: { connection: 'keep-alive, x-secret', 'x-secret': 's', 'x-forwarded-for': '10.0.0.1' },
      });
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-instance']).toBe(r.body);
      served.add(r.body);
    }
    expect(served).toEqual(new Set(['api-1', 'api-2']));
    const seen = a1!.seen[0]!;
    expect(seen.url).toMatch(/^\/api\/items\?x=\d$/);
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(g.url).host);
    expect((await send(`${g.url}/apix`)).body).toBe('web-1');
    expect((await send(`${g.url}/api`)).body).toMatch(/^api-/);
    const health = await healthOf(g.url);
    expect(health.status).toBe('ok');
    // The catch-all route claims /healthz: routed traffic is never shadowed; /_flotilla/healthz stays.
    expect((await send(`${g.url}/healthz`)).body).toBe('web-1');
  });

  it('answers 404 without a route, 503 without an eligible instance', async () => {
    const g = await gateway(['/only=r-empty']);
    expect((await send(`${g.url}/elsewhere`)).status).toBe(404);
    expect((await send(`${g.url}/_flotilla/other`)).status).toBe(404);
    // No route claims /healthz here, so it is the gateway's own.
    expect(JSON.parse((await send(`${g.url}/healthz`)).body).status).toBe('ok');
    const r = await send(`${g.url}/only/x`);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(JSON.parse(r.body).code).toBe('NO_INSTANCE');
  });

  it('streams request and response bodies without buffering them', async () => {
    let release: () => void = () => {};
    const [echo] = await Promise.all([
      Backend.start('echo-1', (req, res) => {
        if (req.method === 'GET') {
          // Sends a first chunk, then holds the response open until the test has seen that chunk.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first;');
          release = () => res.end('last');
          return;
        }
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        req.on('end', () => res.end(`${bytes}:${hash.digest('hex')}`));
      }),
    ]);
    opened.push(echo!);
    await client.services.register(echo!.registration('r-stream'));
    const g = await gateway(['/s=r-stream']);
    // 8 MiB upload from a generator: chunked, never held whole by the test or (per the echo) by the gateway.
    const chunk = Buffer.alloc(64 * 1024, 7);
    const expected = createHash('sha256');
    for (let i = 0; i < 128; i++) expected.update(chunk);
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 128; i++) yield chunk;
      })(),
    );
    const up = await send(`${g.url}/s/upload`, { method: 'POST', body });
    expect(up.status).toBe(200);
    expect(up.body).toBe(`${128 * chunk.length}:${expected.digest('hex')}`);
    // The first chunk reaches the client while the backend still holds the response open.
    const firstChunk = await new Promise<string>((resolve, reject) => {
      const req = request(`${g.url}/s/stream`, { agent: false }, (res) => {
        expect(res.headers['x-flotilla-instance']).toBe('echo-1');
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (text === 'first;') {
            resolve(text);
            release();
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(firstChunk).toBe('first;');
  });

  it('retries idempotent requests on a backend that refuses connections; never a request with a body', async () => {
    const [ok] = await backends('retry-ok');
    const deadPort = await freePort();
    await client.services.register(ok!.registration('r-retry'));
    await client.services.register({
      id: 'retry-dead',
      name: 'r-retry',
      address: '127.0.0.1',
      port: deadPort,
    });
    const g = await gateway(['/r=r-retry'], { router: { outlier: false, breaker: false } });
    // With breakers and ejection off, round-robin sends every other first attempt to the dead one.
    for (let i = 0; i < 10; i++) {
      const r = await send(`${g.url}/r/${i}`);
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-instance']).toBe('retry-ok');
    }
    expect(ok!.seen.length).toBe(10);
    const posts = await Promise.all(
      [1, 2].map(() => send(`${g.url}/r/p`, { method: 'POST', body: 'payload' })),
    );
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
  });

  it('ejects an instance after consecutive failures so requests stop trying it', async () => {
    const [ok] = await backends('eject-ok');
    const deadPort = await freePort();
    await client.services.register(ok!.registration('r-eject'));
    await client.services.register({
      id: 'eject-dead',
      name: 'r-eject',
      address: '127.0.0.1',
      port: deadPort,
    });
    const g = await gateway(['/e=r-eject'], {
      router: { breaker: false, outlier: { consecutiveFailures: 2, maxEjectionPercent: 50 } },
    });
    for (let i = 0; i < 6; i++) expect((await send(`${g.url}/e/${i}`)).status).toBe(200);
    expect(g.health().services['r-eject']!.ejected).toEqual(['eject-dead']);
  });

  it('drains: a draining instance gets no new requests while its request in flight finishes', async () => {
    const [d1, d2] = await backends('drain-1', 'drain-2');
    await client.services.register(d1!.registration('r-drain'));
    await client.services.register(d2!.registration('r-drain'));
    const g = await gateway(['/d=r-drain']);
    d1!.hold();
    d2!.hold();
    const slow = send(`${g.url}/d/slow`);
    await waitUntil('slow request on a backend', () => d1!.inFlight + d2!.inFlight === 1, 5000);
    const [busy, other] = d1!.inFlight === 1 ? [d1!, d2!] : [d2!, d1!];
    other.release();
    await client.services.drain(busy.id);
    await tableShows(g, 'r-drain', 'drain seen by the gateway', (ids) => !ids.includes(busy.id));
    for (let i = 0; i < 6; i++) expect((await send(`${g.url}/d/${i}`)).body).toBe(other.id);
    busy.release();
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.headers['x-flotilla-instance']).toBe(busy.id);
  });

  it('follows a policy change from the watch (a blue-green switch by version weights)', async () => {
    const [blue, green] = await backends('blue-1', 'green-1');
    await client.services.register(blue!.registration('r-bg', '1.0.0'));
    await client.services.register(green!.registration('r-bg', '2.0.0'));
    await client.services.setPolicy('r-bg', { strategy: 'round-robin', versionWeights: { '1.0.0': 1 } });
    const g = await gateway(['/bg=r-bg']);
    for (let i = 0; i < 4; i++) expect((await send(`${g.url}/bg`)).body).toBe('blue-1');
    await client.services.setPolicy('r-bg', { strategy: 'round-robin', versionWeights: { '2.0.0': 1 } });
    await waitUntil(
      'policy seen',
      () => g.table.router('r-bg')!.policy.versionWeights?.['2.0.0'] === 1,
      5000,
    );
    for (let i = 0; i < 4; i++) expect((await send(`${g.url}/bg`)).body).toBe('green-1');
  });
});
