/**
 * The deployment model (issue #8): defaults, the readiness of a version,
 * and the state machine of a record — pure functions the registry applies
 * deterministically and the controller (deploy-controller.ts) reasons with.
 *
 * Canary:
 *
 *   pending ──start (to ready)──▶ running(step 0) ──promote──▶ running(step i+1) … ──promote──▶ succeeded
 *      │                             │
 *      └─deadline──▶ failed          └─rollback (gate failed, or a person)──▶ rolled-back   (deadline: failed)
 *
 * Blue-green:
 *
 *   pending ──start──▶ running (from live, to 0) ◀──switch──▶ promoted (to live) ──promote──▶ succeeded
 *                          └──────────────── rollback ──────────────┘──▶ rolled-back
 *
 * Every transition sets the record's `weights` (the traffic split every
 * router applies), appends one history entry and moves `modRevision`; the
 * controller's transitions carry the modRevision they were decided on, so
 * none applies twice.
 */

import { FlotillaError } from '../registry/errors.ts';
import type {
  Deployment,
  DeploymentGates,
  DeploymentHistoryEntry,
  DeploymentStatus,
  DeploymentStep,
  Instance,
} from '../registry/types.ts';

/** Gates and limits of a deployment that does not name them. */
export const DEFAULT_GATES: DeploymentGates = Object.freeze({
  autoPromote: false,
  autoRollback: true,
  maxErrorPercent: 5,
  minRequests: 20,
  progressDeadlineMs: 600_000,
});

/** Statuses a deployment ends in. */
export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ['succeeded', 'rolled-back', 'failed'];

/** True once a deployment has ended. */
export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** How many of a version's instances could take traffic. */
export interface Readiness {
  /** Active instances of the version. */
  readonly active: number;
  /** Of those, passing or warning. */
  readonly healthy: number;
}

/** The readiness of `version` among `instances` (one service's). */
export function readinessOf(instances: Iterable<Instance>, version: string): Readiness {
  let active = 0;
  let healthy = 0;
  for (const i of instances) {
    if (i.version !== version || i.state !== 'active') continue;
    active++;
    if (i.health !== 'critical') healthy++;
  }
  return { active, healthy };
}

/** Ready to take traffic: at least one active instance, and every active one passing its checks. */
export function isReady(r: Readiness): boolean {
  return r.active > 0 && r.healthy === r.active;
}

/** Failed: no instance of the version can take traffic any more. */
export function isFailing(r: Readiness): boolean {
  return r.healthy === 0;
}

/** The split with `percent` to `to` and the rest to `from`. */
export function splitWeights(from: string, to: string, percent: number): Record<string, number> {
  return { [from]: 100 - percent, [to]: percent };
}

/** The weight of `to` now. */
export function toWeight(d: Pick<Deployment, 'to' | 'weights'>): number {
  return d.weights[d.to] ?? 0;
}

/** The step of a canary's current position (its pause), if any. */
export function currentStep(d: Deployment): DeploymentStep | undefined {
  return d.strategy === 'canary' && d.status === 'running' ? d.steps[d.stepIndex] : undefined;
}

/** The fields a transition changes. */
export interface Transition {
  readonly status: DeploymentStatus;
  readonly weights: Readonly<Record<string, number>>;
  readonly stepIndex: number;
  /** Whether the step (or status) starts over now: pauses and the deadline count from it. */
  readonly restart: boolean;
  readonly entry: Omit<DeploymentHistoryEntry, 'at' | 'revision' | 'status'>;
}

function conflict(d: Deployment, what: string): FlotillaError {
  return new FlotillaError('CONFLICT', `deployment ${d.id} is ${d.status}: cannot ${what}`, {
    details: { id: d.id, status: d.status },
  });
}

function requireActive(d: Deployment, what: string): void {
  if (isTerminal(d.status)) throw conflict(d, what);
}

