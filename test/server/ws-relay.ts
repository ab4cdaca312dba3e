/**
 * A WebSocket relay between a client and a node, for faults the node itself
 * never produces: it forwards every frame both ways and, when told, swallows
 * the node's answer to a matching request and cuts the client's connection —
 * a response lost after the write was applied.
 */

import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { CLIENT_PATH, type RequestFrame } from '../../src/protocol/client-protocol.ts';
import { decodeRequest, decodeServerFrame } from '../../src/protocol/frame-codec.ts';

export class WsRelay {
  private readonly wss: WebSocketServer;
  /** Requests seen, in order. */
  readonly requests: RequestFrame[] = [];
  private dropNext: ((r: RequestFrame) => boolean) | undefined;
  dropped = 0;

  private constructor(
    wss: WebSocketServer,
    private readonly target: string,
  ) {
    this.wss = wss;
    wss.on('connection', (client) => this.relay(client));
  }

  static async start(target: string): Promise<WsRelay> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: CLIENT_PATH,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new WsRelay(wss, target);
  }

  get address(): string {
    return `127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** The node's answer to the next request matching `which` is swallowed and the client cut off. */
  dropAnswerTo(which: (r: RequestFrame) => boolean): void {
    this.dropNext = which;
  }

  private relay(client: WebSocket): void {
    const upstream = new WebSocket(`ws://${this.target}${CLIENT_PATH}`, { perMessageDeflate: false });
    const pending: Buffer[] = [];
    const doomed = new Set<number>();
    upstream.on('open', () => {
      for (const b of pending.splice(0)) upstream.send(b);
    });
    client.on('message', (data: Buffer) => {
      const d = decodeRequest(data);
      if (d.ok) {
        this.requests.push(d.frame);
        if (this.dropNext?.(d.frame) === true) {
          this.dropNext = undefined;
          doomed.add(d.frame.id);
        }
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
      else pending.push(data);
    });
    upstream.on('message', (data: Buffer) => {
      const d = decodeServerFrame(data);
      if (d.ok && 'id' in d.frame && doomed.has(d.frame.id)) {
        this.dropped++;
        client.terminate();
        upstream.close();
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.send(data);
    });
    const end = (): void => {
      client.terminate();
      upstream.terminate();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
