/**
 * `cluster.status()`: one view of the cluster assembled from what each node
 * says about itself. Every endpoint is asked in parallel with a short
 * deadline (a dead node must not hold the answer up), then any member those
 * answers name at an address not yet asked; nodes that do not answer are
 * listed as unreachable rather than failing the call.
 */

import type { NodeStatus } from '../protocol/client-protocol.ts';
import { FlotillaError } from '../registry/errors.ts';
import type { Outcome } from './call-outcome.ts';
import { Deadline } from './deadline.ts';

/** Longest wait for one node's `node.status` (bounded further by the client's timeoutMs). */
export const STATUS_TIMEOUT_MS = 1000;

/**
 * One member as seen by the cluster. A node that did not answer has
 * `reachable: false`, role `unknown` and `null` numbers (never a made-up 0).
 */
export interface MemberStatus {
  /** The node id; `''` for an endpoint that did not answer and that no answer names. */
  readonly id: string;
  /** `host:port`; `null` when a member is named without an address and did not answer. */
  readonly address: string | null;
  readonly role: NodeStatus['role'] | 'unknown';
  /** Voter (true) or learner (false), as the configuration says; `null` when no answer lists it. */
  readonly voter: boolean | null;
  readonly term: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  readonly reachable: boolean;
}

/** The cluster as a whole. */
export interface ClusterStatus {
  /** From the answer with the highest term that names a leader; `''` when none does. */
  readonly leaderId: string;
  /** That answer's term, or the highest term seen when no answer names a leader (0 when none answered). */
  readonly term: number;
  /** Members sorted by id (unknown ids last, by address). */
  readonly members: readonly MemberStatus[];
}

/** Asks one node for `node.status`: the one thing the aggregation needs from the client. */
export type AskStatus = (address: string, deadline: Deadline) => Promise<Outcome>;

type Answer = { readonly address: string; readonly status: NodeStatus | undefined };

async function askAll(addresses: readonly string[], ask: AskStatus, timeoutMs: number): Promise<Answer[]> {
  return Promise.all(
    addresses.map(async (address) => {
      const o = await ask(address, new Deadline(timeoutMs));
      if (o.kind === 'closed') throw new FlotillaError('CLOSED', 'client is closed');
      return { address, status: o.kind === 'result' ? (o.value as NodeStatus) : undefined };
    }),
  );
}

/** Asks every endpoint, then every newly learned member address, and merges the answers. */
export async function clusterStatus(
  endpoints: readonly string[],
  ask: AskStatus,
  timeoutMs: number,
): Promise<ClusterStatus> {
  const perNode = Math.min(timeoutMs, STATUS_TIMEOUT_MS);
  const answers = await askAll(endpoints, ask, perNode);
  const asked = new Set(endpoints);
  const learned = new Set<string>();
  for (const a of answers) {
    for (const m of a.status?.members ?? [])
      if (m.address !== null && !asked.has(m.address)) learned.add(m.address);
  }
  answers.push(...(await askAll([...learned], ask, perNode)));
  return merge(answers);
}

/** Pure: the answers (and silences) of every node asked → one status. */
export function merge(answers: readonly Answer[]): ClusterStatus {
  const byId = new Map<string, MemberStatus>();
  const voters = new Map<string, boolean>();
  const known = answers.flatMap((a) => (a.status === undefined ? [] : [a.status]));
  for (const s of known) {
    for (const m of s.members) voters.set(m.id, m.voter);
  }
  for (const s of known) {
    byId.set(s.nodeId, {
      id: s.nodeId,
      address: s.address === '' ? null : s.address,
      role: s.role,
      voter: voters.get(s.nodeId) ?? null,
      term: s.term,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      reachable: true,
    });
  }
  for (const s of known) {
    for (const m of s.members) {
      if (byId.has(m.id)) continue;
      byId.set(m.id, unreachable(m.id, m.address, m.voter));
    }
  }
  const members = [...byId.values()];
  const listed = new Set(members.map((m) => m.address));
  for (const a of answers) {
    if (a.status === undefined && !listed.has(a.address)) {
      members.push(unreachable('', a.address, null));
      listed.add(a.address);
    }
  }
  members.sort((x, y) => rank(x).localeCompare(rank(y)));
  const leading = known
    .filter((s) => s.leaderId !== '')
    .reduce<NodeStatus | undefined>(
      (best, s) => (best === undefined || s.term > best.term ? s : best),
      undefined,
    );
  return {
    leaderId: leading?.leaderId ?? '',
    term: leading?.term ?? Math.max(0, ...known.map((s) => s.term)),
    members,
  };
}

function unreachable(id: string, address: string | null, voter: boolean | null): MemberStatus {
  return {
    id,
    address,
    role: 'unknown',
    voter,
    term: null,
    commitIndex: null,
    appliedIndex: null,
    reachable: false,
  };
}

/** Sort key: known ids first in id order, then unknown ones by address. */
function rank(m: MemberStatus): string {
  return m.id === '' ? `1${m.address ?? ''}` : `0${m.id}`;
}
