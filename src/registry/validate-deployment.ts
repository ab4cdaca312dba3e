/**
 * Validation of deployment records and routing policies. The registry stores
 * them as data only; the deploy controller and the router act on them.
 */

import { invalidArgument } from './errors.ts';
import type { DeploymentInput, DeploymentStatus, DeploymentStep, RoutingPolicy } from './types.ts';
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

/** Checks a routing policy and returns a copy. */
export function validateRoutingPolicy(input: unknown, field = 'policy'): RoutingPolicy {
  const r = record(input, field, ['loadBalancer', 'versionWeights']);
  const loadBalancer = oneOf(r.loadBalancer, join(field, 'loadBalancer'), [
    'round-robin',
    'least-request',
    'random',
  ] as const);
  if (!has(r, 'versionWeights')) return { loadBalancer };
  const f = join(field, 'versionWeights');
  const versionWeights = map(r.versionWeights, f, MAX_VERSION_WEIGHTS, VERSION_PATTERN, (v, vf) =>
    int(v, vf, 0, 1000),
  );
  if (Object.keys(versionWeights).length === 0) throw invalidArgument(f, 'must name at least one version');
  return { loadBalancer, versionWeights };
}
