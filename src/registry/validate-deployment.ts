/**
 * Validation of deployment records and routing policies. The registry stores
 * them as data only; the deploy controller and the router act on them.
 */

import type { DeploymentTransition } from './commands.ts';
import { invalidArgument } from './errors.ts';
import type {
  DeploymentCreate,
  DeploymentInput,
  DeploymentStatus,
  DeploymentStep,
  RoutingPolicy,
  RoutingStrategy,
} from './types.ts';
import {
  has,
  int,
  join,
  list,
  map,
  name,
  oneOf,
  record,
  str,
  VERSION_PATTERN,
} from './validate-primitives.ts';

/** Most steps a rollout may have. */
export const MAX_DEPLOYMENT_STEPS = 32;
/** Most versions a weight map may name. */
export const MAX_VERSION_WEIGHTS = 16;
/** Longest pause of one step: a week. */
const MAX_PAUSE_MS = 7 * 86_400_000;

/** Every deployment status. */
export const DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'pending',
  'running',
  'paused',
  'promoted',
  'succeeded',
  'rolled-back',
  'failed',
];

/** Longest progress deadline: a week. */
const MAX_DEADLINE_MS = 7 * 86_400_000;
/** Longest reason kept in a history entry. */
export const MAX_REASON_LENGTH = 256;

const CREATE_FIELDS = [
  'id',
  'service',
  'strategy',
  'to',
  'from',
  'percent',
  'steps',
  'autoPromote',
  'autoRollback',
  'maxErrorPercent',
  'minRequests',
  'progressDeadlineMs',
] as const;

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(field, 'must be a boolean');
  return value;
}

/**
 * Checks a `deployment.create` and returns a copy. Canary: `percent` (0–100)
 * or `steps` (strictly increasing shares below 100), at least one of them;
 * blue-green takes neither.
 */
export function validateDeploymentCreate(input: unknown): DeploymentCreate {
  const r = record(input, '', CREATE_FIELDS);
  const out: { -readonly [K in keyof DeploymentCreate]: DeploymentCreate[K] } = {
    service: name(r.service, 'service'),
    strategy: oneOf(r.strategy, 'strategy', ['canary', 'blue-green'] as const),
    to: version(r.to, 'to'),
  };
  if (has(r, 'id')) out.id = name(r.id, 'id');
  if (has(r, 'from')) {
    out.from = version(r.from, 'from');
    if (out.from === out.to) throw invalidArgument('to', 'must differ from `from`');
  }
  if (out.strategy === 'blue-green') {
    for (const f of ['percent', 'steps'])
      if (has(r, f)) throw invalidArgument(f, 'only for the canary strategy');
  } else {
    if (!has(r, 'percent') && !has(r, 'steps')) throw invalidArgument('percent', 'is required (or steps)');
    if (has(r, 'percent')) out.percent = int(r.percent, 'percent', 0, 100);
    if (has(r, 'steps')) {
      const steps = list(r.steps, 'steps', MAX_DEPLOYMENT_STEPS).map((x, i) => step(x, `steps[${i}]`));
      if (steps.length === 0) throw invalidArgument('steps', 'must have at least one step');
      steps.forEach((x, i) => {
        if (x.weight >= 100)
          throw invalidArgument(`steps[${i}].weight`, 'must be below 100 (100 is success)');
        if (i > 0 && x.weight <= steps[i - 1]!.weight)
          throw invalidArgument(`steps[${i}].weight`, 'must be above the previous step');
      });
      if (out.percent !== undefined && out.percent !== steps[0]!.weight)
        throw invalidArgument('percent', 'must equal the first step’s weight when both are given');
      out.steps = steps;
    }
  }
  for (const f of ['autoPromote', 'autoRollback'] as const) if (has(r, f)) out[f] = bool(r[f], f);
  if (has(r, 'maxErrorPercent')) out.maxErrorPercent = int(r.maxErrorPercent, 'maxErrorPercent', 0, 100);
  if (has(r, 'minRequests')) out.minRequests = int(r.minRequests, 'minRequests', 0, 1_000_000_000);
  if (has(r, 'progressDeadlineMs'))
    out.progressDeadlineMs = int(r.progressDeadlineMs, 'progressDeadlineMs', 1, MAX_DEADLINE_MS);
  return out;
}

/** Checks the arguments of a deployment transition; `extra` are the op's own fields, checked by `more`. */
export function validateTransition<T extends object = Record<never, never>>(
  input: unknown,
  extra: readonly string[] = [],
  more: (r: Readonly<Record<string, unknown>>) => T = () => ({}) as T,
): DeploymentTransition & T {
  const r = record(input, '', ['id', 'expectedRevision', 'reason', ...extra]);
  return {
    id: name(r.id, 'id'),
    ...(has(r, 'expectedRevision')
      ? { expectedRevision: int(r.expectedRevision, 'expectedRevision', 0, Number.MAX_SAFE_INTEGER) }
      : {}),
    ...(has(r, 'reason') ? { reason: str(r.reason, 'reason', MAX_REASON_LENGTH) } : {}),
    ...more(r),
  };
}

