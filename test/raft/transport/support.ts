/** Helpers shared by the transport tests: deadlines instead of sleeps, a recording logger, sample messages. */

import type { Message, NodeId } from '../../../raft/core/types.ts';
import type { Logger } from '../../../raft/logger.ts';
import type { Transport } from '../../../raft/transport/transport.ts';
import { waitUntil } from '../../support/wait-for.ts';

/** The transport tests' argument order for the shared deadline poll. */
export function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return waitUntil(what, condition, timeoutMs);
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A Logger that keeps every line, for asserting that refusals and bad frames are logged. */
export function recordingLogger(): Logger & { readonly lines: LogLine[]; has(msg: string): boolean } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    has: (msg) => lines.some((l) => l.msg.includes(msg)),
  };
}

/** Collects what a transport receives. */
export function inbox(t: Transport): Message[] {
  const got: Message[] = [];
  t.onMessage((m) => got.push(m));
  return got;
}

const conf = { voters: ['n1', 'n2', 'n3'], learners: ['n4'], promoting: ['n4'] };

/** One message of every type from `from` to `to`, with non-trivial binary payloads. */
export function everyMessage(from: NodeId, to: NodeId): Message[] {
  const base = { from, to, term: 7 };
  return [
    { ...base, type: 'vote', lastLogIndex: 10, lastLogTerm: 6, transfer: false },
    { ...base, type: 'pre-vote', lastLogIndex: 10, lastLogTerm: 6, transfer: true },
    { ...base, type: 'vote-resp', granted: true },
    { ...base, type: 'pre-vote-resp', granted: false },
    {
      ...base,
      type: 'append',
      prevIndex: 9,
      prevTerm: 6,
      commit: 8,
      entries: [
        { type: 'normal', index: 10, term: 7, data: new Uint8Array([0, 1, 2, 255]) },
        { type: 'normal', index: 11, term: 7, data: new Uint8Array(0) },
        { type: 'conf', index: 12, term: 7, conf },
      ],
    },
    { ...base, type: 'append-resp', success: false, index: 9, hintTerm: 5, hintIndex: 4 },
    { ...base, type: 'heartbeat', commit: 8, ctx: 'r-1' },
    { ...base, type: 'heartbeat-resp', ctx: 'r-1' },
    {
      ...base,
      type: 'snapshot',
      meta: { index: 100, term: 6, conf },
      size: 3000,
      offset: 1024,
      data: Uint8Array.from({ length: 1024 }, (_, i) => i % 256),
      done: false,
      seq: 2,
    },
    { ...base, type: 'snapshot-resp', index: 100, snapTerm: 6, offset: 2048, seq: 2 },
    { ...base, type: 'timeout-now' },
    { ...base, type: 'read-index', ctx: 'c-9' },
    { ...base, type: 'read-index-resp', ctx: 'c-9', index: -1 },
  ];
}

/** Every Uint8Array inside `v`, to check their exact class. */
export function binaries(v: unknown): Uint8Array[] {
  if (v instanceof Uint8Array) return [v];
  if (typeof v !== 'object' || v === null) return [];
  return Object.values(v).flatMap(binaries);
}

/** A heartbeat, the smallest realistic message. */
export function heartbeat(from: NodeId, to: NodeId, commit = 0): Message {
  return { type: 'heartbeat', from, to, term: 1, commit, ctx: '' };
}

/** Counts of the handle types a transport could leak. */
export function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout' || r === 'Immediate') {
      counts[r] = (counts[r] ?? 0) + 1;
    }
  }
  return counts;
}
