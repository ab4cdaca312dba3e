import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Message } from '../../../raft/core/types.ts';
import { handshakeHeaders } from '../../../raft/transport/handshake.ts';
import { encodeMessage } from '../../../raft/transport/message-codec.ts';
import { WsTransport } from '../../../raft/transport/ws-transport.ts';
import { binaries, everyMessage, heartbeat, inbox, recordingLogger, waitFor } from './support.ts';
import { closeAfterTest, cluster, freePort, rawPeer, TOKEN, transport } from './ws-support.ts';

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** The status an upgrade request with `headers` gets. */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/raft',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', ...headers },
    });
    req.setHeader('sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ==');
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('WsTransport', () => {
  it('delivers every message type among three nodes, with Uint8Array payloads intact', async () => {
    const ts = await cluster(['n1', 'n2', 'n3']);
    const boxes = ts.map(inbox);
    const expected = new Map<string, Message[]>();
    for (const from of ts) {
      for (const to of ts) {
        if (from === to) continue;
        const ms = everyMessage(from.id, to.id);
        for (const m of ms) expect(from.send(m)).toBe(true);
        expected.set(`${from.id}->${to.id}`, ms);
      }
    }
    const per = everyMessage('a', 'b').length * 2;
    await waitFor(() => boxes.every((b) => b.length === per), 'every message delivered');
    for (const [i, to] of ts.entries()) {
      for (const from of ts) {
        if (from === to) continue;
        // FIFO per directed link: the messages from one peer arrive in send order.
        expect(boxes[i]!.filter((m) => m.from === from.id)).toStrictEqual(
          expected.get(`${from.id}->${to.id}`),
        );
      }
      for (const b of boxes[i]!.flatMap(binaries))
        expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
    }
    const stats = ts[0]!.stats().peers.get('n2')!;
    expect(stats).toMatchObject({ connected: true, queued: 0, dropped: 0, sent: per / 2, received: per / 2 });
  });

  it('queues for a peer that is down and delivers once it comes up', async () => {
    const port = await freePort();
    const [a] = await cluster(['a']);
    a!.addPeer('b', `127.0.0.1:${port}`);
    for (let i = 1; i <= 3; i++) expect(a!.send(heartbeat('a', 'b', i))).toBe(true);
    expect(a!.stats().peers.get('b')).toMatchObject({ connected: false, queued: 3 });

    const b = transport('b', { listen: { host: '127.0.0.1', port } });
    const got = inbox(b);
    await b.start();
    await waitFor(() => got.length === 3, 'queued messages after reconnect');
    expect(got.map((m) => (m.type === 'heartbeat' ? m.commit : -1))).toEqual([1, 2, 3]);
    a!.send(heartbeat('a', 'b', 4));
    await waitFor(() => got.length === 4, 'a message sent after reconnect');

    // Down again, then back: the link recovers a second time.
    await b.close();
    await waitFor(() => a!.stats().peers.get('b')?.connected === false, 'link seen down');
    const b2 = transport('b', { listen: { host: '127.0.0.1', port } });
    const got2 = inbox(b2);
    await b2.start();
    a!.send(heartbeat('a', 'b', 5));
    await waitFor(() => got2.length === 1, 'delivery after the second restart');
  });

  it('drops and counts when the queue is full; memory stays bounded', async () => {
    const port = await freePort();
    const [a] = await cluster(['a'], { maxQueueMessages: 5, maxFrameBytes: 4096, maxQueueBytes: 4096 });
    a!.addPeer('b', `127.0.0.1:${port}`);
    const accepted = Array.from({ length: 1000 }, (_, i) => a!.send(heartbeat('a', 'b', i)));
    expect(accepted.filter(Boolean)).toHaveLength(5);
    expect(a!.stats().peers.get('b')).toMatchObject({ queued: 5, dropped: 995, sent: 0, connected: false });

    // The byte bound holds too, and a frame larger than the maximum is refused outright.
    const [c] = await cluster(['c'], { maxQueueMessages: 100, maxFrameBytes: 4096, maxQueueBytes: 4096 });
    c!.addPeer('b', `127.0.0.1:${port}`);
    const big = (n: number): Message =>
      ({ ...everyMessage('c', 'b')[8]!, data: new Uint8Array(n) }) as Message;
    expect(c!.send(big(5000))).toBe(false);
    expect(c!.send(big(3000))).toBe(true);
    expect(c!.send(big(3000))).toBe(false);
    expect(c!.stats().peers.get('b')).toMatchObject({ queued: 1, dropped: 2 });

    expect(a!.send(heartbeat('a', 'unknown'))).toBe(false);
    expect(a!.send(heartbeat('someone-else', 'b'))).toBe(false);
  });

  it('refuses a peer with a bad token with 401, logs it, and keeps serving good peers', async () => {
    const log = recordingLogger();
    const [n1, n2] = await cluster(['n1', 'n2'], { logger: log });
    const got = inbox(n1!);

    const intruder = transport('n3', { token: 'wrong' });
    await intruder.start();
    intruder.addPeer('n1', `127.0.0.1:${n1!.port}`);
    intruder.send(heartbeat('n3', 'n1'));
    await waitFor(() => n1!.stats().refused >= 1, 'refusal counted');
    expect(log.lines.find((l) => l.msg === 'refused peer connection')?.obj).toMatchObject({
      status: 401,
      reason: 'wrong cluster token',
      remoteAddress: '127.0.0.1',
    });
    expect(await upgradeStatus(n1!.port!, {})).toBe(401);
    expect(await upgradeStatus(n1!.port!, handshakeHeaders(TOKEN, 'n1', 'n1'))).toBe(400);
    expect(await upgradeStatus(n1!.port!, handshakeHeaders(TOKEN, 'n2', 'n9'))).toBe(421);

    n2!.send(heartbeat('n2', 'n1', 7));
    await waitFor(() => got.length === 1, 'good peer still delivers');
    expect(got[0]).toMatchObject({ from: 'n2', commit: 7 });
    expect(intruder.stats().peers.get('n1')?.connected).toBe(false);
  });

  it.each([
    ['an oversized frame', (ws: WebSocket) => ws.send(new Uint8Array(2048)), 1009],
    ['a garbage frame', (ws: WebSocket) => ws.send(Uint8Array.from([0xc1, 0xff, 0x00, 0x13])), 1007],
    ['a msgpack value of the wrong shape', (ws: WebSocket) => ws.send(encodeMessage({} as Message)), 1007],
    ['a text frame', (ws: WebSocket) => ws.send('hello'), 1003],
    [
      'a frame claiming another sender',
      (ws: WebSocket) => ws.send(encodeMessage(heartbeat('n2', 'n1'))),
      1008,
    ],
  ])(
    'closes only the connection that sent %s, logs it, and keeps serving',
    async (_name, misbehave, code) => {
      const log = recordingLogger();
      const [n1, n2] = await cluster(['n1', 'n2'], { logger: log, maxFrameBytes: 1024, maxQueueBytes: 1024 });
      const got = inbox(n1!);

      const bad = await rawPeer(n1!, 'n9');
      bad.send(encodeMessage(heartbeat('n9', 'n1', 1))); // a valid frame first: accepted
      await waitFor(() => got.length === 1, 'valid raw frame delivered');
      const closed = closeCode(bad);
      misbehave(bad);
      expect(await closed).toBe(code);
      expect(n1!.stats().malformed).toBe(1);
      expect(log.has('peer connection closed')).toBe(true);

      n2!.send(heartbeat('n2', 'n1', 2));
      await waitFor(() => got.length === 2, 'good peer still delivers');
      expect(got.map((m) => m.from)).toEqual(['n9', 'n2']);
    },
  );

  it('redials a link whose peer stops answering pings', async () => {
    // A "peer" that accepts the connection but never answers pings, like a host that vanished mid-connection.
    const mute = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    closeAfterTest({
      close: async () => {
        for (const c of mute.clients) c.terminate();
        await new Promise((resolve) => mute.close(resolve));
      },
    });
    await new Promise((resolve) => mute.once('listening', resolve));
    let connections = 0;
    mute.on('connection', () => {
      connections += 1;
    });
    const log = recordingLogger();
    const [a] = await cluster(['a'], { pingIntervalMs: 20, logger: log });
    a!.addPeer('b', `127.0.0.1:${(mute.address() as AddressInfo).port}`);
    await waitFor(() => connections >= 2, 'a second connection after the first went unanswered');
    expect(log.has('peer link unresponsive')).toBe(true);
  });

  it('replaces an older inbound connection from the same peer', async () => {
    const [n1] = await cluster(['n1']);
    const got = inbox(n1!);
    const older = await rawPeer(n1!, 'n2');
    const olderClosed = closeCode(older);
    const newer = await rawPeer(n1!, 'n2');
    expect(await olderClosed).toBe(1006);
    newer.send(encodeMessage(heartbeat('n2', 'n1', 4)));
    await waitFor(() => got.length === 1, 'delivery on the newer connection');
  });

  it('survives a handler that throws and logs it', async () => {
    const log = recordingLogger();
    const [n1, n2] = await cluster(['n1', 'n2'], { logger: log });
    let calls = 0;
    n1!.onMessage(() => {
      calls += 1;
      throw new Error('boom');
    });
    n2!.send(heartbeat('n2', 'n1'));
    n2!.send(heartbeat('n2', 'n1'));
    await waitFor(() => calls === 2, 'both messages handled');
    expect(log.lines.filter((l) => l.msg === 'message handler threw')).toHaveLength(2);
    expect(n2!.stats().peers.get('n1')?.connected).toBe(true);
  });

  it('attaches to an existing http server under /raft, leaving other routes and the server alone', async () => {
    const servers = [0, 1].map(() =>
      http.createServer((_req, res) => {
        res.end('ok');
      }),
    );
    for (const s of servers) {
      closeAfterTest({
        close: () =>
          new Promise((resolve) => {
            s.close(resolve);
            s.closeAllConnections();
          }),
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    }
    const port = (i: number): number => (servers[i]!.address() as AddressInfo).port;
    const a = transport('a', { server: servers[0]! });
    const b = transport('b', { server: servers[1]! });
    await Promise.all([a.start(), b.start()]);
    a.addPeer('b', `127.0.0.1:${port(1)}`);
    b.addPeer('a', `127.0.0.1:${port(0)}`);
    const got = inbox(b);
    a.send(heartbeat('a', 'b', 3));
    await waitFor(() => got.length === 1, 'delivery through an attached server');
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: port(1), path: '/healthz', agent: false }, (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('ok');
    await a.close();
    await b.close();
    expect(servers[1]!.listening).toBe(true);
  });

  it('fails start() cleanly when the port is taken, and refuses a second start()', async () => {
    const [a] = await cluster(['a']);
    await expect(a!.start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const b = transport('b', { listen: { host: '127.0.0.1', port: a!.port! } });
    await expect(b.start()).rejects.toThrow(/cannot listen.*EADDRINUSE/);
    expect(b.send(heartbeat('b', 'a'))).toBe(false);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const base = { id: 'n1', token: TOKEN, listen: { port: 0 } };
    expect(() => new WsTransport({ ...base, token: '' })).toThrow(/token/);
    expect(() => new WsTransport({ ...base, id: 'bad id' })).toThrow(/id/);
    expect(() => new WsTransport({ id: 'n1', token: TOKEN })).toThrow(/server and listen/);
    expect(() => new WsTransport({ ...base, peers: { n1: '127.0.0.1:1' } })).toThrow(/peer id/);
    expect(() => new WsTransport({ ...base, maxQueueBytes: 10, maxFrameBytes: 100 })).toThrow(
      /maximal frame/,
    );
  });
});
