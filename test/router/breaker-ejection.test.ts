import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  DEFAULT_BREAKER,
  DEFAULT_OUTLIER,
  OutlierDetector,
  resolveRouterOptions,
} from '../../src/router/index.ts';
import { countPicks, inst, ManualClock, routerOf } from './helpers.ts';

const breakerOpts = { ...DEFAULT_BREAKER, consecutiveFailures: 3, openMs: 1000, halfOpenProbes: 1 };

describe('circuit breaker', () => {
  it('opens on consecutive failures, half-opens after the cool-down, closes on a successful probe', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(breakerOpts);
    const fail = () => b.onFinish('server-error', b.onStart(clock.t), clock.t);
    fail();
    fail();
    b.onFinish('success', b.onStart(clock.t), clock.t); // a success resets the count
    fail();
    fail();
    expect(b.state(clock.t)).toBe('closed');
    fail();
    expect(b.state(clock.t)).toBe('open');
    expect(b.allows(clock.t)).toBe(false);
    clock.advance(999);
    expect(b.allows(clock.t)).toBe(false);
    clock.advance(1);
    expect(b.state(clock.t)).toBe('half-open');
    expect(b.allows(clock.t)).toBe(true);
    const probe = b.onStart(clock.t);
    expect(probe).toBe(true);
    // One probe at a time: the next request waits for its result.
    expect(b.allows(clock.t)).toBe(false);
    b.onFinish('success', probe, clock.t);
    expect(b.state(clock.t)).toBe('closed');
  });

  it('a failed probe opens it again for another cool-down; a cancelled one frees the slot', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(breakerOpts);
    for (let i = 0; i < 3; i++) b.onFinish('connect-failure', b.onStart(clock.t), clock.t);
    clock.advance(1000);
    const cancelled = b.onStart(clock.t);
    b.onFinish('cancelled', cancelled, clock.t);
    expect(b.state(clock.t)).toBe('half-open');
    expect(b.allows(clock.t)).toBe(true);
    b.onFinish('timeout', b.onStart(clock.t), clock.t);
    expect(b.state(clock.t)).toBe('open');
    clock.advance(500);
    expect(b.allows(clock.t)).toBe(false);
    clock.advance(500);
    expect(b.allows(clock.t)).toBe(true);
  });

  it('ignores results of requests started before it opened', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(breakerOpts);
    const slow = b.onStart(clock.t);
    for (let i = 0; i < 3; i++) b.onFinish('server-error', b.onStart(clock.t), clock.t);
    clock.advance(1000);
    // The slow request succeeds while half-open: it was no probe, so it does not close the breaker.
    b.onFinish('success', slow, clock.t);
    expect(b.state(clock.t)).toBe('half-open');
  });

  it('opens on an error rate over the window once it holds enough requests, and forgets old buckets', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({
      ...breakerOpts,
      consecutiveFailures: 100,
      errorRatePercent: 50,
      minRequests: 10,
      windowMs: 10_000,
    });
    const finish = (o: 'success' | 'server-error') => b.onFinish(o, b.onStart(clock.t), clock.t);
    // Alternating: never 3 in a row, 50 % failures — but only 8 requests: below minRequests.
    for (let i = 0; i < 4; i++) {
      finish('success');
      finish('server-error');
    }
    expect(b.state(clock.t)).toBe('closed');
    // The window slides past those: 9 more successes alone keep the rate low.
    clock.advance(11_000);
    for (let i = 0; i < 9; i++) finish('success');
    finish('server-error');
    expect(b.state(clock.t)).toBe('closed');
    for (let i = 0; i < 7; i++) finish('server-error');
    expect(b.state(clock.t)).toBe('closed'); // 8 failures of 17
    finish('server-error'); // 9 failures of 18: 50 %
    expect(b.state(clock.t)).toBe('open');
  });

  it('keeps an open instance out of the rotation, then lets one probe through', () => {
    const clock = new ManualClock();
    const pair = [inst('a'), inst('b')];
    const r = routerOf(pair, null, { clock: clock.now, breaker: breakerOpts, outlier: false });
    for (let i = 0; i < 3; i++) r.start(pair[0]!).finish('server-error');
    expect(countPicks(r, 10).get('a')).toBeUndefined();
    expect(r.status().breakerOpen).toEqual(['a']);
    clock.advance(1000);
    const probe = r.start(r.pick({}, { exclude: new Set(['b']) })!);
    expect(probe.instance.id).toBe('a');
    expect(countPicks(r, 10).get('a')).toBeUndefined();
    probe.finish('success');
    expect(countPicks(r, 10).get('a')).toBe(5);
  });
});

