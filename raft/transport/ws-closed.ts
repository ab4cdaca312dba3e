import { WebSocket } from 'ws';

/** Resolves once `ws` has emitted 'close' (at once if it already has). */
export function whenClosed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

/** Drops the connection now (no close handshake) and resolves when it is gone. */
export function terminate(ws: WebSocket): Promise<void> {
  const done = whenClosed(ws);
  ws.terminate();
  return done;
}

/** A one-line description of anything thrown, for logs. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
