/**
 * Validation of a whole command: the envelope (`op`, `now`, `clientId`,
 * `seq`) and the arguments of its operation. The server runs it before
 * proposing; apply runs it again on the decoded bytes, so a command that
 * slipped through (an older leader, a bug) applies as an error, changing nothing.
 */

import type { Command, CommandArgs, CommandBody, Op } from './commands.ts';
import { INTERNAL_OPS, OPS } from './commands.ts';
import { invalidArgument } from './errors.ts';
import {
  validateDeployment,
  validateDeploymentCreate,
  validatePromote,
  validateRollback,
  validateRoutingPolicy,
  validateTransition,
} from './validate-deployment.ts';
import { validateKvKey, validateKvValue } from './validate-kv.ts';
import { validateMemberPut } from './validate-member.ts';
import { has, int, name, oneOf, type Rec, record } from './validate-primitives.ts';
import { validateRegistration } from './validate-registration.ts';

/** Longest client id, in characters. */
export const MAX_CLIENT_ID_LENGTH = 128;

/** Longest drain timeout: a day. */
export const MAX_DRAIN_TIMEOUT_MS = 86_400_000;

const ENVELOPE_FIELDS = ['op', 'args', 'now', 'clientId', 'seq'] as const;

type Validators = { [K in Op]: (args: unknown) => CommandArgs[K] };

const idOnly = (args: unknown): { id: string } => ({ id: name(record(args, '', ['id']).id, 'id') });

const VALIDATORS: Validators = {
  'service.register': validateRegistration,
  'service.deregister': (args) => {
    const r = record(args, '', ['id', 'expectedRevision']);
    return {
      id: name(r.id, 'id'),
      ...(has(r, 'expectedRevision')
        ? { expectedRevision: int(r.expectedRevision, 'expectedRevision', 0, Number.MAX_SAFE_INTEGER) }
        : {}),
    };
  },
  'instance.health': (args) => {
    const r = record(args, '', ['id', 'health']);
    return {
      id: name(r.id, 'id'),
      health: oneOf(r.health, 'health', ['passing', 'warning', 'critical'] as const),
    };
  },
  'instance.drain': (args) => {
    const r = record(args, '', ['id', 'timeoutMs']);
    return {
      id: name(r.id, 'id'),
      ...(has(r, 'timeoutMs') ? { timeoutMs: int(r.timeoutMs, 'timeoutMs', 0, MAX_DRAIN_TIMEOUT_MS) } : {}),
    };
  },
  'deployment.put': (args) => validateDeployment(args),
  'deployment.delete': idOnly,
  'deployment.create': validateDeploymentCreate,
  'deployment.start': (args) => validateTransition(args),
  'deployment.promote': validatePromote,
  'deployment.rollback': validateRollback,
  'deployment.switch': (args) => validateTransition(args),
  'routing.set': (args) => {
    const r = record(args, '', ['service', 'policy']);
    return { service: name(r.service, 'service'), policy: validateRoutingPolicy(r.policy) };
  },
  'routing.delete': (args) => ({ service: name(record(args, '', ['service']).service, 'service') }),
  'kv.put': (args) => {
    const r = record(args, '', ['key', 'value']);
    return { key: validateKvKey(r.key), value: validateKvValue(r.value) };
  },
  'kv.delete': (args) => ({ key: validateKvKey(record(args, '', ['key']).key) }),
  'kv.cas': (args) => {
    const r = record(args, '', ['key', 'expected', 'value']);
    if (!Object.hasOwn(r, 'expected')) throw invalidArgument('expected', 'is required (null: key absent)');
    return {
      key: validateKvKey(r.key),
      expected: r.expected === null ? null : validateKvValue(r.expected, 'expected'),
      value: validateKvValue(r.value),
    };
  },
  'member.put': validateMemberPut,
};

/** Every operation the log may carry. */
const ALL_OPS: readonly Op[] = [...OPS, ...INTERNAL_OPS];

/** Checks the arguments of one operation and returns a fresh copy. */
export function validateArgs<K extends Op>(op: K, args: unknown): CommandArgs[K] {
  return VALIDATORS[op](args);
}

/** Checks `{ op, args }` and returns a fresh copy. */
export function validateBody(value: unknown): CommandBody {
  const r = record(value, 'command', ['op', 'args']);
  return body(r);
}

function body(r: Rec): CommandBody {
  const op = oneOf(r.op, 'op', ALL_OPS);
  return { op, args: validateArgs(op, r.args) } as CommandBody;
}

/**
 * Checks a whole command. `now` is a non-negative integer (ms); `clientId`
 * (a name) and `seq` (a positive integer) come together or not at all.
 */
export function validateCommand(value: unknown): Command {
  const r = record(value, 'command', ENVELOPE_FIELDS);
  const b = body(r);
  const now = int(r.now, 'now', 0, Number.MAX_SAFE_INTEGER);
  if (has(r, 'clientId') !== has(r, 'seq')) {
    throw invalidArgument(has(r, 'seq') ? 'clientId' : 'seq', 'clientId and seq come together');
  }
  if (!has(r, 'clientId')) return { ...b, now };
  const clientId = name(r.clientId, 'clientId');
  const seq = int(r.seq, 'seq', 1, Number.MAX_SAFE_INTEGER);
  return { ...b, now, clientId, seq };
}
