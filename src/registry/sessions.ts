/**
 * Client sessions (Raft dissertation §6.3): per client, the last sequence
 * number applied and its result, so a retried write answers the stored result
 * instead of applying twice. Sessions expire by the leader timestamps carried
 * in commands, never by a wall clock, so every node expires the same ones at
 * the same index.
 */

import type { ApplyResult } from './commands.ts';

/** A session expires this long after its last command (by command time). */
export const DEFAULT_SESSION_TTL_MS = 10 * 60_000;
/** Most sessions held; beyond it the least recently used one is dropped. */
export const DEFAULT_MAX_SESSIONS = 100_000;

/** What the registry keeps per client. */
export interface Session {
  readonly lastSeq: number;
  readonly lastResult: ApplyResult;
  /** Command time of the client's last command. */
  readonly lastSeen: number;
}

/** The outcome of looking a `(clientId, seq)` up. */
export type SessionCheck =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: ApplyResult }
  | { readonly kind: 'stale'; readonly lastSeq: number };

/** The session table. Deterministic: its content depends only on the commands applied. */
export class SessionTable {
  /** Ordered by `lastSeen`, oldest first: a touched session moves to the end. */
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly ttlMs: number = DEFAULT_SESSION_TTL_MS,
    readonly maxSessions: number = DEFAULT_MAX_SESSIONS,
  ) {}

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Drops every session last seen more than `ttlMs` before `now`. */
  expire(now: number): void {
    for (const [clientId, s] of this.sessions) {
      if (s.lastSeen + this.ttlMs >= now) break;
      this.sessions.delete(clientId);
    }
  }

  /** Classifies a command of `clientId` numbered `seq`; a duplicate keeps the session alive. */
  check(clientId: string, seq: number, now: number): SessionCheck {
    const s = this.sessions.get(clientId);
    if (s === undefined || seq > s.lastSeq) return { kind: 'new' };
    if (seq < s.lastSeq) return { kind: 'stale', lastSeq: s.lastSeq };
    this.touch(clientId, { ...s, lastSeen: Math.max(s.lastSeen, now) });
    return { kind: 'duplicate', result: s.lastResult };
  }

  /** Records the result of a newly applied command. */
  record(clientId: string, seq: number, result: ApplyResult, now: number): void {
    this.touch(clientId, { lastSeq: seq, lastResult: result, lastSeen: now });
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
    }
  }

  /** The session of a client, if live. */
  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Every session, oldest first (the order a snapshot keeps). */
  entries(): [string, Session][] {
    return [...this.sessions];
  }

  /** Replaces the table with `entries` (oldest first). */
  load(entries: readonly (readonly [string, Session])[]): void {
    this.sessions.clear();
    for (const [clientId, s] of entries) this.sessions.set(clientId, s);
  }

  private touch(clientId: string, s: Session): void {
    this.sessions.delete(clientId);
    this.sessions.set(clientId, s);
  }
}
