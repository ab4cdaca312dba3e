/**
 * The replicated state machine of Flotilla (DESIGN.md "The replicated
 * state"): the RaftServer applies committed command bytes to it in log
 * order. Deterministic: no wall clock, no randomness, no I/O inside `apply`;
 * the same bytes at the same indexes give the same state — and the same
 * snapshot bytes — on every node.
 */

import type { StateMachine } from '../../raft/index.ts';
import { putInstance } from './apply-services.ts';
import { type ChangeEvent, ChangeHistory, DEFAULT_HISTORY_SIZE } from './change-history.ts';
import { decodeCommand } from './command-codec.ts';
import type { ApplyResult, Command } from './commands.ts';
import { dispatchCommand } from './dispatch-command.ts';
import { type ErrorInfo, FlotillaError, invalidArgument } from './errors.ts';
import { compactInstance } from './instance-record.ts';
import { nextSizeHint } from './packed-parts.ts';
import { type ApplyContext, emptyState, type Outcome, type RegistryState } from './registry-state.ts';
import { DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL_MS, type Session, SessionTable } from './sessions.ts';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from './snapshot-codec.ts';
import type { Deployment, Instance, KvValue, MemberAddress, RoutingPolicy } from './types.ts';

/** Options of a {@link Registry}. Session options must be equal on every node (they decide results). */
export interface RegistryOptions {
  /** Change events kept for watchers to resume from (local only: not replicated). */
  readonly historySize?: number;
  readonly sessionTtlMs?: number;
  readonly maxSessions?: number;
}

/** Options of {@link Registry.getService}. */
export interface GetServiceOptions {
  /** Only instances whose health is `passing` and whose state is `active`. */
  readonly healthyOnly?: boolean;
  /** With `healthyOnly`: `warning` instances count as healthy too. */
  readonly includeWarning?: boolean;
}

/** One line of {@link Registry.listServices}. */
export interface ServiceSummary {
  readonly name: string;
  readonly instances: number;
  /** Instances `passing` and `active`. */
  readonly healthy: number;
}

/** Answer of {@link Registry.kvGet}. */
export interface KvGetResult {
  /** The value, or `null` when the key is absent. */
  readonly value: KvValue | null;
  /** The registry's revision when read. */
  readonly revision: number;
  /** Revision of the key's last write; 0 when absent. */
  readonly modRevision: number;
}

/** Answer of {@link Registry.changesSince}: the events after a revision, or a resync order. */
export type ChangesSince =
  | { readonly resync: false; readonly revision: number; readonly events: readonly ChangeEvent[] }
  /** The history no longer holds every change after the revision asked: read the full state again. */
  | { readonly resync: true; readonly revision: number };

/** The registry: services and instances, deployments, routing policies, kv, client sessions. */
export class Registry implements StateMachine<ApplyResult> {
  private state: RegistryState = emptyState();
  private readonly sessions: SessionTable;
  private readonly history: ChangeHistory;
  /** Index of the last command that changed the state. Invariant: revision ≤ appliedIndex. */
  private rev = 0;
  /** Index of the last command applied (changing anything or not). */
  private applied = 0;
  /** Greatest `now` of any command applied: time never goes back, even across leaders. */
  private clock = 0;
  /** Sizes of the last two snapshots taken or restored (local: sizes the next one's buffer). */
  private snapshotSizes: readonly [number, number] = [0, 0];
  /** Counts changes of the address book (local: tells the node when to re-match its peer links). */
  private bookVersion = 0;

  constructor(options: RegistryOptions = {}) {
    this.history = new ChangeHistory(options.historySize ?? DEFAULT_HISTORY_SIZE);
    this.sessions = new SessionTable(
      options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
      options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    );
  }

  /** The revision of the state: the log index of the last change. */
  get revision(): number {
    return this.rev;
  }

  /** The log index of the last command applied. */
  get appliedIndex(): number {
    return this.applied;
  }

