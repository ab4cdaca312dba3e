import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK, CUT, delay, FaultProxy, PASS } from '../support/chaos/fault-proxy.ts';
import { waitUntil } from '../support/wait-for.ts';

/** An echo server that counts the connections it accepted. */
async function echoServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, accepted: () => accepted };
}

/** A client socket that collects what it receives and how it ended. */
function dial(address: string) {
  const [host, port] = address.split(':') as [string, string];
  const socket = connect({ host, port: Number(port) });
  const got = { text: '', at: [] as number[], connected: false, closed: false, error: '' };
  socket.on('connect', () => {
    got.connected = true;
  });
  socket.on('data', (b: Buffer) => {
    got.text += b.toString();
    got.at.push(performance.now());
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    got.error = e.code ?? e.message;
  });
  socket.on('close', () => {
    got.closed = true;
  });
  return { socket, got };
}

describe('FaultProxy', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const setup = async () => {
    const echo = await echoServer();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echo.port });
    const sockets: Socket[] = [];
    cleanup.push(() => new Promise((r) => echo.server.close(r)));
    cleanup.push(() => proxy.close());
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
    });
    const open = (address = proxy.address) => {
      const d = dial(address);
      sockets.push(d.socket);
      return d;
    };
    return { echo, proxy, open };
  };

  it('pass: forwards both ways, in order', async () => {
    const { proxy, open } = await setup();
    const c = open();
    await waitUntil('connected', () => c.got.connected, 5_000);
    for (const part of ['one ', 'two ', 'three']) c.socket.write(part);
    await waitUntil('the echo', () => c.got.text === 'one two three', 5_000);
    expect(proxy.stats.bytesForwarded).toBe(2 * 'one two three'.length);
  });

  it('block: an open connection drops every byte; a new one is accepted and hangs; healing resets both', async () => {
    const { echo, proxy, open } = await setup();
    const before = open();
    await waitUntil('connected', () => before.got.connected, 5_000);
    proxy.setMode(BLOCK);
    before.socket.write('lost');
    await waitUntil('the bytes dropped', () => proxy.stats.bytesDropped === 4, 5_000);
    const during = open();
    await waitUntil(
      'the new connection accepted',
      () => during.got.connected && proxy.stats.accepted === 2,
      5_000,
    );
    during.socket.write('also lost');
    await waitUntil('those dropped too', () => proxy.stats.bytesDropped === 4 + 9, 5_000);
    expect(before.got.text).toBe('');
    expect(echo.accepted()).toBe(1); // the hanging connection never reached the target
    proxy.setMode(PASS);
    await waitUntil('both reset', () => before.got.closed && during.got.closed, 5_000);
    expect(proxy.connections).toBe(0);
    const after = open();
    after.socket.write('back');
    await waitUntil('traffic again', () => after.got.text === 'back', 5_000);
  });

  it('block: a connection that lost nothing carries on after the heal', async () => {
    const { proxy, open } = await setup();
    const c = open();
    c.socket.write('a');
    await waitUntil('first echo', () => c.got.text === 'a', 5_000);
    proxy.setMode(BLOCK);
    proxy.setMode(PASS);
    c.socket.write('b');
    await waitUntil('second echo', () => c.got.text === 'ab', 5_000);
    expect(c.got.closed).toBe(false);
  });

  it('delay: every chunk waits the delay, and the order is kept', async () => {
    const { proxy, open } = await setup();
    const c = open();
    await waitUntil('connected', () => c.got.connected, 5_000);
    proxy.setMode(delay(150));
    const sent = performance.now();
    for (const part of ['x', 'y', 'z']) c.socket.write(part);
    await waitUntil('the echo', () => c.got.text === 'xyz', 5_000);
    // Delayed on the way in and again on the way back.
    expect(c.got.at[0]! - sent).toBeGreaterThanOrEqual(2 * 150 - 5);
  });

  it('cut: open connections are reset, new ones too, until the link passes again', async () => {
    const { proxy, open } = await setup();
    const c = open();
    await waitUntil('connected', () => c.got.connected, 5_000);
    proxy.setMode(CUT);
    await waitUntil('the reset', () => c.got.closed, 5_000);
    expect(c.got.error).toBe('ECONNRESET');
    const refused = open();
    await waitUntil('the new one reset', () => refused.got.closed, 5_000);
    expect(refused.got.text).toBe('');
    proxy.setMode(PASS);
    const after = open();
    after.socket.write('ok');
    await waitUntil('traffic again', () => after.got.text === 'ok', 5_000);
  });

  it('a target that is down looks like a reset to the dialer', async () => {
    const { echo, proxy, open } = await setup();
    await new Promise((r) => echo.server.close(r));
    const c = open(proxy.address);
    c.socket.write('anyone?');
    await waitUntil('the reset', () => c.got.closed, 5_000);
    expect(c.got.text).toBe('');
  });

  it('close() ends every connection and stops listening', async () => {
    const { proxy, open } = await setup();
    const c = open();
    c.socket.write('hi');
    await waitUntil('echo', () => c.got.text === 'hi', 5_000);
    await proxy.close();
    await waitUntil('closed', () => c.got.closed, 5_000);
    const late = dial(proxy.address);
    await waitUntil('refused', () => late.got.closed, 5_000);
    expect(late.got.error).toBe('ECONNREFUSED');
  });
});
