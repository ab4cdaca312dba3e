/**
 * A cluster configured with `tls`: peers speak wss, clients must too. The SDK
 * (given the CA) writes and reads; the nodes' own client (health
 * transitions) gets through; a plain ws client cannot connect.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import { selfSigned } from '../support/self-signed.ts';
import { waitUntilAsync } from '../support/wait-for.ts';
import { NodeCluster } from './node-cluster.ts';

const pem = selfSigned();
if (pem === undefined) throw new Error('openssl is required for the TLS tests (.ci/run installs it)');

describe('a TLS cluster', () => {
  let cluster: NodeCluster;
  let client: FlotillaClient;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-files-'));

  beforeAll(async () => {
    writeFileSync(join(dir, 'cert.pem'), pem.cert);
    writeFileSync(join(dir, 'key.pem'), pem.key);
    // Self-signed: the certificate is its own CA.
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'cert.pem') };
    cluster = await NodeCluster.start({ tls: files });
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints, tls: { ca: pem.cert } });
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('elects a leader over wss and serves the SDK over wss', async () => {
    const w = await client.kv.put('tls/k', 'v');
    const got = await client.kv.get('tls/k');
    expect(got).toMatchObject({ value: 'v', modRevision: w.revision });
  });

  it('the nodes write health transitions through their own TLS client', async () => {
    await client.services.register({
      id: 'tls-ttl',
      name: 'tls',
      address: '127.0.0.1',
      port: 1,
      checks: [{ type: 'ttl', ttlMs: 60_000 }],
    });
    await client.services.heartbeat('tls-ttl');
    await waitUntilAsync(
      'tls-ttl passing',
      async () => (await client.services.discover('tls')).instances[0]?.health === 'passing',
      10_000,
    );
  });

  it('a client without TLS, or without the CA, cannot connect', async () => {
    await expect(connect({ endpoints: cluster.endpoints, timeoutMs: 500 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await expect(connect({ endpoints: cluster.endpoints, timeoutMs: 500, tls: {} })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
