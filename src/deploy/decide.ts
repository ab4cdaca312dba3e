/**
 * What the controller does with one deployment now: a pure function of the
 * replicated record, the service's instances, the error-rate window and the
 * leader's clock. The controller proposes the answer guarded by the record's
 * modRevision, so a decision taken twice (two leaders, a retry) applies once.
 */

import type { Deployment, Instance } from '../registry/types.ts';
import { isFailing, isReady, isTerminal, readinessOf, toWeight } from './deployment-model.ts';
import type { TrafficTotals } from './traffic-window.ts';

/** A transition to propose, with the reason the history will show. */
export type Decision =
  | { readonly op: 'deployment.start'; readonly reason: string }
  | { readonly op: 'deployment.promote'; readonly reason: string }
  | { readonly op: 'deployment.rollback'; readonly fail: boolean; readonly reason: string };

/** Why the new version fails now (it carries traffic), or undefined while it passes. */
export function failedGate(
  d: Deployment,
  instances: readonly Instance[],
  traffic: TrafficTotals,
): string | undefined {
  if (toWeight(d) === 0 || !['running', 'promoted', 'paused'].includes(d.status)) return undefined;
  const r = readinessOf(instances, d.to);
  if (isFailing(r))
    return r.active === 0
      ? `health gate: no active instance of ${d.to} left`
      : `health gate: none of the ${r.active} instances of ${d.to} passes its checks`;
  const { requests, errors } = traffic;
  if (requests > 0 && requests >= d.minRequests && errors * 100 > d.maxErrorPercent * requests)
    return `error gate: ${errors} of ${requests} requests to ${d.to} failed (${Math.round((errors * 1000) / requests) / 10}% > ${d.maxErrorPercent}%)`;
  return undefined;
}

/** The next transition of `d`, if any is due at `now`. */
export function decide(
  d: Deployment,
  instances: readonly Instance[],
  traffic: TrafficTotals,
  now: number,
): Decision | undefined {
  if (isTerminal(d.status)) return undefined;
  const failure = failedGate(d, instances, traffic);
  if (failure !== undefined)
    return d.autoRollback ? { op: 'deployment.rollback', fail: false, reason: failure } : undefined;
  const ready = isReady(readinessOf(instances, d.to));
  if (d.status === 'pending') {
    if (ready) return { op: 'deployment.start', reason: `${d.to} ready` };
    if (now - d.stepStartedAt > d.progressDeadlineMs)
      return {
        op: 'deployment.rollback',
        fail: true,
        reason: `progress deadline: ${d.to} not ready within ${d.progressDeadlineMs} ms`,
      };
    return undefined;
  }
  if (d.strategy !== 'canary' || d.status !== 'running' || !d.autoPromote) return undefined;
  const due = d.stepStartedAt + (d.steps[d.stepIndex]?.pauseMs ?? 0);
  if (now < due) return undefined;
  if (ready) {
    const next = d.steps[d.stepIndex + 1]?.weight ?? 100;
    return { op: 'deployment.promote', reason: `step ${d.stepIndex} held; gates passed; to ${next}%` };
  }
  if (now - due > d.progressDeadlineMs)
    return {
      op: 'deployment.rollback',
      fail: true,
      reason: `progress deadline: ${d.to} not ready to promote within ${d.progressDeadlineMs} ms`,
    };
  return undefined;
}
