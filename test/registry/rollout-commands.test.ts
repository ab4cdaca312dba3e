/**
 * Issue #8: the rollout commands of the registry — create, start, promote,
 * rollback, switch — their state machine, the guard that keeps a transition
 * from applying twice, and bad input (clear code, state unchanged).
 */

import { describe, expect, it } from 'vitest';
import type { ApplyResult, CommandBody } from '../../src/registry/commands.ts';
import type { FlotillaError } from '../../src/registry/errors.ts';
import { unwrapResult } from '../../src/registry/registry.ts';
import { baseRegistration, Driver } from './helpers.ts';

function setup(): Driver {
  const d = new Driver();
  d.apply({ op: 'service.register', args: { ...baseRegistration, id: 'v1', version: '1.0.0' } });
  d.apply({ op: 'service.register', args: { ...baseRegistration, id: 'v2', version: '2.0.0' } });
  return d;
}

const create = (args: Record<string, unknown>) =>
  ({
    op: 'deployment.create',
    args: { service: 'api', strategy: 'canary', to: '2.0.0', ...args },
  }) as CommandBody;
const t = (op: string, args: Record<string, unknown>) => ({ op, args }) as CommandBody;

function codeOf(r: ApplyResult): string | undefined {
  return r.ok ? undefined : r.error.code;
}

describe('deployment.create', () => {
  it('starts a canary at its first step when the new version is ready, resolving from and the id', () => {
    const d = setup();
    d.now = 5_000;
    const r = unwrapResult(d.apply(create({ percent: 20 })));
    expect(r.id).toBe('api-3');
    const dep = d.registry.getDeployment('api-3')!;
    expect(dep).toMatchObject({
      from: '1.0.0',
      to: '2.0.0',
      status: 'running',
      weights: { '1.0.0': 80, '2.0.0': 20 },
      steps: [{ weight: 20 }],
      stepIndex: 0,
      stepStartedAt: 5_000,
      createdAt: 5_000,
      autoRollback: true,
      autoPromote: false,
    });
    expect(dep.history).toEqual([
      { at: 5_000, status: 'running', revision: 3, step: 0, weight: 20, reason: 'created; 2.0.0 ready' },
    ]);
  });

  it('waits (pending, no traffic) while the new version is not ready', () => {
    const d = setup();
    d.apply({ op: 'instance.health', args: { id: 'v2', health: 'critical' } });
    unwrapResult(d.apply(create({ id: 'c1', percent: 20 })));
    expect(d.registry.getDeployment('c1')).toMatchObject({
      status: 'pending',
      weights: { '1.0.0': 100, '2.0.0': 0 },
    });
    expect(codeOf(d.apply(t('deployment.promote', { id: 'c1' })))).toBe('CONFLICT');
    d.apply({ op: 'instance.health', args: { id: 'v2', health: 'passing' } });
    unwrapResult(d.apply(t('deployment.start', { id: 'c1' })));
    expect(d.registry.getDeployment('c1')?.weights).toEqual({ '1.0.0': 80, '2.0.0': 20 });
  });

  it('refuses bad input with a stable code and changes nothing', () => {
    const d = setup();
    const cases: [CommandBody, string, string][] = [
      [create({ service: 'nope', percent: 20 }), 'NOT_FOUND', 'service'],
      [create({ to: '9.9.9', percent: 20 }), 'NOT_FOUND', 'to'],
      [create({ from: '0.1.0', percent: 20 }), 'NOT_FOUND', 'from'],
      [create({ percent: 101 }), 'INVALID_ARGUMENT', 'percent'],
      [create({ percent: -1 }), 'INVALID_ARGUMENT', 'percent'],
      [create({}), 'INVALID_ARGUMENT', 'percent'],
      [create({ steps: [{ weight: 50 }, { weight: 20 }] }), 'INVALID_ARGUMENT', 'steps[1].weight'],
      [create({ strategy: 'blue-green', percent: 20 }), 'INVALID_ARGUMENT', 'percent'],
    ];
    for (const [cmd, code, field] of cases) {
      // Malformed input is refused before it reaches the log (encodeCommand validates); the rest by apply.
      let error: { code: string; details?: Record<string, unknown> } | undefined;
      try {
        const r = d.apply(cmd);
        if (!r.ok) error = r.error;
      } catch (e) {
        error = e as FlotillaError;
      }
      expect(error?.code, JSON.stringify(cmd)).toBe(code);
      expect(error?.details?.field).toBe(field);
    }
    // Refused commands move no revision: the state (and its snapshot, bar the applied index) is as it was.
    expect(d.registry.listDeployments()).toEqual([]);
    expect(d.registry.revision).toBe(2);
  });

  it('one active deployment per service: a second is CONFLICT; after the first ends, a new one is fine', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'a', percent: 10 })));
    const second = d.apply(create({ id: 'b', percent: 10 }));
    expect(codeOf(second)).toBe('CONFLICT');
    expect(codeOf(d.apply(create({ id: 'a', percent: 10 })))).toBe('CONFLICT');
    unwrapResult(d.apply(t('deployment.rollback', { id: 'a' })));
    unwrapResult(d.apply(create({ id: 'b', percent: 10 })));
  });
});