  /**
   * Applies one committed command. Never throws on bad bytes: an undecodable
   * or invalid command answers an error result and changes nothing. Throws
   * only when `index` does not increase (a runtime bug; stopping is safest).
   */
  apply(data: Uint8Array, index: number): ApplyResult {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new Error(`registry: apply at index ${index} after ${this.applied}`);
    }
    this.applied = index;
    let command: Command;
    try {
      command = decodeCommand(data);
    } catch (err) {
      return failure(err);
    }
    this.clock = Math.max(this.clock, command.now);
    this.sessions.expire(this.clock);
    const { clientId, seq } = command;
    if (clientId === undefined || seq === undefined) return this.execute(command, index);
    const check = this.sessions.check(clientId, seq, this.clock);
    if (check.kind === 'duplicate') return check.result;
    if (check.kind === 'stale') {
      return failure(
        new FlotillaError(
          'STALE_SEQUENCE',
          `seq ${seq} of client ${clientId} is superseded by seq ${check.lastSeq}; its result is no longer held`,
          { details: { field: 'seq', lastSeq: check.lastSeq } },
        ),
      );
    }
    const result = this.execute(command, index);
    this.sessions.record(clientId, seq, result, this.clock);
    return result;
  }

  private execute(command: Command, index: number): ApplyResult {
    const events: ChangeEvent[] = [];
    const ctx: ApplyContext = { index, now: this.clock, emit: (e) => events.push(e) };
    let outcome: Outcome;
    try {
      outcome = dispatchCommand(this.state, command, ctx);
    } catch (err) {
      return failure(err);
    }
    if (events.length > 0) {
      this.rev = index;
      for (const e of events) this.history.push(e);
    }
    if (command.op === 'member.put') this.bookVersion++;
    return { ok: true, revision: this.rev, ...outcome };
  }

  /** The instances of a service, sorted by id (empty when the service is unknown). */
  getService(name: string, options: GetServiceOptions = {}): Instance[] {
    const members = [...(this.state.services.get(name)?.values() ?? [])];
    const warningOk = options.includeWarning === true;
    const chosen =
      options.healthyOnly === true
        ? members.filter(
            (i) => i.state === 'active' && (i.health === 'passing' || (warningOk && i.health === 'warning')),
          )
        : members;
    return chosen.sort((a, b) => compare(a.id, b.id));
  }

  /**
   * Every instance, in no particular order and without copying: for the
   * periodic scans (health ownership, drain timeouts) that must not sort the
   * whole registry twice a second.
   */
  *instances(): IterableIterator<Instance> {
    for (const members of this.state.services.values()) yield* members.values();
  }

  /** One instance by id. */
  getInstance(id: string): Instance | undefined {
    const service = this.state.instanceService.get(id);
    return service === undefined ? undefined : this.state.services.get(service)?.get(id);
  }

  /** Every service with at least one instance, sorted by name. */
  listServices(): ServiceSummary[] {
    return [...this.state.services]
      .map(([name, members]) => {
        const all = [...members.values()];
        return { name, instances: all.length, healthy: all.filter(isHealthy).length };
      })
      .sort((a, b) => compare(a.name, b.name));
  }

  /** A kv entry (bytes are copied: the caller may keep or change them). */
  kvGet(key: string): KvGetResult {
    const entry = this.state.kv.get(key);
    if (entry === undefined) return { value: null, revision: this.rev, modRevision: 0 };
    const value = entry.value instanceof Uint8Array ? new Uint8Array(entry.value) : entry.value;
    return { value, revision: this.rev, modRevision: entry.modRevision };
  }

  /** Every kv key starting with `prefix`, sorted. */
  kvKeys(prefix = ''): string[] {
    return [...this.state.kv.keys()].filter((k) => k.startsWith(prefix)).sort(compare);
  }

  /** A deployment record by id. */
  getDeployment(id: string): Deployment | undefined {
    return this.state.deployments.get(id);
  }

  /** Every deployment record (of one service when given), sorted by id. */
  listDeployments(service?: string): Deployment[] {
    return [...this.state.deployments.values()]
      .filter((d) => service === undefined || d.service === service)
      .sort((a, b) => compare(a.id, b.id));
  }

  /** A service's routing policy. */
  getRoutingPolicy(service: string): RoutingPolicy | undefined {
    return this.state.routing.get(service);
  }

  /** Every routing policy, sorted by service. */
  listRoutingPolicies(): { service: string; policy: RoutingPolicy }[] {
    return [...this.state.routing]
      .map(([service, policy]) => ({ service, policy }))
      .sort((a, b) => compare(a.service, b.service));
  }

  /** Where member `id` is reached, when the address book holds it. */
  memberAddress(id: string): MemberAddress | undefined {
    return this.state.members.get(id);
  }

  /** Grows whenever the address book changes (a `member.put` applied, a snapshot restored). Local. */
  get memberBookVersion(): number {
    return this.bookVersion;
  }

  /** The session of a client, if live (for diagnostics and tests). */
  getSession(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /**
   * The changes after `revision`, oldest first, for a watcher resuming from
   * it; `{ resync: true }` when some of them are no longer held.
   */
  changesSince(revision: number): ChangesSince {
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw invalidArgument('revision', 'must be a non-negative integer');
    }
    const events = this.history.since(revision);
    return events === undefined
      ? { resync: true, revision: this.rev }
      : { resync: false, revision: this.rev, events };
  }

  /** The whole replicated state as msgpack bytes. */
  snapshot(): Uint8Array {
    const bytes = encodeSnapshot(
      {
        format: SNAPSHOT_FORMAT,
        revision: this.rev,
        appliedIndex: this.applied,
        clock: this.clock,
        instances: [...this.state.services.values()].flatMap((members) => [...members.values()]),
        deployments: [...this.state.deployments.values()],
        routing: [...this.state.routing],
        kv: [...this.state.kv],
        sessions: this.sessions.entries(),
        members: [...this.state.members.values()],
      },
      nextSizeHint(...this.snapshotSizes),
    );
    this.snapshotSizes = [this.snapshotSizes[1], bytes.byteLength];
    return bytes;
  }

  /** Replaces the whole state with a snapshot's. The change history restarts empty at its revision. */
  restore(data: Uint8Array): void {
    const snap = decodeSnapshot(data);
    const state = emptyState();
    for (const instance of snap.instances) putInstance(state, compactInstance(state, instance));
    for (const d of snap.deployments) state.deployments.set(d.id, d);
    for (const [service, policy] of snap.routing) state.routing.set(service, policy);
    for (const [key, entry] of snap.kv) state.kv.set(key, entry);
    for (const m of snap.members) state.members.set(m.id, m);
    this.state = state;
    this.bookVersion++;
    this.sessions.load(snap.sessions);
    this.rev = snap.revision;
    this.applied = snap.appliedIndex;
    this.clock = snap.clock;
    this.history.reset(snap.revision);
    this.snapshotSizes = [data.byteLength, data.byteLength];
  }
}

function isHealthy(i: Instance): boolean {
  return i.health === 'passing' && i.state === 'active';
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function failure(err: unknown): ApplyResult {
  const error: ErrorInfo =
    err instanceof FlotillaError
      ? err.toInfo()
      : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  return { ok: false, error };
}

/** Turns a failed {@link ApplyResult} into a thrown {@link FlotillaError}; answers the success otherwise. */
export function unwrapResult(result: ApplyResult): Extract<ApplyResult, { ok: true }> {
  if (result.ok) return result;
  throw FlotillaError.fromInfo(result.error);
}
