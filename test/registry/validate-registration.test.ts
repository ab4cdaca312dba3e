import { describe, expect, it } from 'vitest';
import { FlotillaError } from '../../src/registry/errors.ts';
import { validateRegistration } from '../../src/registry/validate-registration.ts';
import { baseRegistration } from './helpers.ts';

function fieldOf(input: unknown): string | undefined {
  try {
    validateRegistration(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(FlotillaError);
    expect((err as FlotillaError).code).toBe('INVALID_ARGUMENT');
    expect((err as FlotillaError).maybeApplied).toBe(false);
    return String((err as FlotillaError).details.field);
  }
}

const long = (n: number): string => 'a'.repeat(n);
const manyTags = (n: number): string[] => Array.from({ length: n }, (_, i) => `t${i}`);
const manyMeta = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('validateRegistration: every rule names its field', () => {
  const bad: [string, Record<string, unknown> | unknown, string][] = [
    ['not an object', 'api', 'registration'],
    ['array', [], 'registration'],
    ['missing id', { ...baseRegistration, id: undefined }, 'id'],
    ['empty id', { ...baseRegistration, id: '' }, 'id'],
    ['id with space', { ...baseRegistration, id: 'a b' }, 'id'],
    ['id starting with dash', { ...baseRegistration, id: '-a' }, 'id'],
    ['id too long', { ...baseRegistration, id: long(129) }, 'id'],
    ['id not a string', { ...baseRegistration, id: 7 }, 'id'],
    ['missing name', { ...baseRegistration, name: undefined }, 'name'],
    ['name with slash', { ...baseRegistration, name: 'a/b' }, 'name'],
    ['missing address', { ...baseRegistration, address: undefined }, 'address'],
    ['address with space', { ...baseRegistration, address: 'a b' }, 'address'],
    ['address bad ipv4', { ...baseRegistration, address: '999.1.1.1' }, 'address'],
    ['address label dash', { ...baseRegistration, address: 'a-.example.com' }, 'address'],
    ['address empty label', { ...baseRegistration, address: 'a..b' }, 'address'],
    ['address with port', { ...baseRegistration, address: 'host:80' }, 'address'],
    ['address too long', { ...baseRegistration, address: Array(5).fill(long(63)).join('.') }, 'address'],
    ['missing port', { ...baseRegistration, port: undefined }, 'port'],
    ['port 0', { ...baseRegistration, port: 0 }, 'port'],
    ['port 65536', { ...baseRegistration, port: 65_536 }, 'port'],
    ['port fractional', { ...baseRegistration, port: 80.5 }, 'port'],
    ['port string', { ...baseRegistration, port: '80' }, 'port'],
    ['version with space', { ...baseRegistration, version: '1 0' }, 'version'],
    ['version too long', { ...baseRegistration, version: long(65) }, 'version'],
    ['tags not array', { ...baseRegistration, tags: 'x' }, 'tags'],
    ['too many tags', { ...baseRegistration, tags: manyTags(65) }, 'tags'],
    ['tag too long', { ...baseRegistration, tags: ['ok', long(129)] }, 'tags[1]'],
    ['tag empty', { ...baseRegistration, tags: [''] }, 'tags[0]'],
    ['tag not string', { ...baseRegistration, tags: [1] }, 'tags[0]'],
    ['tag control char', { ...baseRegistration, tags: ['a\nb'] }, 'tags[0]'],
    ['meta not object', { ...baseRegistration, meta: ['a'] }, 'meta'],
    ['too many meta', { ...baseRegistration, meta: manyMeta(65) }, 'meta'],
    ['meta key bad', { ...baseRegistration, meta: { 'a b': 'x' } }, 'meta.a b'],
    ['meta key __proto__', { ...baseRegistration, meta: JSON.parse('{"__proto__":"x"}') }, 'meta.__proto__'],
    ['meta value too long', { ...baseRegistration, meta: { k: long(513) } }, 'meta.k'],
    ['meta value not string', { ...baseRegistration, meta: { k: 1 } }, 'meta.k'],
    ['weight negative', { ...baseRegistration, weight: -1 }, 'weight'],
    ['weight too big', { ...baseRegistration, weight: 1001 }, 'weight'],
    ['weight fractional', { ...baseRegistration, weight: 1.5 }, 'weight'],
    ['zone bad', { ...baseRegistration, zone: 'eu west' }, 'zone'],
    ['checks not array', { ...baseRegistration, checks: {} }, 'checks'],
    ['too many checks', { ...baseRegistration, checks: Array(9).fill({ type: 'tcp' }) }, 'checks'],
    ['check bad type', { ...baseRegistration, checks: [{ type: 'udp' }] }, 'checks[0].type'],
    ['check unknown field', { ...baseRegistration, checks: [{ type: 'tcp', x: 1 }] }, 'checks[0].x'],
    ['http path relative', { ...baseRegistration, checks: [{ type: 'http', path: 'h' }] }, 'checks[0].path'],
    ['tcp with path', { ...baseRegistration, checks: [{ type: 'tcp', path: '/' }] }, 'checks[0].path'],
    ['ttl without ttlMs', { ...baseRegistration, checks: [{ type: 'ttl' }] }, 'checks[0].ttlMs'],
    [
      'http url and path',
      { ...baseRegistration, checks: [{ type: 'http', url: 'http://a:1/', path: '/' }] },
      'checks[0].url',
    ],
    [
      'http url relative',
      { ...baseRegistration, checks: [{ type: 'http', url: '/healthz' }] },
      'checks[0].url',
    ],
    [
      'http url not http',
      { ...baseRegistration, checks: [{ type: 'http', url: 'ftp://a/' }] },
      'checks[0].url',
    ],
    [
      'http with address',
      { ...baseRegistration, checks: [{ type: 'http', address: 'a:1' }] },
      'checks[0].address',
    ],
    ['tcp with url', { ...baseRegistration, checks: [{ type: 'tcp', url: 'http://a:1/' }] }, 'checks[0].url'],
    [
      'tcp address no port',
      { ...baseRegistration, checks: [{ type: 'tcp', address: 'host' }] },
      'checks[0].address',
    ],
    [
      'tcp address bad host',
      { ...baseRegistration, checks: [{ type: 'tcp', address: 'a b:80' }] },
      'checks[0].address',
    ],
    [
      'threshold 0',
      { ...baseRegistration, checks: [{ type: 'tcp', failuresBeforeCritical: 0 }] },
      'checks[0].failuresBeforeCritical',
    ],
    [
      'threshold 101',
      { ...baseRegistration, checks: [{ type: 'tcp', successesBeforePassing: 101 }] },
      'checks[0].successesBeforePassing',
    ],
    [
      'deregister after too soon',
      { ...baseRegistration, checks: [{ type: 'tcp', deregisterCriticalAfterMs: 10 }] },
      'checks[0].deregisterCriticalAfterMs',
    ],
    [
      'ttl with interval',
      { ...baseRegistration, checks: [{ type: 'ttl', ttlMs: 5000, intervalMs: 1000 }] },
      'checks[0].intervalMs',
    ],
    [
      'interval too small',
      { ...baseRegistration, checks: [{ type: 'tcp', intervalMs: 10 }] },
      'checks[0].intervalMs',
    ],
    [
      'timeout above interval',
      { ...baseRegistration, checks: [{ type: 'tcp', intervalMs: 1000, timeoutMs: 2000 }] },
      'checks[0].timeoutMs',
    ],
    ['unknown field', { ...baseRegistration, health: 'passing' }, 'health'],
  ];
  it.each(bad)('%s → INVALID_ARGUMENT on %s', (_label, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  const good: [string, unknown][] = [
    ['minimal', baseRegistration],
    ['ipv6', { ...baseRegistration, address: '::1' }],
    ['hostname', { ...baseRegistration, address: 'api-1.svc.example.com' }],
    ['port bounds', { ...baseRegistration, port: 65_535 }],
    ['64 tags of 128', { ...baseRegistration, tags: manyTags(64).map((t) => t.padEnd(128, 'x')) }],
    ['64 meta, empty value', { ...baseRegistration, meta: { ...manyMeta(63), 'team/owner': '' } }],
    ['weight 1000', { ...baseRegistration, weight: 1000 }],
    [
      'full',
      {
        ...baseRegistration,
        version: '1.2.3+build.7',
        zone: 'eu-west-1a',
        weight: 0,
        checks: [
          { type: 'http', path: '/healthz', intervalMs: 1000, timeoutMs: 500 },
          { type: 'ttl', ttlMs: 10_000, deregisterCriticalAfterMs: 60_000 },
          { type: 'http', url: 'https://api.example.com:8443/health', successesBeforePassing: 3 },
          {
            type: 'tcp',
            address: '10.0.0.5:5432',
            failuresBeforeCritical: 2,
            intervalMs: 500,
            timeoutMs: 200,
          },
        ],
      },
    ],
  ];
  it.each(good)('%s is accepted', (_label, input) => {
    expect(fieldOf(input)).toBeUndefined();
  });

  it('returns a copy holding only known fields, and undefined optionals are dropped', () => {
    const input = { ...baseRegistration, tags: ['a'], zone: undefined };
    const out = validateRegistration(input);
    expect(out).toEqual({ ...baseRegistration, tags: ['a'] });
    expect(out.tags).not.toBe(input.tags);
    expect(Object.hasOwn(out, 'zone')).toBe(false);
  });
});
