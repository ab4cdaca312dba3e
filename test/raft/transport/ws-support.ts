/** Builds WsTransports on 127.0.0.1 with ephemeral ports, and closes every one of them after each test. */

import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { seededRng } from '../../../raft/core/rng.ts';
import { handshakeHeaders } from '../../../raft/transport/handshake.ts';
import type { WsTransportOptions } from '../../../raft/transport/ws-options.ts';
import { WsTransport } from '../../../raft/transport/ws-transport.ts';

export const TOKEN = 'cluster-secret';
const FAST = { baseMs: 5, maxMs: 40 };
const toClose: { close(): unknown }[] = [];

/** Registers something the current test opened, to be closed after it. */
export function closeAfterTest(c: { close(): unknown }): void {
  toClose.push(c);
}

afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

/** An unstarted transport; it listens on an ephemeral port unless `extra.server` is given. */
export function transport(id: string, extra: Partial<WsTransportOptions> = {}): WsTransport {
  const t = new WsTransport({
    id,
    token: TOKEN,
    ...(extra.server === undefined ? { listen: { host: '127.0.0.1', port: 0 } } : {}),
    backoff: FAST,
    rng: seededRng(1),
    ...extra,
  });
  closeAfterTest(t);
  return t;
}

/** Started transports that all know each other. */
export async function cluster(
  ids: string[],
  extra: Partial<WsTransportOptions> = {},
): Promise<WsTransport[]> {
  const ts = ids.map((id) => transport(id, extra));
  await Promise.all(ts.map((t) => t.start()));
  for (const a of ts) for (const b of ts) if (a !== b) a.addPeer(b.id, `127.0.0.1:${b.port}`);
  return ts;
}

/** A port nothing listens on (just used and released). */
export async function freePort(): Promise<number> {
  const t = transport('probe');
  await t.start();
  const port = t.port!;
  await t.close();
  return port;
}

/** A raw ws client speaking to `t` as peer `from`, for sending what a real transport never would. */
export async function rawPeer(t: WsTransport, from: string, token = TOKEN): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/raft`, { headers: handshakeHeaders(token, from, t.id) });
  closeAfterTest({ close: () => ws.terminate() });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}
