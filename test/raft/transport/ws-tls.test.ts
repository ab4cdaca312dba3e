import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { handshakeHeaders } from '../../../raft/transport/handshake.ts';
import { peerUrl } from '../../../raft/transport/ws-options.ts';
import { selfSigned } from '../../support/self-signed.ts';
import { heartbeat, inbox, waitFor } from './support.ts';
import { closeAfterTest, cluster, TOKEN } from './ws-support.ts';

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
