/**
 * A scriptable stand-in for a Flotilla node, for SDK tests: a `ws` server on
 * 127.0.0.1 at CLIENT_PATH speaking the client protocol. By default it
 * behaves like a tiny node (a leader applies writes with per-session dedupe
 * keeping only the last seq; a follower answers NOT_LEADER); `handler` can
 * override any request (answer, error, drop, close, delay). It records every
 * request, every write's `(clientId, seq)` and every watch it was asked for.
 */

import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  CLIENT_PATH,
  type NodeStatus,
  type RequestFrame,
  type ServerFrame,
  type WatchFrame,
  type WireError,
} from '../../src/protocol/client-protocol.ts';
import { decodeRequest, encodeFrame } from '../../src/protocol/frame-codec.ts';
import { OPS } from '../../src/registry/commands.ts';
import { FlotillaError } from '../../src/registry/errors.ts';
import type { KvValue } from '../../src/registry/types.ts';

/** What to do with one request. */
export type Action =
  /** The default behaviour. */
  | 'answer'
  /** Never answer (the connection stays up). */
  | 'drop'
  /** Drop the connection without answering. */
  | 'close'
  /** Apply the write as the default would, then never answer. */
  | 'apply-and-drop'
  /** Apply the write, then drop the connection without answering. */
  | 'apply-and-close'
  | { readonly result: unknown }
  | { readonly error: WireError };

export type Handler = (req: RequestFrame, node: FakeNode) => Action | undefined | Promise<Action | undefined>;

/** A `watch` request the node received, to stream frames to. */
export interface SeenWatch {
  readonly id: number;
  readonly args: { readonly filter?: unknown; readonly fromRevision?: number };
  readonly socket: WebSocket;
}

const WRITE_OPS = new Set<string>(OPS);

