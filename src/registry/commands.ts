/**
 * The commands the registry applies, and what applying one answers. A command
 * travels through the Raft log as msgpack bytes (see command-codec.ts).
 */

import type { ErrorInfo } from './errors.ts';
import type {
  DeploymentCreate,
  DeploymentInput,
  Health,
  KvValue,
  MemberAddress,
  Registration,
  RoutingPolicy,
} from './types.ts';

/** Each operation and its arguments. */
export interface CommandArgs {
  'service.register': Registration;
  /** `expectedRevision`: remove only if the instance's modRevision is still this (else CONFLICT). */
  'service.deregister': { readonly id: string; readonly expectedRevision?: number };
  'instance.health': { readonly id: string; readonly health: Health };
  /** `timeoutMs`: the leader deregisters the instance this long after the drain (default: the node's). */
  'instance.drain': { readonly id: string; readonly timeoutMs?: number };
  /** A raw record (tools, tests); the rollout commands below are what clients and the controller use. */
  'deployment.put': DeploymentInput;
  'deployment.delete': { readonly id: string };
  /** Starts a canary or blue-green deployment (CONFLICT when the service already has an active one). */
  'deployment.create': DeploymentCreate;
  /** Pending → running, once the new version is ready (the controller). */
  'deployment.start': DeploymentTransition;
  /** Canary: the next step, or `percent`; past the last step, succeeded. Blue-green (switched): succeeded. */
  'deployment.promote': DeploymentTransition & { readonly percent?: number };
  /** All traffic back to `from` at once; ends `rolled-back` (or `failed` with `fail`). */
  'deployment.rollback': DeploymentTransition & { readonly fail?: boolean };
  /** Blue-green: all traffic to the other version, atomically. */
  'deployment.switch': DeploymentTransition;
  'routing.set': { readonly service: string; readonly policy: RoutingPolicy };
  'routing.delete': { readonly service: string };
  'kv.put': { readonly key: string; readonly value: KvValue };
  'kv.delete': { readonly key: string };
  /** Writes `value` only if the key holds `expected` (`null`: only if the key is absent). */
  'kv.cas': { readonly key: string; readonly expected: KvValue | null; readonly value: KvValue };
  /**
   * Records where members are reached (replacing an entry with the same id).
   * Proposed by the leader before the configuration change that adds a
   * member, never by a client (see INTERNAL_OPS).
   */
  'member.put': { readonly members: readonly MemberAddress[] };
}

/**
 * Common arguments of a deployment transition. `expectedRevision` makes it
 * conditional: it applies only if the record's modRevision is still that
 * (else CONFLICT), so a transition decided on one state never applies twice.
 */
export interface DeploymentTransition {
  readonly id: string;
  readonly expectedRevision?: number;
  /** Recorded in the history entry the transition appends. */
  readonly reason?: string;
}

/** The name of an operation. */
export type Op = keyof CommandArgs;

/**
 * Operations only a node proposes. A client cannot send them: the address
 * book decides where every node dials, so it changes only with a membership
 * change the leader has checked.
 */
export const INTERNAL_OPS = ['member.put'] as const;

/** An operation a client may send as a write. */
export type ClientWriteOp = Exclude<Op, (typeof INTERNAL_OPS)[number]>;

/** Every client write operation, in a stable order. */
export const OPS: readonly ClientWriteOp[] = [
  'service.register',
  'service.deregister',
  'instance.health',
  'instance.drain',
  'deployment.put',
  'deployment.delete',
  'deployment.create',
  'deployment.start',
  'deployment.promote',
  'deployment.rollback',
  'deployment.switch',
  'routing.set',
  'routing.delete',
  'kv.put',
  'kv.delete',
  'kv.cas',
];

/** The operation-specific part of a command. */
export type CommandBody = { [K in Op]: { readonly op: K; readonly args: CommandArgs[K] } }[Op];

/**
 * One entry of the log. `now` is the leader's clock (ms since the epoch) when it
 * proposed the command: the only time apply ever sees. `clientId` and `seq`
 * (both or neither) make a retried write apply once (Raft dissertation §6.3).
 */
export type Command = CommandBody & {
  readonly now: number;
  readonly clientId?: string;
  readonly seq?: number;
};

/** A successful apply. Fields beyond `revision` appear only for the operations that define them. */
export interface ApplyOk {
  readonly ok: true;
  /** The revision the command made, or the current one when it changed nothing. */
  readonly revision: number;
  /** `service.register`, `deployment.put`, `routing.set`: an entry with this id existed and was replaced. */
  readonly replaced?: boolean;
  /** `service.deregister`, `deployment.delete`, `routing.delete`, `kv.delete`: something was removed. */
  readonly deleted?: boolean;
  /** `instance.health`, `instance.drain`: the instance changed. */
  readonly changed?: boolean;
  /** `kv.cas`: the comparison held and the value was written. */
  readonly succeeded?: boolean;
  /** `deployment.*` (but put/delete): the deployment's id. */
  readonly id?: string;
}

/** A failed apply: deterministic, and the state is unchanged. */
export interface ApplyError {
  readonly ok: false;
  readonly error: ErrorInfo;
}

/** What `apply` answers for every command (it never throws on bad input). */
export type ApplyResult = ApplyOk | ApplyError;
