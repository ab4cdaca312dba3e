/**
 * What a dialing peer proves in its upgrade request, and how the acceptor
 * checks it. Three headers: the cluster token, the sender's node id (which the
 * connection is then bound to: every frame on it must carry that `from`), and
 * the node it meant to reach (so a misconfigured address is refused instead of
 * delivering messages to the wrong node).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NodeId } from '../core/types.ts';
import { checkNodeId } from './ws-options.ts';

export const TOKEN_HEADER = 'x-flotilla-token';
export const FROM_HEADER = 'x-flotilla-from';
export const TO_HEADER = 'x-flotilla-to';

/** The headers a dialer sends. */
export function handshakeHeaders(token: string, from: NodeId, to: NodeId): Record<string, string> {
  return { [TOKEN_HEADER]: token, [FROM_HEADER]: from, [TO_HEADER]: to };
}

/** Hashing first gives both sides the same length, so the comparison leaks neither content nor length. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Compares a presented token with the expected one in constant time. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export type HandshakeVerdict =
  | { readonly ok: true; readonly peer: NodeId }
  | { readonly ok: false; readonly status: 400 | 401 | 421; readonly reason: string };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Checks an upgrade request addressed to `self` with the expected cluster `token`. */
export function verifyHandshake(req: IncomingMessage, self: NodeId, token: string): HandshakeVerdict {
  const presented = header(req, TOKEN_HEADER);
  if (presented === undefined || !tokenMatches(presented, token)) {
    return {
      ok: false,
      status: 401,
      reason: presented === undefined ? 'no cluster token' : 'wrong cluster token',
    };
  }
  const from = header(req, FROM_HEADER);
  if (!checkNodeId(from) || from === self)
    return { ok: false, status: 400, reason: 'missing or invalid node id' };
  if (header(req, TO_HEADER) !== self) return { ok: false, status: 421, reason: 'addressed to another node' };
  return { ok: true, peer: from };
}