export class FakeNode {
  role: NodeStatus['role'] = 'follower';
  term = 1;
  /** The leader this node knows (a follower's NOT_LEADER points at it); `undefined`: none. */
  leader: { readonly id: string; readonly address: string } | undefined;
  members: NodeStatus['members'] = [];
  revision = 0;
  /** Overrides the default behaviour when it returns an action. */
  handler: Handler | undefined;
  /** Every request received, in order. */
  readonly requests: RequestFrame[] = [];
  /** Every write received (retries included). */
  readonly writes: { readonly op: string; readonly clientId?: string; readonly seq?: number }[] = [];
  /** Writes applied (duplicates answered from the session table are not). */
  readonly applied: { readonly op: string; readonly clientId?: string; readonly seq?: number }[] = [];
  readonly watches: SeenWatch[] = [];
  readonly cancels: number[] = [];
  /** Writes received and not yet answered, and the most there ever were at once. */
  writesInFlight = 0;
  maxWritesInFlight = 0;
  readonly kv = new Map<string, KvValue>();
  private readonly sessions = new Map<string, { seq: number; result: unknown }>();
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    readonly id: string,
    private readonly server: WebSocketServer,
    readonly address: string,
  ) {
    server.on('connection', (ws) => this.accept(ws));
  }

  /** Starts a fake node on a free port of 127.0.0.1. */
  static async start(id: string, role: NodeStatus['role'] = 'follower'): Promise<FakeNode> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: CLIENT_PATH,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const node = new FakeNode(id, server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    node.role = role;
    return node;
  }

  /** Client connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Drops every client connection (as a crash or a network cut would). */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Sends a watch frame on the socket the watch was opened on. */
  emit(watch: SeenWatch, frame: DistributiveOmit<WatchFrame, 'watch'>): void {
    send(watch.socket, { ...frame, watch: watch.id } as WatchFrame);
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What this node answers to `node.status`. */
  status(): NodeStatus {
    const leading = this.role === 'leader';
    return {
      nodeId: this.id,
      address: this.address,
      role: this.role,
      term: this.term,
      leaderId: leading ? this.id : (this.leader?.id ?? ''),
      leaderAddress: leading ? this.address : (this.leader?.address ?? null),
      commitIndex: this.revision,
      appliedIndex: this.revision,
      revision: this.revision,
      members: this.members,
    };
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      const decoded = decodeRequest(data);
      if (decoded.ok) void this.handle(ws, decoded.frame);
    });
  }

  private async handle(ws: WebSocket, req: RequestFrame): Promise<void> {
    this.requests.push(req);
    const write = WRITE_OPS.has(req.op);
    if (write) {
      this.writes.push(sessionOf(req));
      this.writesInFlight++;
      this.maxWritesInFlight = Math.max(this.maxWritesInFlight, this.writesInFlight);
    }
    try {
      const action = (await this.handler?.(req, this)) ?? 'answer';
      if (action === 'drop') return;
      if (action === 'close') return void ws.terminate();
      if (typeof action === 'object') return send(ws, { id: req.id, ...action } as ServerFrame);
      const answer = this.answer(ws, req);
      if (action === 'apply-and-drop') return;
      if (action === 'apply-and-close') return void ws.terminate();
      send(ws, { id: req.id, ...answer } as ServerFrame);
    } finally {
      if (write) this.writesInFlight--;
    }
  }

  /** The default behaviour of a small node. */
  answer(ws: WebSocket, req: RequestFrame): { result: unknown } | { error: WireError } {
    const args = (req.args ?? {}) as Record<string, unknown>;
    if (WRITE_OPS.has(req.op)) return this.write(req);
    switch (req.op) {
      case 'node.status':
        return { result: this.status() };
      case 'kv.get': {
        const value = this.kv.get(String(args.key)) ?? null;
        return {
          result: { value, revision: this.revision, modRevision: 0, leaderId: this.status().leaderId },
        };
      }
      case 'watch':
        this.watches.push({ id: req.id, args: args as SeenWatch['args'], socket: ws });
        return { result: { watchId: req.id, revision: this.revision } };
      case 'watch.cancel':
        this.cancels.push(Number(args.watchId));
        return { result: { cancelled: true } };
      case 'leader.transfer':
        if (this.role !== 'leader') return this.notLeader();
        return { result: { from: this.id, to: args.to ?? 'n2', term: this.term + 1 } };
      default:
        return { error: { code: 'INVALID_ARGUMENT', message: `fake node: no default for ${req.op}` } };
    }
  }

  private write(req: RequestFrame): { result: unknown } | { error: WireError } {
    if (this.role !== 'leader') return this.notLeader();
    const { clientId, seq } = req;
    if (clientId !== undefined && seq !== undefined) {
      const s = this.sessions.get(clientId);
      if (s !== undefined && seq === s.seq) return { result: s.result };
      if (s !== undefined && seq < s.seq) {
        return {
          error: { code: 'STALE_SEQUENCE', message: 'stale', details: { field: 'seq', lastSeq: s.seq } },
        };
      }
    }
    const args = (req.args ?? {}) as Record<string, unknown>;
    this.revision++;
    let result: Record<string, unknown> = { revision: this.revision };
    if (req.op === 'kv.put') this.kv.set(String(args.key), args.value as KvValue);
    if (req.op === 'kv.delete') result = { ...result, deleted: this.kv.delete(String(args.key)) };
    this.applied.push(sessionOf(req));
    if (clientId !== undefined && seq !== undefined) this.sessions.set(clientId, { seq, result });
    return { result };
  }

  private notLeader(): { error: WireError } {
    const error: WireError =
      this.leader === undefined
        ? { code: 'NOT_LEADER', message: 'no leader known' }
        : {
            code: 'NOT_LEADER',
            message: 'not the leader',
            leaderId: this.leader.id,
            leaderAddress: this.leader.address,
          };
    return { error };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sessionOf(req: RequestFrame): { op: string; clientId?: string; seq?: number } {
  return { op: req.op, ...(req.clientId === undefined ? {} : { clientId: req.clientId, seq: req.seq ?? 0 }) };
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame));
}

/** A `host:port` on which nothing listens (a port just freed). */
export async function deadAddress(): Promise<string> {
  const node = await FakeNode.start('dead');
  await node.close();
  return node.address;
}

/** `n` fake nodes: the first leads, the others follow it; every node lists all as voting members. */
export async function startCluster(n: number): Promise<FakeNode[]> {
  const nodes = await Promise.all(Array.from({ length: n }, (_, k) => FakeNode.start(`n${k + 1}`)));
  const leader = nodes[0]!;
  leader.role = 'leader';
  const members = nodes.map((f) => ({ id: f.id, address: f.address, voter: true }));
  for (const f of nodes) {
    f.members = members;
    if (f !== leader) f.leader = { id: leader.id, address: leader.address };
  }
  return nodes;
}

/** Checks that `err` is a FlotillaError of `code` and returns it typed. */
export function expectCode(err: unknown, code: string): FlotillaError {
  if (!(err instanceof FlotillaError)) throw new Error(`expected FlotillaError ${code}, got ${String(err)}`);
  if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Awaits `promise`, expecting it to reject with a FlotillaError of `code`; returns the error. */
export async function rejection(promise: Promise<unknown>, code: string): Promise<FlotillaError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return expectCode(err, code);
}
