/**
 * One client's WebSocket: decodes request frames, enforces the
 * per-connection limits, runs each request and answers it, and owns the
 * connection's watches.
 *
 * Failure policy: nothing a client sends can throw out of here or touch
 * another connection. A frame too broken to read answers an error with id 0
 * and the connection stays open (frames are self-delimiting, so one bad frame
 * cannot desynchronise the stream); a frame beyond the hard size cap is
 * refused by ws itself, which closes the socket with 1009.
 */

import type { RawData, WebSocket } from 'ws';
import type { ClientOp, RequestFrame, ServerFrame, WireError } from '../protocol/client-protocol.ts';
import { QUERY_OPS } from '../protocol/client-protocol.ts';
import { decodeRequest, encodeFrame, requestIdOf } from '../protocol/frame-codec.ts';
import { type Corkable, WriteBatcher } from '../protocol/write-batcher.ts';
import { OPS, type ClientWriteOp as WriteOp } from '../registry/commands.ts';
import { FlotillaError } from '../registry/errors.ts';
import { int, record } from '../registry/validate-primitives.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { QUERY_HANDLERS } from './query-handlers.ts';
import { validateWatchFilter } from './watch-filter.ts';
import type { Watch, WatchHub } from './watch-hub.ts';
import { toWireError } from './wire-errors.ts';
import { handleWrite } from './write-path.ts';

const KNOWN_OPS = new Set<string>([...OPS, ...QUERY_OPS]);
/** A request whose answer was already sent (a watch answers before its first events). */
const ANSWERED = Symbol('answered');

export class ClientConnection {
  private inFlight = 0;
  private readonly watches = new Map<number, Watch>();
  private closed = false;