describe('outlier ejection', () => {
  const opts = { ...DEFAULT_OUTLIER, consecutiveFailures: 2, baseEjectionMs: 1000, maxEjectionMs: 2500 };

  it('ejects after consecutive failures for base × ejections, capped, and the multiplier decays', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector(opts);
    const failTwice = () => {
      d.record('a', 'server-error', clock.t, 2);
      d.record('a', 'connect-failure', clock.t, 2);
    };
    d.record('a', 'server-error', clock.t, 2);
    d.record('a', 'success', clock.t, 2);
    d.record('a', 'server-error', clock.t, 2);
    expect(d.isEjected('a', clock.t)).toBe(false);
    d.record('a', 'server-error', clock.t, 2);
    expect(d.ejectedUntil('a')).toBe(clock.t + 1000);
    // Failures of requests in flight while ejected do not extend it.
    d.record('a', 'server-error', clock.t + 10, 2);
    expect(d.ejectedUntil('a')).toBe(clock.t + 1000);
    clock.advance(1000);
    expect(d.isEjected('a', clock.t)).toBe(false);
    failTwice();
    expect(d.ejectedUntil('a') - clock.t).toBe(2000);
    clock.advance(2000);
    failTwice();
    expect(d.ejectedUntil('a') - clock.t).toBe(2500); // 3 × 1000, capped at 2500
    // Back in the rotation for 2 base periods: the multiplier drops from 3 to 1, so the next is 2 × base.
    clock.advance(2500 + 2000);
    failTwice();
    expect(d.ejectedUntil('a') - clock.t).toBe(2000);
  });

  it('never ejects more than maxEjectionPercent of the service, but always at least one', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector({ ...opts, maxEjectionPercent: 20 });
    const ids = Array.from({ length: 10 }, (_, i) => `i${i}`);
    for (const id of ids) for (let k = 0; k < 2; k++) d.record(id, 'server-error', clock.t, 10);
    expect(ids.filter((id) => d.isEjected(id, clock.t))).toEqual(['i0', 'i1']);
    const small = new OutlierDetector({ ...opts, maxEjectionPercent: 10 });
    for (const id of ['x', 'y', 'z']) for (let k = 0; k < 2; k++) small.record(id, 'timeout', clock.t, 3);
    expect(['x', 'y', 'z'].filter((id) => small.isEjected(id, clock.t))).toEqual(['x']);
  });

  it('ejected instances leave the router; cancelled requests and 4xx-style successes do not count', () => {
    const clock = new ManualClock();
    const three = [inst('a'), inst('b'), inst('c')];
    const r = routerOf(three, null, { clock: clock.now, outlier: opts, breaker: false });
    r.start(three[0]!).finish('cancelled');
    r.start(three[0]!).finish('server-error');
    r.start(three[0]!).finish('cancelled');
    expect(r.status().ejected).toEqual([]);
    r.start(three[0]!).finish('server-error');
    expect(r.status().ejected).toEqual(['a']);
    expect(countPicks(r, 20).get('a')).toBeUndefined();
    clock.advance(1000);
    expect(countPicks(r, 30).get('a')).toBe(10);
  });

  it('rejects options out of range, naming the field', () => {
    expect(() => resolveRouterOptions({ outlier: { maxEjectionPercent: 120 } })).toThrow(
      /maxEjectionPercent/,
    );
    expect(() => resolveRouterOptions({ breaker: { openMs: 0 } })).toThrow(/breaker.openMs/);
    expect(() => resolveRouterOptions({ panicThresholdPercent: -1 })).toThrow(/panicThresholdPercent/);
  });
});
