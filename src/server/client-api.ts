/**
 * The client endpoint of a node: WebSocket upgrades at CLIENT_PATH on the
 * node's one HTTP server (peers use `/raft` on the same server; each handler
 * ignores the other's path).
 */

import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLIENT_PATH, type WireError } from '../protocol/client-protocol.ts';
import { ClientConnection } from './client-connection.ts';
import type { NodeContext } from './node-context.ts';
import type { WatchHub } from './watch-hub.ts';

/** Frames up to this multiple of maxRequestBytes are read and refused with an answer; larger ones close the socket. */
const HARD_CAP_FACTOR = 4;

export class ClientApi {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ClientConnection>();
  private closing = false;

  constructor(
    server: http.Server,
    private readonly ctx: NodeContext,
    private readonly hub: WatchHub,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.maxRequestBytes * HARD_CAP_FACTOR,
      perMessageDeflate: false,
    });
    server.on('upgrade', this.onUpgrade);
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req) !== CLIENT_PATH) return; // the peer transport's path, or refused by it
    socket.on('error', () => socket.destroy());
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closing) return ws.terminate();
      const connection = new ClientConnection(ws, this.ctx, this.hub, req.socket);
      this.connections.add(connection);
      this.ctx.metrics.connectionOpened();
      ws.on('close', () => {
        this.connections.delete(connection);
        this.ctx.metrics.connectionClosed();
      });
    });
  };

  /** Ends every watch (clients resume elsewhere) and closes every client connection. */
  close(): void {
    // The upgrade listener stays: until the HTTP server is closed, a client that redials gets a 503
    // from it. Without it, nobody would answer that upgrade (the peer transport's listener ignores
    // other paths on a shared server), and the hanging socket would keep server.close() waiting.
    this.closing = true;
    const end: WireError = { code: 'UNAVAILABLE', message: `node ${this.ctx.id} is shutting down` };
    for (const connection of this.connections) connection.shutdown(end);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

export function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}
