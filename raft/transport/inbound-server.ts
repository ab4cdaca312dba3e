/**
 * The receiving half of the ws transport: accepts authenticated peer
 * connections on one path of an http(s) server (its own, or one shared with
 * the client API and HTTP), and turns their frames into validated messages.
 *
 * Failure policy: nothing a remote sends can throw out of here. A refused
 * upgrade gets an HTTP status and a log line; a bad frame (oversized,
 * undecodable, wrong shape, forged `from`, not for us) closes that one
 * connection and logs why. The peer's dialer reconnects if it is a real peer.
 */

import http, { type IncomingMessage, STATUS_CODES } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Message, NodeId } from '../core/types.ts';
import { verifyHandshake } from './handshake.ts';
import { decodeMessage } from './message-codec.ts';
import { describe, terminate } from './ws-closed.ts';
import type { ResolvedWsOptions } from './ws-options.ts';

/** RFC 6455 close codes used for rejected frames. */
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_INVALID_PAYLOAD = 1007;
const CLOSE_POLICY = 1008;

function rejectUpgrade(socket: Duplex, status: number): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

export class InboundServer {
  private server: http.Server | https.Server | undefined;
  private readonly wss: WebSocketServer;
  /** The live connection from each peer. A newer one from the same peer replaces (terminates) the older. */
  private readonly sockets = new Map<NodeId, WebSocket>();
  private readonly receivedBy = new Map<NodeId, number>();
  private closing = false;
  refused = 0;
  malformed = 0;

  constructor(
    private readonly o: ResolvedWsOptions,
    private readonly deliver: (m: Message) => void,
    /** Told when the open connection from a peer closes (not when a newer one replaces it, nor on our own close). */
    private readonly lost: (peer: NodeId) => void = () => {},
    /** Told when a peer connects to us. */
    private readonly connected: (peer: NodeId) => void = () => {},
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false });
  }

  /** The port actually listened on (useful with port 0), or of the attached server. */
  get port(): number | undefined {
    const a = this.server?.address();
    return a !== null && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  received(peer: NodeId): number {
    return this.receivedBy.get(peer) ?? 0;
  }

  async start(): Promise<void> {
    if (this.o.server !== undefined) {
      this.server = this.o.server;
      this.server.on('upgrade', this.onUpgrade);
      return;
    }
    const tls = this.o.tls;
    const server = tls === undefined ? http.createServer() : https.createServer({ ...tls });
    this.server = server;
    server.on('request', (_req, res) => res.writeHead(426, { connection: 'close' }).end());
    server.on('upgrade', this.onUpgrade);
    server.on('error', (err) => this.o.logger.error({ err: describe(err) }, 'peer server error'));
    const listen = this.o.listen!;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Closes every peer connection and, if it created its server, the server. */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    server?.off('upgrade', this.onUpgrade);
    await Promise.all([...this.wss.clients].map(terminate));
    this.wss.close();
    if (server === undefined || this.o.server !== undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req) !== this.o.path) {
      // On a shared server another handler (the client API) may own this path.
      if (this.o.server === undefined) rejectUpgrade(socket, 404);
      return;
    }
    const remoteAddress = req.socket.remoteAddress;
    socket.on('error', (err) =>
      this.o.logger.warn({ remoteAddress, err: describe(err) }, 'peer socket error'),
    );
    if (this.closing) {
      rejectUpgrade(socket, 503);
      return;
    }
    const verdict = verifyHandshake(req, this.o.id, this.o.token);
    if (!verdict.ok) {
      this.refused += 1;
      this.o.logger.warn(
        { remoteAddress, status: verdict.status, reason: verdict.reason },
        'refused peer connection',
      );
      rejectUpgrade(socket, verdict.status);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, verdict.peer, remoteAddress));
  };

  private accept(ws: WebSocket, peer: NodeId, remoteAddress: string | undefined): void {
    const log = this.o.logger;
    if (this.closing) {
      ws.terminate();
      return;
    }
    this.sockets.get(peer)?.terminate();
    this.sockets.set(peer, ws);
    log.info({ peer, remoteAddress }, 'peer connected');
    this.connected(peer);
    ws.on('message', (data, isBinary) => this.onFrame(ws, peer, data, isBinary));
    // ws reports protocol violations here (oversized frame, bad opcode, …) and closes the socket itself.
    ws.on('error', (err) => {
      this.malformed += 1;
      log.warn({ peer, remoteAddress, err: describe(err) }, 'peer connection closed: protocol error');
    });
    ws.on('close', () => {
      if (this.sockets.get(peer) !== ws) return;
      this.sockets.delete(peer);
      if (!this.closing) this.lost(peer);
    });
  }

  private onFrame(ws: WebSocket, peer: NodeId, data: RawData, isBinary: boolean): void {
    if (ws.readyState !== ws.OPEN) return; // closing: ignore what was already in flight
    const checked = this.check(peer, data, isBinary);
    if ('reason' in checked) {
      this.malformed += 1;
      this.o.logger.warn({ peer, reason: checked.reason }, 'peer connection closed: rejected frame');
      ws.close(checked.code, closeReason(checked.reason));
      return;
    }
    const m = checked.message;
    this.receivedBy.set(peer, this.received(peer) + 1);
    try {
      this.deliver(m);
    } catch (err) {
      this.o.logger.error({ peer, type: m.type, err: describe(err) }, 'message handler threw');
    }
  }

  /** The message in a frame from `peer`, or why the frame is rejected and the close code to send. */
  private check(
    peer: NodeId,
    data: RawData,
    isBinary: boolean,
  ): { readonly message: Message } | { readonly code: number; readonly reason: string } {
    if (!isBinary || !Buffer.isBuffer(data))
      return { code: CLOSE_UNSUPPORTED_DATA, reason: 'not a binary frame' };
    const decoded = decodeMessage(data);
    if (!decoded.ok) return { code: CLOSE_INVALID_PAYLOAD, reason: decoded.reason };
    const m = decoded.message;
    if (m.from !== peer) {
      return {
        code: CLOSE_POLICY,
        reason: `frame claims from=${m.from.slice(0, 40)} on ${peer}'s connection`,
      };
    }
    if (m.to !== this.o.id) return { code: CLOSE_POLICY, reason: `frame addressed to ${m.to.slice(0, 40)}` };
    return { message: m };
  }
}

/**
 * A close reason within RFC 6455's 123-byte limit. Reasons quote attacker
 * input (field names), so they are cut by UTF-8 bytes, not characters: ws
 * throws on a longer one, which would take the node down.
 */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.byteLength <= 123) return reason;
  // Cutting inside a multi-byte character leaves a replacement char, so re-check after decoding.
  let cut = bytes.subarray(0, 120).toString('utf8');
  while (Buffer.byteLength(cut, 'utf8') > 123) cut = cut.slice(0, -1);
  return cut;
}
