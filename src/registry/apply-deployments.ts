/** Applying deployment records and routing policies (data only; controllers act on them). */

import { DEFAULT_GATES } from '../deploy/deployment-model.ts';
import type { ApplyContext, Outcome, RegistryState } from './registry-state.ts';
import type { Deployment, DeploymentInput, RoutingPolicy } from './types.ts';

/** History entries kept per deployment (the newest). */
export const MAX_DEPLOYMENT_HISTORY = 64;

/**
 * Creates or replaces a raw deployment record, appending to its history when
 * the status changes. Fields the input does not carry (gates, step position,
 * creation) keep their stored values, or take the defaults.
 */
export function applyDeploymentPut(s: RegistryState, input: DeploymentInput, ctx: ApplyContext): Outcome {
  const previous = s.deployments.get(input.id);
  let history = previous?.history ?? [];
  if (previous?.status !== input.status) {
    history = [...history, { at: ctx.now, status: input.status, revision: ctx.index }].slice(
      -MAX_DEPLOYMENT_HISTORY,
    );
  }
  const deployment: Deployment = {
    ...DEFAULT_GATES,
    stepIndex: 0,
    stepStartedAt: ctx.now,
    createRevision: ctx.index,
    createdAt: ctx.now,
    ...previous,
    ...input,
    history,
    modRevision: ctx.index,
  };
  s.deployments.set(input.id, deployment);
  ctx.emit({ revision: ctx.index, kind: 'deployment', type: 'put', deployment });
  return { replaced: previous !== undefined };
}

/** Deletes a deployment record; `deleted: false` when there was none. */
export function applyDeploymentDelete(s: RegistryState, id: string, ctx: ApplyContext): Outcome {
  const previous = s.deployments.get(id);
  if (previous === undefined) return { deleted: false };
  s.deployments.delete(id);
  ctx.emit({ revision: ctx.index, kind: 'deployment', type: 'delete', id, service: previous.service });
  return { deleted: true };
}

/** Sets a service's routing policy. */
export function applyRoutingSet(
  s: RegistryState,
  service: string,
  policy: RoutingPolicy,
  ctx: ApplyContext,
): Outcome {
  const replaced = s.routing.has(service);
  s.routing.set(service, policy);
  ctx.emit({ revision: ctx.index, kind: 'routing', type: 'put', service, policy });
  return { replaced };
}

/** Removes a service's routing policy; `deleted: false` when there was none. */
export function applyRoutingDelete(s: RegistryState, service: string, ctx: ApplyContext): Outcome {
  if (!s.routing.delete(service)) return { deleted: false };
  ctx.emit({ revision: ctx.index, kind: 'routing', type: 'delete', service });
  return { deleted: true };
}
