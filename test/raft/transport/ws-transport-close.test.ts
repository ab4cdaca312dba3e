// Alone in its file (its own worker) so the handle baseline is not disturbed by other tests' closing sockets.
import { describe, expect, it } from 'vitest';
import { heartbeat, openHandles, waitFor } from './support.ts';
import { cluster, freePort, transport } from './ws-support.ts';

describe('WsTransport.close', () => {
  it('is idempotent, refuses later use, and leaves no open handles', async () => {
    const before = openHandles();
    const port = await freePort();
    const ts = await cluster(['n1', 'n2', 'n3']);
    ts[0]!.addPeer('down', `127.0.0.1:${port}`); // a peer that never answers: a reconnect timer is pending
    ts[0]!.send(heartbeat('n1', 'down'));
    ts[0]!.send(heartbeat('n1', 'n2'));
    const up = (t: (typeof ts)[number]): number =>
      [...t.stats().peers.values()].filter((p) => p.connected).length;
    await waitFor(() => ts.every((t) => up(t) === 2), 'mesh up');

    const first = ts.map((t) => t.close());
    const second = ts.map((t) => t.close());
    for (const [i, p] of second.entries()) expect(p).toBe(first[i]);
    await Promise.all([...first, ...ts.map((t) => t[Symbol.asyncDispose]())]);
    expect(ts[0]!.send(heartbeat('n1', 'n2'))).toBe(false);
    await expect(ts[0]!.start()).rejects.toMatchObject({ code: 'CLOSED' });
    const now = (): string => JSON.stringify(openHandles());
    // No kind of handle above its baseline (a timer of the runner's may also end meanwhile).
    const settled = (): boolean =>
      Object.entries(openHandles()).every(([kind, n]) => n <= (before[kind] ?? 0));
    await waitFor(settled, 'handles back to baseline', 2_000).catch((err) => {
      throw new Error(`${err.message}: before ${JSON.stringify(before)}, now ${now()}`);
    });
  });

  it('can close while starting and while dialing', async () => {
    const before = openHandles();
    const ts = await cluster(['a', 'b']);
    ts[0]!.send(heartbeat('a', 'b'));
    await Promise.all(ts.map((t) => t.close())); // dials still in progress

    const c = transport('c');
    const starting = c.start();
    await c.close(); // before the server finished listening
    await starting;
    expect(c.port).toBeUndefined();
    const now = (): string => JSON.stringify(openHandles());
    // No kind of handle above its baseline (a timer of the runner's may also end meanwhile).
    const settled = (): boolean =>
      Object.entries(openHandles()).every(([kind, n]) => n <= (before[kind] ?? 0));
    await waitFor(settled, 'handles back to baseline', 2_000).catch((err) => {
      throw new Error(`${err.message}: before ${JSON.stringify(before)}, now ${now()}`);
    });
  });
});
