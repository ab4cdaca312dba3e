/**
 * What a chaos run does to the cluster, as plain data that fast-check
 * generates from a seed: a list of faults, each held for a while and then
 * healed, with quiet gaps between them. Durations are drawn in multiples of
 * the election timeout, so "a pause longer than an election" stays true
 * whatever timings the cluster runs with.
 */

import fc from 'fast-check';

/** Whom a fault hits: the leader at the moment it starts, or a fixed node (an index into the ids). */
export type Target = { readonly kind: 'leader' } | { readonly kind: 'node'; readonly index: number };

export type Fault =
  /** kill -9, down for `ms`, then started again from its data directory. */
  | { readonly kind: 'kill'; readonly target: Target; readonly ms: number }
  /** SIGSTOP for `ms` (longer than an election timeout), then SIGCONT. */
  | { readonly kind: 'pause'; readonly target: Target; readonly ms: number }
  /** Nodes `minority` (fewer than half) cut off from the rest, both ways. */
  | { readonly kind: 'partition'; readonly minority: readonly number[]; readonly ms: number }
  /** The leader cut off from everyone, both ways. */
  | { readonly kind: 'isolate-leader'; readonly ms: number }
  /** Two halves that cannot talk, and one node that talks to both. */
  | { readonly kind: 'bridge'; readonly bridge: number; readonly ms: number }
  /** One direction only: the target cannot send to the others (`outbound`) or cannot hear them (`inbound`). */
  | {
      readonly kind: 'one-way';
      readonly target: Target;
      readonly direction: 'outbound' | 'inbound';
      readonly ms: number;
    }
  /** Every link of one node (or of all nodes) delays each chunk by `delayMs`. */
  | { readonly kind: 'slow'; readonly node: number | 'all'; readonly delayMs: number; readonly ms: number }
  /** Every node in turn: stopped (SIGTERM, or kill -9 when `hard`), restarted, caught up. */
  | { readonly kind: 'rolling-restart'; readonly hard: boolean }
  /** `leader.transfer` while the clients keep writing (to a given node, or the leader's choice). */
  | { readonly kind: 'transfer'; readonly to: number | undefined };

export interface ScheduledFault {
  readonly fault: Fault;
  /** Quiet time before the fault starts. */
  readonly gapMs: number;
}

export interface Schedule {
  readonly nodes: number;
  readonly faults: readonly ScheduledFault[];
  /** Seeds the clients' choices (ops, keys, values, think times). */
  readonly workloadSeed: number;
}

export interface ScheduleShape {
  /** Cluster sizes to draw from (the size is part of the schedule, so a seed alone replays it). */
  readonly nodes: readonly number[];
  readonly electionMs: number;
  readonly minFaults: number;
  readonly maxFaults: number;
}

/** The kinds a schedule draws from (every kind the issue lists). */
export const FAULT_KINDS: readonly Fault['kind'][] = [
  'kill',
  'pause',
  'partition',
  'isolate-leader',
  'bridge',
  'one-way',
  'slow',
  'rolling-restart',
  'transfer',
];

export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Schedule> {
  return fc.constantFrom(...shape.nodes).chain((nodes) => {
    const scheduled = fc.record({
      fault: faultArbitrary(nodes, shape.electionMs),
      gapMs: fc.integer({ min: shape.electionMs / 2, max: 2 * shape.electionMs }),
    });
    return fc.record({
      nodes: fc.constant(nodes),
      faults: fc.array(scheduled, { minLength: shape.minFaults, maxLength: shape.maxFaults }),
      workloadSeed: fc.nat(),
    });
  });
}

export function faultArbitrary(nodes: number, electionMs: number): fc.Arbitrary<Fault> {
  const index = fc.integer({ min: 0, max: nodes - 1 });
  const target: fc.Arbitrary<Target> = fc.oneof(
    fc.constant({ kind: 'leader' } as const),
    index.map((i) => ({ kind: 'node', index: i }) as const),
  );
  // Long enough for the others to notice (an election takes up to 2 × electionMs) and elect.
  const outage = fc.integer({ min: 3 * electionMs, max: 6 * electionMs });
  const short = fc.integer({ min: electionMs, max: 4 * electionMs });
  const minority = fc
    .subarray(
      Array.from({ length: nodes }, (_, i) => i),
      { minLength: 1, maxLength: Math.floor((nodes - 1) / 2) },
    )
    .map((m) => [...m]);
  return fc.oneof(
    fc.record({ kind: fc.constant('kill' as const), target, ms: short }),
    fc.record({ kind: fc.constant('pause' as const), target, ms: outage }),
    fc.record({ kind: fc.constant('partition' as const), minority, ms: outage }),
    fc.record({ kind: fc.constant('isolate-leader' as const), ms: outage }),
    fc.record({ kind: fc.constant('bridge' as const), bridge: index, ms: outage }),
    fc.record({
      kind: fc.constant('one-way' as const),
      target,
      direction: fc.constantFrom('outbound' as const, 'inbound' as const),
      ms: outage,
    }),
    fc.record({
      kind: fc.constant('slow' as const),
      node: fc.oneof(index, fc.constant('all' as const)),
      delayMs: fc.integer({ min: 10, max: Math.round(electionMs / 2) }),
      ms: outage,
    }),
    fc.record({ kind: fc.constant('rolling-restart' as const), hard: fc.boolean() }),
    fc.record({ kind: fc.constant('transfer' as const), to: fc.option(index, { nil: undefined }) }),
  );
}

/** Bridge: the nodes other than the bridge, split into two halves. */
export function bridgeHalves(nodes: number, bridge: number): [number[], number[]] {
  const others = Array.from({ length: nodes }, (_, i) => i).filter((i) => i !== bridge);
  const half = Math.ceil(others.length / 2);
  return [others.slice(0, half), others.slice(half)];
}

/** One line per fault, for logs and failure reports. */
export function formatSchedule(s: Schedule): string {
  return [
    `${s.nodes} nodes, workload seed ${s.workloadSeed}, ${s.faults.length} faults:`,
    ...s.faults.map((f, i) => `  ${i + 1}. after ${f.gapMs} ms: ${describeFault(f.fault)}`),
  ].join('\n');
}

export function describeFault(f: Fault): string {
  const who = (t: Target) => (t.kind === 'leader' ? 'the leader' : `n${t.index + 1}`);
  switch (f.kind) {
    case 'kill':
      return `kill -9 ${who(f.target)}, restart after ${f.ms} ms`;
    case 'pause':
      return `SIGSTOP ${who(f.target)} for ${f.ms} ms`;
    case 'partition':
      return `partition {${f.minority.map((i) => `n${i + 1}`).join(',')}} from the rest for ${f.ms} ms`;
    case 'isolate-leader':
      return `isolate the leader for ${f.ms} ms`;
    case 'bridge':
      return `bridge partition through n${f.bridge + 1} for ${f.ms} ms`;
    case 'one-way':
      return `${who(f.target)} cannot ${f.direction === 'outbound' ? 'send to' : 'hear'} the others for ${f.ms} ms`;
    case 'slow':
      return `${f.node === 'all' ? 'every link' : `n${f.node + 1}'s links`} delayed ${f.delayMs} ms for ${f.ms} ms`;
    case 'rolling-restart':
      return `rolling restart of every node (${f.hard ? 'kill -9' : 'SIGTERM'})`;
    case 'transfer':
      return `transfer leadership to ${f.to === undefined ? "the leader's choice" : `n${f.to + 1}`}`;
  }
}