  private readonly batcher = new WriteBatcher();

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: NodeContext,
    private readonly hub: WatchHub,
    socket?: Corkable,
  ) {
    if (socket !== undefined) this.batcher.attach(socket);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', (err) => ctx.logger.warn({ err: err.message }, 'client connection error'));
  }

  /** Ends every watch with `error` and closes the socket (the node is shutting down). */
  shutdown(error: WireError): void {
    for (const watch of this.watches.values()) this.send({ watch: watch.id, type: 'end', error });
    this.dispose();
    this.ws.close(1001, 'node shutting down');
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches.values()) this.hub.close(watch);
    this.watches.clear();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const admitted = this.admit(data, isBinary);
    if ('error' in admitted) {
      this.fail(admitted.id, admitted.op, admitted.error);
      return;
    }
    const { frame, op } = admitted;
    this.inFlight++;
    this.run(op, frame)
      .then(
        (result) => {
          if (result !== ANSWERED) this.answer(op, { id: frame.id, result });
        },
        (error: unknown) => this.fail(frame.id, op, this.wireError(error, op)),
      )
      .finally(() => {
        this.inFlight--;
      });
  }

  /** The request in a frame, or the error that refuses it (with the id to answer, 0 when unreadable). */
  private admit(
    data: RawData,
    isBinary: boolean,
  ): { frame: RequestFrame; op: ClientOp } | { id: number; op: string; error: WireError } {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    const limits = this.ctx.limits;
    if (!isBinary) return { id: 0, op: 'unknown', error: invalid('frame', 'must be a binary msgpack frame') };
    if (bytes.byteLength > limits.maxRequestBytes) {
      const message = `request of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxRequestBytes} bytes`;
      const details = { limit: 'maxRequestBytes', max: limits.maxRequestBytes };
      return { id: requestIdOf(bytes), op: 'unknown', error: { code: 'LIMIT_EXCEEDED', message, details } };
    }
    const decoded = decodeRequest(bytes);
    if (!decoded.ok)
      return { id: requestIdOf(bytes), op: 'unknown', error: invalid('frame', decoded.reason) };
    const frame = decoded.frame;
    if (!KNOWN_OPS.has(frame.op)) {
      const error = invalid('op', `unknown operation ${JSON.stringify(frame.op)}`);
      return { id: frame.id, op: 'unknown', error };
    }
    const op = frame.op as ClientOp;
    if (this.inFlight >= limits.maxInFlight) {
      const message = `more than ${limits.maxInFlight} requests in flight on one connection; wait for answers`;
      const details = { limit: 'maxInFlight', max: limits.maxInFlight };
      return { id: frame.id, op, error: { code: 'LIMIT_EXCEEDED', message, details } };
    }
    return { frame, op };
  }

  private wireError(error: unknown, op: ClientOp): WireError {
    if (error instanceof RequestFailed) return error.wire;
    if (!(error instanceof FlotillaError) || error.code === 'INTERNAL') {
      this.ctx.logger.error({ op, err: error }, 'client request failed unexpectedly');
    }
    return toWireError(error, this.ctx.addressOf, false);
  }

  private async run(op: ClientOp, frame: RequestFrame): Promise<unknown> {
    if (frame.op === 'watch') return this.openWatch(frame);
    if (frame.op === 'watch.cancel') return this.cancelWatch(frame.args);
    if (!isQuery(op)) return handleWrite(this.ctx, op, frame);
    if (frame.clientId !== undefined || frame.seq !== undefined) {
      throw invalidError('clientId', 'only writes carry clientId and seq');
    }
    return QUERY_HANDLERS[op as keyof typeof QUERY_HANDLERS](this.ctx, frame.args);
  }

  private openWatch(frame: RequestFrame): typeof ANSWERED {
    const r = record(frame.args ?? {}, '', ['filter', 'fromRevision']);
    const filter = validateWatchFilter(r.filter);
    const from =
      r.fromRevision === undefined
        ? undefined
        : int(r.fromRevision, 'fromRevision', 0, Number.MAX_SAFE_INTEGER);
    const limits = this.ctx.limits;
    if (this.watches.size >= limits.maxWatches) {
      throw new FlotillaError('LIMIT_EXCEEDED', `more than ${limits.maxWatches} watches on one connection`, {
        details: { limit: 'maxWatches', max: limits.maxWatches },
      });
    }
    if (this.watches.has(frame.id)) throw invalidError('id', `watch ${frame.id} is already open`);
    const watch: Watch = {
      id: frame.id,
      filter,
      last: 0,
      send: (f) => {
        if (this.ws.bufferedAmount > limits.maxWatchBacklogBytes) return false;
        this.send(f);
        return true;
      },
      overflowed: () => {
        this.watches.delete(frame.id);
        this.send({
          watch: frame.id,
          type: 'end',
          error: {
            code: 'WATCH_OVERFLOW',
            message: 'the client fell too far behind; resume from the last revision seen',
          },
        });
      },
    };
    this.watches.set(frame.id, watch);
    // The answer goes first so the client knows the watch before its first events (ws keeps order).
    const revision = this.ctx.registry.revision;
    this.answer('watch', { id: frame.id, result: { watchId: frame.id, revision } });
    this.hub.open(watch, from);
    return ANSWERED;
  }

  private async cancelWatch(args: unknown): Promise<{ cancelled: boolean }> {
    const watchId = int(record(args ?? {}, '', ['watchId']).watchId, 'watchId', 1, Number.MAX_SAFE_INTEGER);
    const watch = this.watches.get(watchId);
    if (watch === undefined) return { cancelled: false };
    this.watches.delete(watchId);
    return { cancelled: this.hub.close(watch) };
  }

  private answer(op: string, frame: ServerFrame): void {
    this.ctx.metrics.request(op, 'OK');
    this.send(frame);
  }

  private fail(id: number, op: string, error: WireError): void {
    this.ctx.metrics.request(op, error.code);
    this.send({ id, error });
  }

  private send(frame: ServerFrame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.batcher.beforeSend();
    this.ws.send(encodeFrame(frame), { binary: true });
  }
}

function isQuery(op: ClientOp): op is Exclude<ClientOp, WriteOp> {
  return (QUERY_OPS as readonly string[]).includes(op);
}

function invalid(field: string, message: string): WireError {
  return { code: 'INVALID_ARGUMENT', message: `${field}: ${message}`, details: { field } };
}

function invalidError(field: string, message: string): FlotillaError {
  return new FlotillaError('INVALID_ARGUMENT', `${field}: ${message}`, { details: { field } });
}