/** `deployment.promote`. */
export function validatePromote(input: unknown) {
  return validateTransition(input, ['percent'], (r) =>
    has(r, 'percent') ? { percent: int(r.percent, 'percent', 0, 100) } : {},
  );
}

/** `deployment.rollback`. */
export function validateRollback(input: unknown) {
  return validateTransition(input, ['fail'], (r) => (has(r, 'fail') ? { fail: bool(r.fail, 'fail') } : {}));
}

const DEPLOYMENT_FIELDS = ['id', 'service', 'strategy', 'from', 'to', 'weights', 'steps', 'status'] as const;

/** Checks a deployment record (without its history, which the registry keeps) and returns a copy. */
export function validateDeployment(input: unknown, field = ''): DeploymentInput {
  const r = record(input, field, DEPLOYMENT_FIELDS);
  const id = name(r.id, join(field, 'id'));
  const service = name(r.service, join(field, 'service'));
  const strategy = oneOf(r.strategy, join(field, 'strategy'), ['canary', 'blue-green'] as const);
  const from = version(r.from, join(field, 'from'));
  const to = version(r.to, join(field, 'to'));
  if (from === to) throw invalidArgument(join(field, 'to'), 'must differ from `from`');
  const weights = map(r.weights, join(field, 'weights'), MAX_VERSION_WEIGHTS, VERSION_PATTERN, (v, f) =>
    int(v, f, 0, 100),
  );
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total !== 100) throw invalidArgument(join(field, 'weights'), `must sum to 100 (got ${total})`);
  const stepsField = join(field, 'steps');
  const steps = list(r.steps, stepsField, MAX_DEPLOYMENT_STEPS).map((s, i) => step(s, `${stepsField}[${i}]`));
  const status = oneOf(r.status, join(field, 'status'), DEPLOYMENT_STATUSES);
  return { id, service, strategy, from, to, weights, steps, status };
}

function step(value: unknown, field: string): DeploymentStep {
  const r = record(value, field, ['weight', 'pauseMs']);
  const weight = int(r.weight, join(field, 'weight'), 0, 100);
  return has(r, 'pauseMs')
    ? { weight, pauseMs: int(r.pauseMs, join(field, 'pauseMs'), 0, MAX_PAUSE_MS) }
    : { weight };
}

function version(value: unknown, field: string): string {
  return str(value, field, 64, VERSION_PATTERN);
}

/** Every routing strategy. */
export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = [
  'round-robin',
  'weighted-round-robin',
  'random',
  'least-request',
  'consistent-hash',
];
const HASH_KEY = /^(path|(header|query|cookie):[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128})$/;
const POLICY_FIELDS = [
  'strategy',
  'hashKey',
  'maxConcurrent',
  'queue',
  'queueTimeoutMs',
  'versionWeights',
] as const;

/** Checks a routing policy and returns a copy. */
export function validateRoutingPolicy(input: unknown, field = 'policy'): RoutingPolicy {
  const r = record(input, field, POLICY_FIELDS);
  const out: { -readonly [K in keyof RoutingPolicy]: RoutingPolicy[K] } = {
    strategy: oneOf(r.strategy, join(field, 'strategy'), ROUTING_STRATEGIES),
  };
  if (has(r, 'hashKey')) {
    if (out.strategy !== 'consistent-hash')
      throw invalidArgument(join(field, 'hashKey'), 'only for the consistent-hash strategy');
    out.hashKey = str(r.hashKey, join(field, 'hashKey'), 140, HASH_KEY);
  }
  if (has(r, 'maxConcurrent'))
    out.maxConcurrent = int(r.maxConcurrent, join(field, 'maxConcurrent'), 1, 1_000_000);
  if (has(r, 'queue')) out.queue = int(r.queue, join(field, 'queue'), 0, 1_000_000);
  if (has(r, 'queueTimeoutMs'))
    out.queueTimeoutMs = int(r.queueTimeoutMs, join(field, 'queueTimeoutMs'), 1, 600_000);
  if ((has(r, 'queue') || has(r, 'queueTimeoutMs')) && !has(r, 'maxConcurrent'))
    throw invalidArgument(join(field, 'maxConcurrent'), 'is required with queue and queueTimeoutMs');
  if (has(r, 'versionWeights')) {
    const f = join(field, 'versionWeights');
    out.versionWeights = map(r.versionWeights, f, MAX_VERSION_WEIGHTS, VERSION_PATTERN, (v, vf) =>
      int(v, vf, 0, 1000),
    );
    if (Object.keys(out.versionWeights).length === 0)
      throw invalidArgument(f, 'must name at least one version');
  }
  return out;
}
