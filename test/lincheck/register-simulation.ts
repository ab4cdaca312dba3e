import fc from 'fast-check';
import type { Operation } from '../support/lincheck/history.ts';
import type { KvState, KvValue } from '../support/lincheck/kv-model.ts';

/** What an op turns into: acknowledged, unknown (applied or not), or definitely not applied. */
export type Outcome = 'ok' | 'info-applied' | 'info-lost' | 'fail';

/** One op a simulated process will issue, all of its randomness drawn up front by fast-check. */
export interface PlannedOp {
  readonly kind: 'put' | 'get' | 'cas' | 'delete';
  readonly key: number;
  /** Idle time before the invocation, and the invocation's length, in ticks. */
  readonly gap: number;
  readonly duration: number;
  /** Where in its window the op takes effect, in thousandths. */
  readonly point: number;
  /** Picks the expected value of a cas. */
  readonly pick: number;
  readonly outcome: Outcome;
}

/** How big the generated histories are. */
export interface SimulationShape {
  readonly processes: { readonly min: number; readonly max: number };
  readonly opsPerProcess: { readonly min: number; readonly max: number };
  readonly keys: number;
}

/** Each process's ops, in program order. */
export type Plan = readonly (readonly PlannedOp[])[];

/** A simulated run: the recorded history and, per record, the ground-truth state just before it. */
export interface Simulated {
  readonly history: readonly Operation[];
  readonly before: readonly KvState[];
}

/** Plans of concurrent processes: random overlapping intervals; mostly ok ops, some info and fail. */
export function planArbitrary(shape: SimulationShape): fc.Arbitrary<Plan> {
  const op: fc.Arbitrary<PlannedOp> = fc.record({
    kind: fc.constantFrom('put', 'get', 'get', 'cas', 'delete'),
    key: fc.nat({ max: shape.keys - 1 }),
    gap: fc.nat({ max: 6 }),
    duration: fc.integer({ min: 1, max: 20 }),
    point: fc.nat({ max: 1000 }),
    pick: fc.nat({ max: 1 << 16 }),
    outcome: fc.oneof(
      { weight: 12, arbitrary: fc.constant<Outcome>('ok') },
      { weight: 1, arbitrary: fc.constant<Outcome>('info-applied') },
      { weight: 1, arbitrary: fc.constant<Outcome>('info-lost') },
      { weight: 1, arbitrary: fc.constant<Outcome>('fail') },
    ),
  });
  const process = fc.array(op, { minLength: shape.opsPerProcess.min, maxLength: shape.opsPerProcess.max });
  return fc.array(process, { minLength: shape.processes.min, maxLength: shape.processes.max });
}

interface Instance {
  readonly process: number;
  readonly planned: PlannedOp;
  readonly value: KvValue;
  readonly invokeAt: number;
  readonly completeAt: number;
  /** The linearization point: inside the interval, or anywhere in a longer window for an info op. */
  readonly at: number;
}

/**
 * Runs a plan against a true register, applying each op at its
 * linearization point, so the recorded history is linearizable by
 * construction. Every write writes a value of its own (numbers for put,
 * strings for cas), which lets the anomaly injectors prove a read impossible.
 */
export function simulate(plan: Plan): Simulated {
  const instances = plan.flatMap((ops, process) => timeline(ops, process));
  const byPoint = [...instances].sort((a, b) => a.at - b.at);
  const state = new Map<number, KvState>();
  const written = new Map<number, KvValue[]>();
  const recorded = new Map<Instance, { record: Operation; before: KvState }>();
  for (const instance of byPoint) {
    const { planned } = instance;
    const current = state.get(planned.key) ?? null;
    const input = inputOf(instance, current, written.get(planned.key) ?? []);
    const applied = planned.outcome === 'ok' || planned.outcome === 'info-applied';
    const effect = apply(planned.kind, input, current);
    if (applied && effect.state !== current) {
      state.set(planned.key, effect.state);
      if (effect.state !== null)
        written.set(planned.key, [...(written.get(planned.key) ?? []), effect.state]);
    }
    const status = planned.outcome === 'ok' ? 'ok' : planned.outcome === 'fail' ? 'fail' : 'info';
    const record: Operation = {
      process: instance.process,
      key: `k${planned.key}`,
      op: planned.kind,
      input,
      output: status === 'ok' ? effect.output : undefined,
      invokeAt: instance.invokeAt,
      // As a recorder would: the time the client gave up, even for info (the checker ignores it).
      completeAt: instance.completeAt,
      status,
    };
    recorded.set(instance, { record, before: current });
  }
  const ordered = instances
    .map((i) => recorded.get(i)!)
    .sort((a, b) => a.record.invokeAt - b.record.invokeAt);
  return { history: ordered.map((r) => r.record), before: ordered.map((r) => r.before) };
}

function timeline(ops: readonly PlannedOp[], process: number): Instance[] {
  let t = 0;
  return ops.map((planned, index) => {
    const invokeAt = t + planned.gap;
    const completeAt = invokeAt + planned.duration;
    t = completeAt;
    // An info op may take effect long after the client gave up on it.
    const window = planned.outcome === 'ok' ? planned.duration : planned.duration * 3;
    const at = invokeAt + (planned.point / 1000) * window;
    const id = process * 100_000 + index;
    return { process, planned, value: planned.kind === 'put' ? id : `c${id}`, invokeAt, completeAt, at };
  });
}

function inputOf(instance: Instance, current: KvState, written: readonly KvValue[]): unknown {
  const { kind, pick } = instance.planned;
  if (kind === 'put') return instance.value;
  if (kind !== 'cas') return null;
  // A third each: the current value (likely success), absent, or an older value (likely failure).
  const expected =
    pick % 3 === 0 ? current : pick % 3 === 1 ? null : (written[pick % written.length] ?? null);
  return { expected, value: instance.value };
}

function apply(
  kind: PlannedOp['kind'],
  input: unknown,
  current: KvState,
): { state: KvState; output: unknown } {
  switch (kind) {
    case 'put':
      return { state: input as KvValue, output: 'ok' };
    case 'delete':
      return { state: null, output: 'ok' };
    case 'get':
      return { state: current, output: current };
    case 'cas': {
      const { expected, value } = input as { expected: KvState; value: KvValue };
      const succeeded = expected === current;
      return { state: succeeded ? value : current, output: { succeeded } };
    }
  }
}
