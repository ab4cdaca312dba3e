import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { handshakeHeaders } from '../../../raft/transport/handshake.ts';
import { peerUrl } from '../../../raft/transport/ws-options.ts';
import { heartbeat, inbox, waitFor } from './support.ts';
import { closeAfterTest, cluster, TOKEN } from './ws-support.ts';

/** A self-signed certificate for 127.0.0.1, made now with openssl; undefined when openssl is not on PATH. */
function selfSigned(): { cert: string; key: string } | undefined {
  if (spawnSync('openssl', ['version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
  try {
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    args.push('-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1');
    args.push('-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    const made = spawnSync('openssl', args, { stdio: 'ignore' });
    if (made.status !== 0) return undefined;
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pem = selfSigned();

describe('WsTransport with tls', () => {
  it('dials wss:// when tls is configured, ws:// otherwise', () => {
    const tls = { cert: 'c', key: 'k' };
    expect(peerUrl('10.0.0.1:7001', { tls, path: '/raft' })).toBe('wss://10.0.0.1:7001/raft');
    expect(peerUrl('10.0.0.1:7001', { tls: undefined, path: '/raft' })).toBe('ws://10.0.0.1:7001/raft');
    expect(peerUrl('ws://h:1/x', { tls, path: '/raft' })).toBe('ws://h:1/x');
  });

  // Registered only when openssl could make a certificate (no .skip: the case simply does not exist without it).
  if (pem !== undefined) {
    it('carries messages over wss with a self-signed certificate; untrusted clients cannot connect', async () => {
      const [a, b] = await cluster(['a', 'b'], { tls: { ...pem, ca: pem.cert } });
      const got = inbox(b!);
      a!.send(heartbeat('a', 'b', 9));
      await waitFor(() => got.length === 1, 'delivery over wss');
      expect(got[0]).toMatchObject({ from: 'a', commit: 9 });

      // Without our CA in its trust store a client refuses the certificate.
      const untrusting = new WebSocket(`wss://127.0.0.1:${b!.port}/raft`, {
        headers: handshakeHeaders(TOKEN, 'x', 'b'),
      });
      closeAfterTest({ close: () => untrusting.terminate() });
      const err = await new Promise<Error>((resolve) => untrusting.once('error', resolve));
      expect(err.message).toMatch(/self[- ]signed/i);
    });
  }
});
