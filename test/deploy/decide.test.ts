/** Issue #8: the controller's decision function and the leader's traffic window, without a cluster. */

import { describe, expect, it } from 'vitest';
import { decide } from '../../src/deploy/decide.ts';
import { DEFAULT_GATES } from '../../src/deploy/deployment-model.ts';
import { TrafficWindow } from '../../src/deploy/traffic-window.ts';
import type { Deployment, Instance } from '../../src/registry/types.ts';

const canary: Deployment = {
  ...DEFAULT_GATES,
  id: 'c',
  service: 'api',
  strategy: 'canary',
  from: '1',
  to: '2',
  weights: { '1': 90, '2': 10 },
  steps: [{ weight: 10, pauseMs: 1_000 }, { weight: 50 }],
  status: 'running',
  history: [],
  modRevision: 5,
  createRevision: 5,
  createdAt: 0,
  stepIndex: 0,
  stepStartedAt: 0,
};

const inst = (id: string, version: string, health: Instance['health'] = 'passing'): Instance => ({
  id,
  name: 'api',
  version,
  address: '127.0.0.1',
  port: 1,
  tags: [],
  meta: {},
  weight: 1,
  zone: null,
  checks: [],
  state: 'active',
  health,
  healthSince: 0,
  modRevision: 1,
});

const none = { requests: 0, errors: 0 };
const fleet = [inst('a', '1'), inst('b', '2')];

describe('decide', () => {
  it('holds a step for its pause, then promotes when the gates pass (autoPromote only)', () => {
    const auto = { ...canary, autoPromote: true };
    expect(decide(auto, fleet, none, 999)).toBeUndefined();
    expect(decide(auto, fleet, none, 1_000)).toMatchObject({ op: 'deployment.promote' });
    expect(decide(canary, fleet, none, 5_000)).toBeUndefined();
  });

  it('rolls back at once when no instance of the new version passes, or its error rate is over the threshold', () => {
    expect(decide(canary, [inst('a', '1'), inst('b', '2', 'critical')], none, 1)).toMatchObject({
      op: 'deployment.rollback',
      fail: false,
      reason: expect.stringMatching(/health gate/),
    });
    expect(decide(canary, fleet, { requests: 100, errors: 6 }, 1)).toMatchObject({
      op: 'deployment.rollback',
      reason: expect.stringMatching(/error gate: 6 of 100/),
    });
    expect(decide(canary, fleet, { requests: 100, errors: 5 }, 1)).toBeUndefined();
    // Too few requests to judge.
    expect(decide(canary, fleet, { requests: 10, errors: 10 }, 1)).toBeUndefined();
    // Without autoRollback, a failed gate leaves the decision to a person.
    expect(
      decide({ ...canary, autoRollback: false }, fleet, { requests: 100, errors: 50 }, 1),
    ).toBeUndefined();
  });

  it('starts a pending deployment once ready; fails it at the progress deadline', () => {
    const pending = {
      ...canary,
      status: 'pending' as const,
      weights: { '1': 100, '2': 0 },
      progressDeadlineMs: 500,
    };
    const notReady = [inst('a', '1'), inst('b', '2', 'critical')];
    expect(decide(pending, notReady, none, 400)).toBeUndefined();
    expect(decide(pending, fleet, none, 400)).toMatchObject({ op: 'deployment.start' });
    expect(decide(pending, notReady, none, 501)).toMatchObject({ op: 'deployment.rollback', fail: true });
  });

  it('a blue-green before its switch carries no traffic: nothing to fail', () => {
    const bg = { ...canary, strategy: 'blue-green' as const, steps: [], weights: { '1': 100, '2': 0 } };
    expect(decide(bg, [inst('a', '1'), inst('b', '2', 'critical')], none, 1)).toBeUndefined();
    expect(decide({ ...bg, status: 'succeeded' }, fleet, none, 1)).toBeUndefined();
  });
});

describe('TrafficWindow', () => {
  it('sums reports within the window and since a time, and forgets on reset', () => {
    const w = new TrafficWindow(10_000);
    w.record([{ service: 'api', version: '2', requests: 10, errors: 1 }], 1_000);
    w.record([{ service: 'api', version: '2', requests: 5, errors: 5 }], 5_500);
    expect(w.totals('api', '2', 0, 6_000)).toEqual({ requests: 15, errors: 6 });
    expect(w.totals('api', '2', 3_000, 6_000)).toEqual({ requests: 5, errors: 5 });
    expect(w.totals('api', '2', 0, 12_000)).toEqual({ requests: 5, errors: 5 });
    expect(w.totals('api', '1', 0, 6_000)).toEqual({ requests: 0, errors: 0 });
    w.reset();
    expect(w.totals('api', '2', 0, 6_000)).toEqual({ requests: 0, errors: 0 });
  });
});