describe('transitions', () => {
  it('canary steps to the end, each step once in the history, then succeeded with all traffic', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'c', steps: [{ weight: 10 }, { weight: 50, pauseMs: 100 }] })));
    unwrapResult(d.apply(t('deployment.promote', { id: 'c' })));
    expect(d.registry.getDeployment('c')?.weights).toEqual({ '1.0.0': 50, '2.0.0': 50 });
    unwrapResult(d.apply(t('deployment.promote', { id: 'c', reason: 'looks good' })));
    const c = d.registry.getDeployment('c')!;
    expect(c.status).toBe('succeeded');
    expect(c.weights).toEqual({ '2.0.0': 100 });
    expect(c.history.map((h) => [h.status, h.step, h.weight])).toEqual([
      ['running', 0, 10],
      ['running', 1, 50],
      ['succeeded', 2, 100],
    ]);
    expect(c.history.at(-1)?.reason).toBe('looks good');
    // A finished deployment refuses every transition, and stays as it is.
    for (const op of ['deployment.promote', 'deployment.rollback', 'deployment.switch'])
      expect(codeOf(d.apply(t(op, { id: 'c' })))).toBe(op === 'deployment.switch' ? 'CONFLICT' : 'CONFLICT');
    expect(d.registry.getDeployment('c')).toEqual(c);
  });

  it('promote to a percent, and rollback to all of from with the reason', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'c', percent: 5 })));
    unwrapResult(d.apply(t('deployment.promote', { id: 'c', percent: 40 })));
    expect(d.registry.getDeployment('c')?.weights).toEqual({ '1.0.0': 60, '2.0.0': 40 });
    unwrapResult(d.apply(t('deployment.rollback', { id: 'c', reason: 'error rate 12% > 5%' })));
    const c = d.registry.getDeployment('c')!;
    expect(c).toMatchObject({ status: 'rolled-back', weights: { '1.0.0': 100 } });
    expect(c.history.at(-1)).toMatchObject({ status: 'rolled-back', reason: 'error rate 12% > 5%' });
  });

  it('a guarded transition applies once: the same expectedRevision a second time is CONFLICT', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'c', steps: [{ weight: 10 }, { weight: 20 }, { weight: 30 }] })));
    const rev = d.registry.getDeployment('c')!.modRevision;
    unwrapResult(d.apply(t('deployment.promote', { id: 'c', expectedRevision: rev })));
    expect(codeOf(d.apply(t('deployment.promote', { id: 'c', expectedRevision: rev })))).toBe('CONFLICT');
    expect(d.registry.getDeployment('c')?.stepIndex).toBe(1);
    expect(d.registry.getDeployment('c')?.history).toHaveLength(2);
  });

  it('blue-green: no traffic to the new version until the switch; switch back is one command', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'bg', strategy: 'blue-green' })));
    expect(d.registry.getDeployment('bg')).toMatchObject({
      status: 'running',
      weights: { '1.0.0': 100, '2.0.0': 0 },
    });
    unwrapResult(d.apply(t('deployment.switch', { id: 'bg' })));
    expect(d.registry.getDeployment('bg')).toMatchObject({
      status: 'promoted',
      weights: { '1.0.0': 0, '2.0.0': 100 },
    });
    unwrapResult(d.apply(t('deployment.switch', { id: 'bg' })));
    expect(d.registry.getDeployment('bg')?.weights).toEqual({ '1.0.0': 100, '2.0.0': 0 });
    expect(codeOf(d.apply(t('deployment.promote', { id: 'bg' })))).toBe('CONFLICT');
    unwrapResult(d.apply(t('deployment.switch', { id: 'bg' })));
    unwrapResult(d.apply(t('deployment.promote', { id: 'bg' })));
    expect(d.registry.getDeployment('bg')?.status).toBe('succeeded');
  });

  it('blue-green refuses to switch to a version that is not ready', () => {
    const d = setup();
    unwrapResult(d.apply(create({ id: 'bg', strategy: 'blue-green' })));
    d.apply({ op: 'instance.health', args: { id: 'v2', health: 'critical' } });
    expect(codeOf(d.apply(t('deployment.switch', { id: 'bg' })))).toBe('CONFLICT');
    expect(codeOf(d.apply(t('deployment.switch', { id: 'nope' })))).toBe('NOT_FOUND');
  });
});

describe('drain', () => {
  it('records when and for how long; a guarded deregister refuses a changed instance', () => {
    const d = setup();
    d.now = 7_000;
    unwrapResult(d.apply({ op: 'instance.drain', args: { id: 'v1', timeoutMs: 500 } }));
    const v1 = d.registry.getInstance('v1')!;
    expect(v1).toMatchObject({ state: 'draining', drainingSince: 7_000, drainTimeoutMs: 500 });
    expect(
      codeOf(d.apply({ op: 'service.deregister', args: { id: 'v1', expectedRevision: v1.modRevision - 1 } })),
    ).toBe('CONFLICT');
    expect(
      unwrapResult(
        d.apply({ op: 'service.deregister', args: { id: 'v1', expectedRevision: v1.modRevision } }),
      ).deleted,
    ).toBe(true);
  });
});
