import { afterEach, describe, expect, it, vi } from 'vitest';
import { policyOf } from '../../src/cli/policy-command.ts';
import { downstreamHeaders, hasBody, upstreamHeaders } from '../../src/gateway/http-headers.ts';
import {
  type Admission,
  AdmissionQueue,
  Gateway,
  parseRoute,
  RetryBudget,
  RouteMap,
  resolveGatewayOptions,
} from '../../src/gateway/index.ts';
import { freePort } from '../support/process-cluster.ts';
import { send } from './helpers.ts';

describe('route map', () => {
  it('matches the longest prefix on whole segments', () => {
    const m = new RouteMap(['/=web', '/api=api', '/api/v2/=api2'].map(parseRoute));
    expect(m.match('/api')?.service).toBe('api');
    expect(m.match('/api/x')?.service).toBe('api');
    expect(m.match('/apix')?.service).toBe('web');
    expect(m.match('/api/v2')?.service).toBe('api2');
    expect(m.match('/api/v2/users')?.service).toBe('api2');
    expect(new RouteMap([parseRoute('/a=a')]).match('/b')).toBeUndefined();
    expect(m.services().sort()).toEqual(['api', 'api2', 'web']);
  });

  it('rejects malformed, duplicate and reserved routes', () => {
    expect(() => parseRoute('api')).toThrow(/PREFIX=SERVICE/);
    expect(() => parseRoute('api=api')).toThrow(/starting with \//);
    expect(() => parseRoute('/a=not a name')).toThrow(/service name/);
    expect(() => new RouteMap(['/a=x', '/a/=y'].map(parseRoute))).toThrow(/twice/);
    const base = { endpoints: ['127.0.0.1:1'] };
    expect(() => resolveGatewayOptions({ ...base, routes: ['/_flotilla/x=a'] })).toThrow(/reserved/);
    expect(() => resolveGatewayOptions({ ...base, routes: [] })).toThrow(/at least one/);
    expect(() => resolveGatewayOptions({ routes: ['/a=a'] })).toThrow(/endpoints or a client/);
    expect(() => resolveGatewayOptions({ ...base, routes: ['/a=a'], listen: 'nope' })).toThrow(/host:port/);
    expect(resolveGatewayOptions({ ...base, routes: ['/a=a'], listen: '[::1]:0' })).toMatchObject({
      host: '::1',
      port: 0,
    });
  });
});

describe('retry budget', () => {
  it('allows retries up to the percentage of requests plus the floor, over a sliding window', () => {
    let now = 0;
    const b = new RetryBudget({ percent: 20, minPerSecond: 1, windowMs: 10_000 }, () => now);
    // Floor alone: 1/s over a 10 s window = 10 retries.
    let granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(10);
    for (let i = 0; i < 100; i++) b.onRequest();
    granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(20); // 20 % of 100 more
    now += 10_000; // the window slid past all of it
    granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(10);
  });
});

describe('admission queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to the limit, queues FIFO up to the bound, refuses beyond, times out the waiting', async () => {
    vi.useFakeTimers();
    const q = new AdmissionQueue();
    q.configure({ maxConcurrent: 2, queue: 2, queueTimeoutMs: 100 });
    const held = [await q.acquire(), await q.acquire()];
    expect(held.every((a) => a.admitted)).toBe(true);
    const order: string[] = [];
    const settled = (name: string) => (a: Admission) => {
      order.push(name);
      return a;
    };
    const w1 = q.acquire().then(settled('w1'));
    const w2 = q.acquire().then(settled('w2'));
    expect(await q.acquire()).toEqual({ admitted: false, reason: 'queue-full' });
    expect(q.queued).toBe(2);
    if (held[0]!.admitted) held[0]!.permit.release();
    const a1 = await w1;
    expect(a1.admitted).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(await w2).toEqual({ admitted: false, reason: 'queue-timeout' });
    expect(order).toEqual(['w1', 'w2']);
    expect(q.queued).toBe(0);
    expect(q.inFlight).toBe(2);
  });

  it('lets a caller that left go, and applies raised limits at once', async () => {
    const q = new AdmissionQueue();
    q.configure({ maxConcurrent: 1, queue: 5, queueTimeoutMs: 10_000 });
    const first = await q.acquire();
    const left = new AbortController();
    const gone = q.acquire(left.signal);
    const waiting = q.acquire();
    left.abort();
    expect(await gone).toEqual({ admitted: false, reason: 'aborted' });
    q.configure({ maxConcurrent: 2, queue: 5, queueTimeoutMs: 10_000 });
    expect((await waiting).admitted).toBe(true);
    if (first.admitted) {
      first.permit.release();
      first.permit.release(); // a second release is ignored
    }
    expect(q.inFlight).toBe(1);
    q.configure({});
    expect((await q.acquire()).admitted).toBe(true);
  });
});

describe('headers', () => {
  it('drops hop-by-hop headers and those Connection names, adds x-forwarded-*', () => {
    const up = upstreamHeaders(
      {
        host: 'example.com',
        connection: 'close, x-hop',
        'x-hop': '1',
        te: 'trailers',
        expect: '100-continue',
        a: 'b',
      },
      '10.1.2.3',
    );
    expect(up).toEqual({
      host: 'example.com',
      a: 'b',
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'example.com',
    });
    const down = downstreamHeaders({ 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'] }, 'i-1');
    expect(down).toEqual({ 'set-cookie': ['a=1', 'b=2'], 'x-flotilla-instance': 'i-1' });
    expect(hasBody({ 'content-length': '0' })).toBe(false);
    expect(hasBody({ 'content-length': '3' })).toBe(true);
    expect(hasBody({ 'transfer-encoding': 'chunked' })).toBe(true);
    expect(hasBody({})).toBe(false);
  });
});

describe('flotilla service policy flags', () => {
  it('change the stored policy field by field, or replace it', () => {
    const stored = { strategy: 'consistent-hash' as const, hashKey: 'path', maxConcurrent: 5 };
    expect(policyOf(stored, { queue: '10' })).toEqual({ ...stored, queue: 10 });
    expect(policyOf(stored, { strategy: 'least-request' })).toEqual({
      strategy: 'least-request',
      maxConcurrent: 5,
    });
    expect(policyOf(stored, { replace: true, maxConcurrent: '3' })).toEqual({
      strategy: 'round-robin',
      maxConcurrent: 3,
    });
    expect(policyOf(null, { versionWeight: ['1.0.0=900', '2.0.0=100'] })).toEqual({
      strategy: 'round-robin',
      versionWeights: { '1.0.0': 900, '2.0.0': 100 },
    });
    expect(() => policyOf(null, { queue: 'lots' })).toThrow(/--queue must be an integer/);
    expect(() => policyOf(null, { versionWeight: ['x'] })).toThrow(/VERSION=WEIGHT/);
  });
});

describe('gateway before its cluster answers', () => {
  it('listens at once, reports starting (503), and refuses to route until its table is loaded', async () => {
    const g = await Gateway.start({
      listen: '127.0.0.1:0',
      routes: ['/=nowhere'],
      endpoints: [`127.0.0.1:${await freePort()}`],
      clusterTimeoutMs: 200,
    });
    try {
      const health = await send(`${g.url}/_flotilla/healthz`);
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body).status).toBe('starting');
      const r = await send(`${g.url}/x`);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body).code).toBe('NOT_READY');
      expect((await send(`${g.url}/_flotilla/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await g.close();
    }
  });
});
