/** A bare protocol client for server tests: sends frames as given, collects every frame received. */

import WebSocket from 'ws';
import { CLIENT_PATH, type ServerFrame, type WatchFrame } from '../../src/protocol/client-protocol.ts';
import { decodeServerFrame, encodeFrame } from '../../src/protocol/frame-codec.ts';
import { waitUntil } from '../support/wait-for.ts';

export class RawClient {
  readonly frames: ServerFrame[] = [];
  private nextId = 1;
  private closedWith: { code: number; reason: string } | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const d = decodeServerFrame(data);
      if (d.ok) this.frames.push(d.frame);
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
    });
    ws.on('error', () => undefined);
  }

  static async connect(address: string): Promise<RawClient> {
    const ws = new WebSocket(`ws://${address}${CLIENT_PATH}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  get closed(): { code: number; reason: string } | undefined {
    return this.closedWith;
  }

  /** Sends a request and waits for its answer: `{ result }` or `{ error }`. */
  async call(op: string, args?: unknown, extra: Record<string, unknown> = {}): Promise<ServerFrame> {
    const id = this.nextId++;
    this.sendRaw(encodeFrame({ id, op, ...(args === undefined ? {} : { args }), ...extra }));
    return this.answer(id);
  }

  sendRaw(data: Uint8Array | string, binary = true): void {
    this.ws.send(data, { binary });
  }

  takeId(): number {
    return this.nextId++;
  }

  async answer(id: number, timeoutMs = 10_000): Promise<ServerFrame> {
    let found: ServerFrame | undefined;
    await waitUntil(
      `answer to request ${id}`,
      () => {
        found = this.frames.find((f) => 'id' in f && f.id === id);
        return found !== undefined;
      },
      timeoutMs,
    );
    return found!;
  }

  watchFrames(watchId: number): WatchFrame[] {
    return this.frames.filter((f): f is WatchFrame => 'watch' in f && f.watch === watchId);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export function resultOf<T = Record<string, unknown>>(frame: ServerFrame): T {
  if (!('result' in frame)) throw new Error(`expected a result, got ${JSON.stringify(frame)}`);
  return frame.result as T;
}

export function errorOf(frame: ServerFrame): { code: string; message: string; [k: string]: unknown } {
  if (!('error' in frame)) throw new Error(`expected an error, got ${JSON.stringify(frame)}`);
  return frame.error as { code: string; message: string };
}