/** The new version is ready: pending → running (canary at its first step; blue-green still on `from`). */
export function startTransition(d: Deployment, reason: string): Transition {
  if (d.status !== 'pending') throw conflict(d, 'start');
  if (d.strategy === 'blue-green')
    return { status: 'running', weights: d.weights, stepIndex: 0, restart: true, entry: { reason } };
  const weight = d.steps[0]?.weight ?? 0;
  return {
    status: 'running',
    weights: splitWeights(d.from, d.to, weight),
    stepIndex: 0,
    restart: true,
    entry: { step: 0, weight, reason },
  };
}

/**
 * Canary: to `percent` when given (100: succeeded), else to the next step
 * (past the last one: succeeded). Blue-green: only once switched, and it
 * ends the deployment (succeeded).
 */
export function promoteTransition(d: Deployment, percent: number | undefined, reason: string): Transition {
  requireActive(d, 'promote');
  if (d.strategy === 'blue-green') {
    if (d.status !== 'promoted')
      throw conflict(d, 'promote before the switch (switch first, then promote to finish)');
    if (percent !== undefined && percent !== 100)
      throw new FlotillaError('INVALID_ARGUMENT', 'percent: a blue-green deployment moves 0 or 100', {
        details: { field: 'percent' },
      });
    return {
      status: 'succeeded',
      weights: d.weights,
      stepIndex: d.stepIndex,
      restart: true,
      entry: { reason },
    };
  }
  if (d.status === 'pending' && percent === undefined) throw conflict(d, 'promote before it is ready');
  let stepIndex: number;
  let weight: number;
  if (percent !== undefined) {
    weight = percent;
    // Positioned at the last step at or below the share set by hand: the next promote goes above it.
    stepIndex = Math.max(
      0,
      d.steps.findLastIndex((s) => s.weight <= percent),
    );
  } else {
    stepIndex = d.stepIndex + 1;
    weight = d.steps[stepIndex]?.weight ?? 100;
  }
  if (weight >= 100 || (percent === undefined && stepIndex >= d.steps.length)) {
    return {
      status: 'succeeded',
      weights: { [d.to]: 100 },
      stepIndex: d.steps.length,
      restart: true,
      entry: { step: d.steps.length, weight: 100, reason },
    };
  }
  return {
    status: 'running',
    weights: splitWeights(d.from, d.to, weight),
    stepIndex,
    restart: true,
    entry: { step: stepIndex, weight, reason },
  };
}

/** Every request back to `from` at once; `rolled-back`, or `failed` (the deadline). */
export function rollbackTransition(d: Deployment, fail: boolean, reason: string): Transition {
  requireActive(d, fail ? 'fail' : 'roll back');
  return {
    status: fail ? 'failed' : 'rolled-back',
    weights: { [d.from]: 100 },
    stepIndex: d.stepIndex,
    restart: true,
    entry: d.strategy === 'canary' ? { weight: 0, reason } : { reason },
  };
}

/** Blue-green: running (from live) ⇄ promoted (to live). Switching to `to` needs it ready. */
export function switchTransition(d: Deployment, toReady: boolean, reason: string): Transition {
  requireActive(d, 'switch');
  if (d.strategy !== 'blue-green')
    throw new FlotillaError('INVALID_ARGUMENT', `id: deployment ${d.id} is a canary; use promote`, {
      details: { field: 'id' },
    });
  if (d.status === 'promoted')
    return {
      status: 'running',
      weights: { [d.from]: 100, [d.to]: 0 },
      stepIndex: 0,
      restart: true,
      entry: { reason },
    };
  if (d.status !== 'running' || !toReady)
    throw new FlotillaError('CONFLICT', `deployment ${d.id}: version ${d.to} is not ready to take traffic`, {
      details: { id: d.id, status: d.status },
    });
  return {
    status: 'promoted',
    weights: { [d.from]: 0, [d.to]: 100 },
    stepIndex: 0,
    restart: true,
    entry: { reason },
  };
}
