import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/client/backoff.ts';
import {
  type ConnectOptions,
  DEFAULT_MAX_WRITE_LANES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_TIMEOUT_MS,
  resolveOptions,
} from '../../src/client/client-options.ts';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { FlotillaError } from '../../src/registry/errors.ts';
import { fcParams } from '../registry/helpers.ts';
import { deadAddress, FakeNode, rejection } from './fake-node.ts';

function fieldOf(options: unknown): string {
  try {
    resolveOptions(options as ConnectOptions);
  } catch (err) {
    if (err instanceof FlotillaError && err.code === 'INVALID_ARGUMENT') return String(err.details.field);
    throw err;
  }
  throw new Error('accepted');
}

describe('resolveOptions', () => {
  it('fills every default and keeps the endpoints in order, without duplicates', () => {
    const input = Object.freeze({ endpoints: Object.freeze(['a:1', 'b:2', 'a:1']) });
    const r = resolveOptions(input);
    expect(r).toMatchObject({
      endpoints: ['a:1', 'b:2'],
      timeoutMs: DEFAULT_TIMEOUT_MS,
      attemptTimeoutMs: Math.ceil(DEFAULT_TIMEOUT_MS / 3),
      retry: { baseMs: DEFAULT_RETRY_BASE_MS, maxMs: DEFAULT_RETRY_MAX_MS },
      maxWriteLanes: DEFAULT_MAX_WRITE_LANES,
    });
    expect(r.clientId).toMatch(/^c[0-9a-f]{24}$/);
    expect(resolveOptions(input).clientId).not.toBe(r.clientId);
    expect(resolveOptions({ endpoints: ['[::1]:7001'], clientId: 'svc-a' }).clientId).toBe('svc-a');
  });

  it.each([
    [undefined, 'options'],
    [{}, 'endpoints'],
    [{ endpoints: [] }, 'endpoints'],
    [{ endpoints: 'a:1' }, 'endpoints'],
    [{ endpoints: ['a:1', 'nohost'] }, 'endpoints[1]'],
    [{ endpoints: ['a:0'] }, 'endpoints[0]'],
    [{ endpoints: ['a:70000'] }, 'endpoints[0]'],
    [{ endpoints: ['ws://a:1'] }, 'endpoints[0]'],
    [{ endpoints: ['a:1'], timeoutMs: 0 }, 'timeoutMs'],
    [{ endpoints: ['a:1'], timeoutMs: 1.5 }, 'timeoutMs'],
    [{ endpoints: ['a:1'], timeoutMs: '5000' }, 'timeoutMs'],
    [{ endpoints: ['a:1'], timeoutMs: 100, attemptTimeoutMs: 200 }, 'attemptTimeoutMs'],
    [{ endpoints: ['a:1'], retry: 5 }, 'retry'],
    [{ endpoints: ['a:1'], retry: { baseMs: 0 } }, 'retry.baseMs'],
    [{ endpoints: ['a:1'], retry: { baseMs: 100, maxMs: 50 } }, 'retry.maxMs'],
    [{ endpoints: ['a:1'], clientId: '' }, 'clientId'],
    [{ endpoints: ['a:1'], clientId: 'has space' }, 'clientId'],
    [{ endpoints: ['a:1'], clientId: 'x'.repeat(124) }, 'clientId'],
    [{ endpoints: ['a:1'], maxWriteLanes: 0 }, 'maxWriteLanes'],
    [{ endpoints: ['a:1'], maxWriteLanes: 10_000 }, 'maxWriteLanes'],
  ])('refuses %j naming %s', (options, field) => {
    expect(fieldOf(options)).toBe(field);
  });
});

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(maxMs, baseMs·2^attempt)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, extra, r) => {
          const retry = { baseMs, maxMs: baseMs + extra };
          const d = backoffDelay(attempt, retry, () => r);
          const cap = Math.min(retry.maxMs, baseMs * 2 ** Math.min(attempt, 30));
          return Number.isInteger(d) && d >= 0 && d <= cap;
        },
      ),
      fcParams(0xb0ff),
    );
  });
});

describe('connect', () => {
  const opened: (FlotillaClient | FakeNode)[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((x) => x.close()));
  });

  it('rejects invalid options with INVALID_ARGUMENT before dialing', async () => {
    const err = await rejection(
      connect({ endpoints: ['127.0.0.1:1'], maxWriteLanes: -1 }),
      'INVALID_ARGUMENT',
    );
    expect(err.details.field).toBe('maxWriteLanes');
  });

  it('rejects UNAVAILABLE naming every endpoint when none answers within timeoutMs', async () => {
    const endpoints = [await deadAddress(), await deadAddress()];
    const err = await rejection(connect({ endpoints, timeoutMs: 300 }), 'UNAVAILABLE');
    for (const e of endpoints) expect(err.message).toContain(e);
    expect(err.details.endpoints).toBe(endpoints.join(','));
    expect(err.maybeApplied).toBe(false);
  });

  it('resolves as soon as one endpoint answers', async () => {
    const live = await FakeNode.start('n1', 'leader');
    opened.push(live);
    const client = await connect({ endpoints: [await deadAddress(), live.address], timeoutMs: 2000 });
    opened.push(client);
    expect(live.connections).toBe(1);
  });
});
