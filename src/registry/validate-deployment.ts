/**
 * Validation of deployment records and routing policies. The registry stores
 * them as data only; the deploy controller and the router act on them.
 */

import { invalidArgument } from './errors.ts';
import type {
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
  'rolled-back',
  'failed',
];

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
