/**
 * The mutable state behind the registry and the context handlers apply in.
 * Handlers validate first and mutate after: one that throws changed nothing.
 */

import type { ChangeEvent } from './change-history.ts';
import type { ApplyOk } from './commands.ts';
import type { Deployment, Instance, KvEntry, MemberAddress, RoutingPolicy } from './types.ts';

/** Everything the registry replicates except sessions. */
export interface RegistryState {
  /** service name → instance id → instance. A service with no instance is removed. */
  readonly services: Map<string, Map<string, Instance>>;
  /** instance id → its service name (an id is unique across services). Derived from `services`. */
  readonly instanceService: Map<string, string>;
  readonly deployments: Map<string, Deployment>;
  /** service name → routing policy (kept while the service has no instance). */
  readonly routing: Map<string, RoutingPolicy>;
  readonly kv: Map<string, KvEntry>;
  /** Node id → where it is reached: the replicated address book of the cluster's members. */
  readonly members: Map<string, MemberAddress>;
}

/** An empty state. */
export function emptyState(): RegistryState {
  return {
    services: new Map(),
    instanceService: new Map(),
    deployments: new Map(),
    routing: new Map(),
    kv: new Map(),
    members: new Map(),
  };
}

/** What a handler sees of the command being applied. */
export interface ApplyContext {
  /** The log index of the command: the revision of any change it makes. */
  readonly index: number;
  /** The registry's command clock (ms): never decreases. */
  readonly now: number;
  /** Records a change; a command that emits nothing leaves the revision as it was. */
  emit(event: ChangeEvent): void;
}

/** The operation-specific part of a successful result. */
export type Outcome = Omit<ApplyOk, 'ok' | 'revision'>;
