/**
 * Gateway test support: real HTTP backends on loopback that count what they
 * see (requests in flight, the most at once) and can hold requests until
 * released, and a small HTTP client that reads status, headers and body.
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

type Handler = (req: IncomingMessage, res: ServerResponse, backend: Backend) => void;

/** One backend instance: answers `200 <id>` unless given a handler, or holds requests while `held`. */
export class Backend {
  inFlight = 0;
  maxInFlight = 0;
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  /** While set, requests wait (counted in flight) until release(). */
  held = false;
  private waiting: (() => void)[] = [];

  private constructor(
    readonly id: string,
    private readonly server: Server,
  ) {}

  static async start(id: string, handler?: Handler): Promise<Backend> {
    let self: Backend | undefined;
    const server = createServer((req, res) => self!.onRequest(req, res, handler));
    self = new Backend(id, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The registration of this backend as an instance of `service`. */
  registration(service: string, version = '1.0.0') {
    return { id: this.id, name: service, address: '127.0.0.1', port: this.port, version };
  }

  hold(): void {
    this.held = true;
  }

  /** Lets every held request answer, and stops holding. */
  release(): void {
    this.held = false;
    for (const go of this.waiting.splice(0)) go();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, handler: Handler | undefined): void {
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    const answer = (): void => {
      if (handler !== undefined) {
        handler(req, res, this);
        return;
      }
      req.resume();
      req.once('end', () => res.end(this.id));
    };
    if (this.held) this.waiting.push(answer);
    else answer();
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection; resolves with the whole answer. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | Readable } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

/** GETs the gateway's health. */
export async function healthOf(base: string): Promise<{ status: string; [k: string]: unknown }> {
  return JSON.parse((await send(`${base}/_flotilla/healthz`)).body);
}
