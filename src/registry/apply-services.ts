/** Applying the instance commands: register, deregister, health, drain. */

import { FlotillaError } from './errors.ts';
import {
  NO_CHECKS,
  NO_META,
  NO_TAGS,
  sharedServiceName,
  shareEmptyList,
  shareEmptyMeta,
} from './instance-record.ts';
import type { ApplyContext, Outcome, RegistryState } from './registry-state.ts';
import type { Health, Instance, Registration } from './types.ts';
import { DEFAULT_WEIGHT } from './validate-registration.ts';

/**
 * Registers an instance; an existing instance with the same id is replaced
 * (moved, if it was under another service name). An instance with checks
 * starts `critical` until a check passes (as in Consul); one without, `passing`.
 */
export function applyRegister(s: RegistryState, reg: Registration, ctx: ApplyContext): Outcome {
  const previousService = s.instanceService.get(reg.id);
  if (previousService !== undefined && previousService !== reg.name) removeInstance(s, reg.id);
  const checks = shareEmptyList(reg.checks ?? NO_CHECKS, NO_CHECKS);
  // The layout and sharing of instance-record.ts: one shape, no per-instance empties or name copies.
  const instance: Instance = {
    id: reg.id,
    name: sharedServiceName(s, reg.name),
    version: reg.version ?? null,
    address: reg.address,
    port: reg.port,
    tags: shareEmptyList(reg.tags ?? NO_TAGS, NO_TAGS),
    meta: shareEmptyMeta(reg.meta ?? NO_META),
    weight: reg.weight ?? DEFAULT_WEIGHT,
    zone: reg.zone ?? null,
    checks,
    state: 'active',
    health: checks.length === 0 ? 'passing' : 'critical',
    healthSince: ctx.now,
    modRevision: ctx.index,
  };
  putInstance(s, instance);
  ctx.emit({ revision: ctx.index, kind: 'instance', type: 'put', instance });
  return { replaced: previousService !== undefined };
}

/**
 * Removes an instance; `deleted: false` when there was none. With
 * `expectedRevision`, only if the instance was not changed since (else CONFLICT).
 */
export function applyDeregister(
  s: RegistryState,
  id: string,
  ctx: ApplyContext,
  expectedRevision?: number,
): Outcome {
  const service = s.instanceService.get(id);
  const current = service === undefined ? undefined : s.services.get(service)?.get(id);
  if (current !== undefined && expectedRevision !== undefined && current.modRevision !== expectedRevision)
    throw new FlotillaError('CONFLICT', `instance ${id} changed (revision ${current.modRevision})`, {
      details: { field: 'expectedRevision', modRevision: current.modRevision },
    });
  const removed = removeInstance(s, id);
  if (removed === undefined) return { deleted: false };
  ctx.emit({ revision: ctx.index, kind: 'instance', type: 'delete', instance: removed });
  return { deleted: true };
}

/** Sets an instance's health; `NOT_FOUND` when unknown, `changed: false` when already so. */
export function applyHealth(s: RegistryState, id: string, health: Health, ctx: ApplyContext): Outcome {
  const current = requireInstance(s, id);
  if (current.health === health) return { changed: false };
  return update(s, { ...current, health, healthSince: ctx.now, modRevision: ctx.index }, ctx);
}

/**
 * Marks an instance `draining` since the command's time (with the timeout
 * after which the leader deregisters it, when given); `NOT_FOUND` when
 * unknown, `changed: false` when already draining.
 */
export function applyDrain(
  s: RegistryState,
  id: string,
  timeoutMs: number | undefined,
  ctx: ApplyContext,
): Outcome {
  const current = requireInstance(s, id);
  if (current.state === 'draining') return { changed: false };
  return update(
    s,
    {
      ...current,
      state: 'draining',
      drainingSince: ctx.now,
      ...(timeoutMs === undefined ? {} : { drainTimeoutMs: timeoutMs }),
      modRevision: ctx.index,
    },
    ctx,
  );
}

function update(s: RegistryState, instance: Instance, ctx: ApplyContext): Outcome {
  putInstance(s, instance);
  ctx.emit({ revision: ctx.index, kind: 'instance', type: 'put', instance });
  return { changed: true };
}

function requireInstance(s: RegistryState, id: string): Instance {
  const service = s.instanceService.get(id);
  const instance = service === undefined ? undefined : s.services.get(service)?.get(id);
  if (instance === undefined) {
    throw new FlotillaError('NOT_FOUND', `instance ${id} is not registered`, { details: { field: 'id' } });
  }
  return instance;
}

/** Inserts or replaces an instance under its service. */
export function putInstance(s: RegistryState, instance: Instance): void {
  let members = s.services.get(instance.name);
  if (members === undefined) {
    members = new Map();
    s.services.set(instance.name, members);
  }
  members.set(instance.id, instance);
  s.instanceService.set(instance.id, instance.name);
}

function removeInstance(s: RegistryState, id: string): Instance | undefined {
  const service = s.instanceService.get(id);
  if (service === undefined) return undefined;
  const members = s.services.get(service);
  const instance = members?.get(id);
  members?.delete(id);
  if (members?.size === 0) s.services.delete(service);
  s.instanceService.delete(id);
  return instance;
}
