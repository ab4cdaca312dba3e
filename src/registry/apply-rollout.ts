/**
 * Applying the rollout commands: `deployment.create` and the transitions
 * (start, promote, rollback, switch) of src/deploy/deployment-model.ts.
 * Deterministic like every handler: the decision uses only the replicated
 * state and the command's leader time, and a refused command changes nothing.
 */

import {
  DEFAULT_GATES,
  isReady,
  isTerminal,
  promoteTransition,
  readinessOf,
  rollbackTransition,
  splitWeights,
  startTransition,
  switchTransition,
  type Transition,
} from '../deploy/deployment-model.ts';
import { MAX_DEPLOYMENT_HISTORY } from './apply-deployments.ts';
import type { CommandArgs, DeploymentTransition } from './commands.ts';
import { FlotillaError, invalidArgument } from './errors.ts';
import type { ApplyContext, Outcome, RegistryState } from './registry-state.ts';
import type { Deployment, DeploymentCreate, DeploymentHistoryEntry, Instance } from './types.ts';

function instancesOf(s: RegistryState, service: string): Instance[] {
  return [...(s.services.get(service)?.values() ?? [])];
}

function notFound(field: string, message: string): FlotillaError {
  return new FlotillaError('NOT_FOUND', message, { details: { field } });
}

/** The service's deployment that has not ended, if any (at most one: create refuses a second). */
export function activeDeployment(s: RegistryState, service: string): Deployment | undefined {
  for (const d of s.deployments.values()) if (d.service === service && !isTerminal(d.status)) return d;
  return undefined;
}

function resolveFrom(args: DeploymentCreate, instances: readonly Instance[]): string {
  const versions = new Set(instances.map((i) => i.version).filter((v): v is string => v !== null));
  if (args.from !== undefined) {
    if (!versions.has(args.from))
      throw notFound('from', `service ${args.service} has no instance of version ${args.from}`);
    return args.from;
  }
  versions.delete(args.to);
  const others = [...versions].sort();
  if (others.length === 1) return others[0]!;
  throw invalidArgument(
    'from',
    others.length === 0
      ? `service ${args.service} runs no version but ${args.to}: nothing to move traffic from`
      : `service ${args.service} runs versions ${others.join(', ')}: name the one to move from`,
  );
}

/** Creates a deployment: `pending`, or straight `running` when the new version is ready already. */
export function applyDeploymentCreate(s: RegistryState, args: DeploymentCreate, ctx: ApplyContext): Outcome {
  const instances = instancesOf(s, args.service);
  if (instances.length === 0) throw notFound('service', `service ${args.service} has no instances`);
  if (!instances.some((i) => i.version === args.to))
    throw notFound('to', `service ${args.service} has no instance of version ${args.to}`);
  const from = resolveFrom(args, instances);
  const id = args.id ?? `${args.service}-${ctx.index}`;
  if (s.deployments.has(id))
    throw new FlotillaError('CONFLICT', `deployment ${id} exists`, { details: { field: 'id', id } });
  const active = activeDeployment(s, args.service);
  if (active !== undefined)
    throw new FlotillaError(
      'CONFLICT',
      `service ${args.service} has an active deployment: ${active.id} (${active.status})`,
      { details: { field: 'service', id: active.id } },
    );
  const steps =
    args.strategy === 'blue-green' ? [] : (args.steps ?? [{ weight: args.percent ?? DEFAULT_FIRST_STEP }]);
  const pending: Deployment = {
    id,
    service: args.service,
    strategy: args.strategy,
    from,
    to: args.to,
    weights: splitWeights(from, args.to, 0),
    steps,
    status: 'pending',
    autoPromote: args.autoPromote ?? DEFAULT_GATES.autoPromote,
    autoRollback: args.autoRollback ?? DEFAULT_GATES.autoRollback,
    maxErrorPercent: args.maxErrorPercent ?? DEFAULT_GATES.maxErrorPercent,
    minRequests: args.minRequests ?? DEFAULT_GATES.minRequests,
    progressDeadlineMs: args.progressDeadlineMs ?? DEFAULT_GATES.progressDeadlineMs,
    history: [],
    modRevision: ctx.index,
    createRevision: ctx.index,
    createdAt: ctx.now,
    stepIndex: 0,
    stepStartedAt: ctx.now,
  };
  const ready = isReady(readinessOf(instances, args.to));
  const deployment = ready
    ? commit(pending, startTransition(pending, `created; ${args.to} ready`), ctx)
    : commit(
        pending,
        {
          status: 'pending',
          weights: pending.weights,
          stepIndex: 0,
          restart: true,
          entry: { reason: `created; waiting for ${args.to} to be ready` },
        },
        ctx,
      );
  s.deployments.set(id, deployment);
  ctx.emit({ revision: ctx.index, kind: 'deployment', type: 'put', deployment });
  return { id };
}

/** The first step of a canary created with neither `percent` nor `steps` (validation prevents it). */
const DEFAULT_FIRST_STEP = 10;

type TransitionOp = 'deployment.start' | 'deployment.promote' | 'deployment.rollback' | 'deployment.switch';

/** Applies one transition command to its deployment. */
export function applyTransition<K extends TransitionOp>(
  s: RegistryState,
  op: K,
  args: CommandArgs[K],
  ctx: ApplyContext,
): Outcome {
  const d = s.deployments.get(args.id);
  if (d === undefined) throw notFound('id', `deployment ${args.id} does not exist`);
  checkExpected(d, args);
  const t = decide(s, d, op, args);
  const deployment = commit(d, t, ctx);
  s.deployments.set(d.id, deployment);
  ctx.emit({ revision: ctx.index, kind: 'deployment', type: 'put', deployment });
  return { id: d.id };
}

function checkExpected(d: Deployment, args: DeploymentTransition): void {
  if (args.expectedRevision !== undefined && args.expectedRevision !== d.modRevision)
    throw new FlotillaError(
      'CONFLICT',
      `deployment ${d.id} changed (revision ${d.modRevision}, expected ${args.expectedRevision})`,
      { details: { field: 'expectedRevision', id: d.id, modRevision: d.modRevision } },
    );
}

function decide(s: RegistryState, d: Deployment, op: TransitionOp, args: DeploymentTransition): Transition {
  const a = args as DeploymentTransition & { percent?: number; fail?: boolean };
  switch (op) {
    case 'deployment.start':
      return startTransition(d, a.reason ?? `${d.to} ready`);
    case 'deployment.promote':
      return promoteTransition(d, a.percent, a.reason ?? 'promoted');
    case 'deployment.rollback':
      return rollbackTransition(d, a.fail === true, a.reason ?? 'rolled back');
    case 'deployment.switch': {
      const ready = isReady(readinessOf(instancesOf(s, d.service), d.to));
      const target = d.status === 'promoted' ? d.from : d.to;
      return switchTransition(d, ready, a.reason ?? `switched to ${target}`);
    }
  }
}

function commit(d: Deployment, t: Transition, ctx: ApplyContext): Deployment {
  const entry: DeploymentHistoryEntry = { at: ctx.now, status: t.status, revision: ctx.index, ...t.entry };
  return {
    ...d,
    status: t.status,
    weights: t.weights,
    stepIndex: t.stepIndex,
    stepStartedAt: t.restart ? ctx.now : d.stepStartedAt,
    history: [...d.history, entry].slice(-MAX_DEPLOYMENT_HISTORY),
    modRevision: ctx.index,
  };
}
