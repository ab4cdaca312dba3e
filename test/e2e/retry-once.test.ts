/**
 * A write whose answer is lost after it was applied: the SDK resends it with
 * the same (session, seq) and the registry applies it once, answering the
 * first result again.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { WsRelay } from '../server/ws-relay.ts';

describe('a write retried after its response was dropped', () => {
  let cluster: NodeCluster;
  let relay: WsRelay;
  let client: FlotillaClient;

  beforeAll(async () => {
    cluster = await NodeCluster.start({ size: 1 });
    relay = await WsRelay.start(cluster.address(await cluster.leader()));
    client = await connect({ endpoints: [relay.address], timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await client?.close();
    await relay?.close();
    await cluster?.close();
  });

  it('applies once: a create-if-absent cas answers succeeded, and the key changed at one revision', async () => {
    relay.dropAnswerTo((r) => r.op === 'kv.cas');
    const result = await client.kv.cas('once', null, 'v1');
    expect(relay.dropped).toBe(1);
    const sent = relay.requests.filter((r) => r.op === 'kv.cas');
    expect(sent.length).toBe(2);
    expect(sent[1]).toMatchObject({ clientId: sent[0]!.clientId, seq: sent[0]!.seq });
    // Applied twice, the second cas would have found 'v1' where it expected nothing, and failed.
    expect(result.succeeded).toBe(true);
    const got = await client.kv.get('once');
    expect(got.value).toBe('v1');
    expect(got.modRevision).toBe(result.revision);
  });

  it('applies once: a retried registration does not move the revision twice', async () => {
    relay.dropAnswerTo((r) => r.op === 'service.register');
    const before = (await client.services.list()).revision;
    const result = await client.services.register({ id: 'r-1', name: 'r', address: '127.0.0.1', port: 1 });
    expect(relay.dropped).toBe(2);
    expect(result.replaced ?? false).toBe(false);
    const after = (await client.services.list()).revision;
    expect(after).toBe(result.revision);
    expect(result.revision).toBeGreaterThan(before);
  });
});
