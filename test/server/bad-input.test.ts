import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/frame-codec.ts';
import { waitUntil } from '../support/wait-for.ts';
import { NodeCluster } from './node-cluster.ts';
import { errorOf, RawClient, resultOf } from './raw-client.ts';

describe('bad input on the client port: a clear error, the connection and node keep working, nothing written', () => {
  let cluster: NodeCluster;
  let c: RawClient;
  const revision = async () =>
    resultOf<{ revision: number }>(await c.call('service.list', { consistency: 'stale' })).revision;

  beforeAll(async () => {
    cluster = await NodeCluster.start({
      size: 1,
      node: { limits: { maxRequestBytes: 4096, maxWatches: 2, maxInFlight: 4 } },
    });
    const leader = await cluster.leader();
    c = await RawClient.connect(cluster.address(leader));
  });
  afterAll(async () => {
    await c.close();
    await cluster.close();
  });

  const badRegistrations: [string, Record<string, unknown>, string][] = [
    ['missing name', { id: 'a', address: '127.0.0.1', port: 80 }, 'name'],
    ['malformed name', { id: 'a', name: 'no spaces!', address: '127.0.0.1', port: 80 }, 'name'],
    ['missing id', { name: 'api', address: '127.0.0.1', port: 80 }, 'id'],
    ['bad address', { id: 'a', name: 'api', address: 'not an address', port: 80 }, 'address'],
    ['port out of range', { id: 'a', name: 'api', address: '127.0.0.1', port: 70000 }, 'port'],
    ['unknown field', { id: 'a', name: 'api', address: '127.0.0.1', port: 80, colour: 'red' }, 'colour'],
    [
      'oversized tags',
      { id: 'a', name: 'api', address: '127.0.0.1', port: 80, tags: Array(200).fill('t') },
      'tags',
    ],
  ];
  for (const [what, args, field] of badRegistrations) {
    it(`a registration with ${what} answers INVALID_ARGUMENT naming ${field}`, async () => {
      const before = await revision();
      const err = errorOf(await c.call('service.register', args, { clientId: 'bad', seq: 1 }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain(field);
      expect(await revision()).toBe(before);
    });
  }

  it('an unknown op answers INVALID_ARGUMENT naming op', async () => {
    const err = errorOf(await c.call('service.explode', {}));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'op' } });
  });

  it('read args are checked as strictly as writes', async () => {
    expect(errorOf(await c.call('kv.get', { key: 'k', consistency: 'eventual' })).message).toContain(
      'consistency',
    );
    expect(errorOf(await c.call('service.get', { name: 'api', extra: 1 })).message).toContain('extra');
    expect(errorOf(await c.call('service.get', {}, { clientId: 'x', seq: 1 })).code).toBe('INVALID_ARGUMENT');
  });

  it('malformed frames answer with id 0 and the connection keeps working', async () => {
    c.sendRaw(new Uint8Array([0xc1, 0xff, 0x00])); // not msgpack
    c.sendRaw('{"id":1}', false); // a text frame
    c.sendRaw(encodeFrame({ id: -3, op: 'kv.get' } as never)); // a bad id
    c.sendRaw(Buffer.from([0x93, 1, 2, 3])); // an array, not a map
    const zeros = () => c.frames.filter((f) => 'id' in f && f.id === 0);
    await waitUntil('four refusals', () => zeros().length >= 4, 5_000);
    for (const f of zeros()) expect(errorOf(f).code).toBe('INVALID_ARGUMENT');
    expect(resultOf(await c.call('node.status')).nodeId).toBe('n1');
  });

  it('an oversized request answers LIMIT_EXCEEDED with its id; a huge one closes only that socket', async () => {
    const id = c.takeId();
    c.sendRaw(encodeFrame({ id, op: 'kv.put', args: { key: 'big', value: 'x'.repeat(8000) } }));
    expect(errorOf(await c.answer(id))).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      details: { limit: 'maxRequestBytes' },
    });
    expect(resultOf<{ value: unknown }>(await c.call('kv.get', { key: 'big' })).value).toBeNull();
    const victim = await RawClient.connect(cluster.address('n1'));
    victim.sendRaw(new Uint8Array(64 * 1024));
    await waitUntil('the oversized socket closes', () => victim.closed !== undefined, 5_000);
    expect(victim.closed?.code).toBe(1009);
    expect(resultOf(await c.call('node.status')).nodeId).toBe('n1');
  });

  it('too many watches on one connection answer LIMIT_EXCEEDED', async () => {
    const w = await RawClient.connect(cluster.address('n1'));
    resultOf(await w.call('watch', {}));
    resultOf(await w.call('watch', {}));
    expect(errorOf(await w.call('watch', {}))).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      details: { limit: 'maxWatches' },
    });
    await w.close();
  });

  it('more requests in flight than the limit answer LIMIT_EXCEEDED for the excess only', async () => {
    const w = await RawClient.connect(cluster.address('n1'));
    const ids = Array.from({ length: 8 }, () => w.takeId());
    for (const id of ids) w.sendRaw(encodeFrame({ id, op: 'kv.put', args: { key: `f${id}`, value: id } }));
    const answers = await Promise.all(ids.map((id) => w.answer(id)));
    const refused = answers.filter((a) => 'error' in a);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) expect(errorOf(a).code).toBe('LIMIT_EXCEEDED');
    expect(answers.filter((a) => 'result' in a).length).toBeGreaterThanOrEqual(4);
    await w.close();
  });

  it('a bad watch filter answers INVALID_ARGUMENT', async () => {
    expect(errorOf(await c.call('watch', { filter: { kinds: ['spaceships'] } })).message).toContain(
      'filter.kinds',
    );
    expect(errorOf(await c.call('watch', { fromRevision: -1 })).message).toContain('fromRevision');
  });
});
