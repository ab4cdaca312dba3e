import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../../raft/core/types.ts';
import { recordingLogger, waitFor } from './support.ts';
import { cluster, freePort, transport } from './ws-support.ts';

describe('WsTransport peer events', () => {
  it('dials a peer at once when that peer connects to us, instead of waiting out its backoff', async () => {
    const port = await freePort();
    const logger = recordingLogger();
    // A 60 s backoff: only the inbound connection can make a reconnect happen within the test.
    const a = transport('a', { backoff: { baseMs: 60_000, maxMs: 60_000 }, logger });
    await a.start();
    a.addPeer('b', `127.0.0.1:${port}`);
    await waitFor(() => logger.has('peer link failed; retrying with backoff'), 'a first failed dial');
    const b = transport('b', { listen: { host: '127.0.0.1', port } });
    await b.start();
    b.addPeer('a', `127.0.0.1:${a.port}`);
    await waitFor(() => a.stats().peers.get('b')?.connected === true, 'a dials b again right away');
  });

  it('reports a peer lost when its transport goes away', async () => {
    const [a, b] = await cluster(['a', 'b']);
    const lost: NodeId[] = [];
    a!.onPeerLost((peer) => lost.push(peer));
    await waitFor(() => a!.stats().peers.get('b')?.connected === true, 'connected');
    await b!.close();
    await waitFor(() => lost.includes('b'), 'a hears that b is gone');
    expect(lost.every((peer) => peer === 'b')).toBe(true);
  });
});
