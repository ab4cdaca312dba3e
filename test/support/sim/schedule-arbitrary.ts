import fc from 'fast-check';
import {
  describeSchedule,
  type FaultEvent,
  type NodeRef,
  type Schedule,
  type ScheduleRaftOptions,
  type TimedEvent,
} from './schedule.ts';
import { MAX_NODES } from './sim-cluster.ts';

/**
 * `mixed`: every kind of fault, client action and membership change.
 * `churn`: leaders deposed mid-replication, again and again, with small
 * AppendEntries batches — where stale entries of old terms meet new leaders
 * (Figure 8, leader completeness, log repair).
 */
export type ScheduleProfile = 'mixed' | 'churn';

/** What kind of schedules to generate. */
export interface ScheduleShape {
  /** Founding voters. */
  readonly nodes: number;
  readonly profile: ScheduleProfile;
  /** Include membership changes (add a node, remove a voter). */
  readonly membership: boolean;
  readonly maxEvents: number;
  /** Upper bound for an event's time, in ticks. */
  readonly maxAt: number;
}

export const DEFAULT_SHAPE: Omit<ScheduleShape, 'nodes'> = {
  profile: 'mixed',
  membership: true,
  maxEvents: 32,
  maxAt: 320,
};

/** Fault schedules for one cluster size; each prints as its timeline (`describeSchedule`). */
export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Schedule> {
  const churn = shape.profile === 'churn';
  const slots = Math.min(MAX_NODES, shape.nodes + (shape.membership ? 2 : 0));
  const events = churn ? churnEvents(slots) : mixedEvents(slots, shape.membership);
  const timed = fc
    .tuple(fc.integer({ min: 0, max: shape.maxAt - 1 }), events)
    .map(([at, event]): TimedEvent => ({ ...event, at }));
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      raft: raftOptions(churn),
      snapshotThreshold: fc.integer({ min: 8, max: 30 }),
      snapshotPadding: fc.integer({ min: 0, max: 400 }),
      persistDelay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 })),
      reorder: fc.boolean(),
      workEvery: fc.integer({ min: churn ? 1 : 0, max: churn ? 5 : 10 }),
      readEvery: fc.integer({ min: 0, max: 10 }),
      tail: fc.integer({ min: 0, max: 60 }),
      events: fc.array(timed, { maxLength: shape.maxEvents }),
    })
    .map(({ tail, events, ...rest }) => {
      const sorted = [...events].sort((a, b) => a.at - b.at);
      const lastAt = sorted.at(-1)?.at ?? 0;
      const schedule: Schedule = { nodes: shape.nodes, ...rest, duration: lastAt + 1 + tail, events: sorted };
      return withToString(schedule);
    });
}

/** Attaches the readable timeline fast-check prints for a counterexample. */
export function withToString(schedule: Schedule): Schedule {
  return Object.assign(schedule, { [fc.toStringMethod]: () => describeSchedule(schedule) });
}

/**
 * Raft options. One entry per message with one message in flight carries one
 * entry per round trip, less than the background workload offers: the
 * backlog would outlast any liveness bound, so that pair gets batches of 8.
 */
function raftOptions(churn: boolean): fc.Arbitrary<ScheduleRaftOptions> {
  return fc
    .record({
      electionTicks: fc.integer({ min: 5, max: churn ? 10 : 20 }),
      preVote: fc.boolean(),
      checkQuorum: fc.boolean(),
      maxInflight: fc.constantFrom(64, 1, 4),
      maxEntriesPerMessage: churn ? fc.constantFrom(1, 2, 8) : fc.constantFrom(512, 1, 8),
      snapshotChunkBytes: fc.constantFrom(256 * 1024, 16, 64, 200),
    })
    .map((o) => (o.maxInflight === 1 && o.maxEntriesPerMessage < 8 ? { ...o, maxEntriesPerMessage: 8 } : o));
}

/** Arbitraries for each event kind, over node slots 0..slots-1. */
function eventKinds(slots: number) {
  const node = nodeRef(slots);
  const slot = fc.integer({ min: 0, max: slots - 1 });
  const sides = (max: number) =>
    fc.array(fc.integer({ min: 0, max }), { minLength: MAX_NODES, maxLength: MAX_NODES });
  return {
    partition: fc.record({ kind: fc.constant('partition'), sides: sides(2) }),
    block: fc.record({ kind: fc.constant('block'), from: node, to: node }),
    isolate: fc.record({ kind: fc.constant('isolate'), node }),
    isolateLeader: fc.record({ kind: fc.constant('isolate'), node: fc.constant('leader' as const) }),
    bridge: fc.record({ kind: fc.constant('bridge'), node, sides: sides(1) }),
    delay: fc.record({
      kind: fc.constant('delay'),
      from: node,
      to: node,
      extra: fc.integer({ min: 1, max: 100 }),
    }),
    heal: fc.record({ kind: fc.constant('heal') }),
    network: fc.record({
      kind: fc.constant('network'),
      dropPct: fc.integer({ min: 0, max: 30 }),
      dupPct: fc.integer({ min: 0, max: 20 }),
      maxLatency: fc.integer({ min: 1, max: 30 }),
      reorder: fc.boolean(),
    }),
    crash: fc.record({ kind: fc.constant('crash'), node }),
    crashLeader: fc.record({ kind: fc.constant('crash'), node: fc.constant('leader' as const) }),
    restart: fc.record({ kind: fc.constant('restart'), node: slot }),
    slow: fc.record({ kind: fc.constant('slow'), node, factor: fc.integer({ min: 1, max: 10 }) }),
    propose: fc.record({ kind: fc.constant('propose'), count: fc.integer({ min: 1, max: 20 }) }),
    read: fc.record({ kind: fc.constant('read'), node }),
    transfer: fc.record({ kind: fc.constant('transfer'), to: slot }),
    depose: fc.record({
      kind: fc.constant('depose'),
      onCommit: fc.boolean(),
      count: fc.integer({ min: 1, max: 4 }),
      how: fc.constantFrom('crash', 'isolate'),
      after: fc.integer({ min: 0, max: 30 }),
    }),
    addNode: fc.record({ kind: fc.constant('add-node') }),
    remove: fc.record({ kind: fc.constant('remove'), node }),
  } satisfies Record<string, fc.Arbitrary<FaultEvent>>;
}

function mixedEvents(slots: number, membership: boolean): fc.Arbitrary<FaultEvent> {
  const k = eventKinds(slots);
  const arbs: fc.WeightedArbitrary<FaultEvent>[] = [
    { weight: 3, arbitrary: k.partition },
    { weight: 2, arbitrary: k.block },
    { weight: 2, arbitrary: k.isolate },
    { weight: 1, arbitrary: k.bridge },
    { weight: 1, arbitrary: k.delay },
    { weight: 2, arbitrary: k.heal },
    { weight: 2, arbitrary: k.network },
    { weight: 3, arbitrary: k.crash },
    { weight: 2, arbitrary: k.restart },
    { weight: 1, arbitrary: k.slow },
    { weight: 3, arbitrary: k.propose },
    { weight: 1, arbitrary: k.read },
    { weight: 1, arbitrary: k.transfer },
    { weight: 2, arbitrary: k.depose },
  ];
  if (membership) arbs.push({ weight: 1, arbitrary: k.addNode }, { weight: 1, arbitrary: k.remove });
  return fc.oneof(...arbs);
}

function churnEvents(slots: number): fc.Arbitrary<FaultEvent> {
  const k = eventKinds(slots);
  return fc.oneof(
    { weight: 5, arbitrary: k.depose },
    { weight: 2, arbitrary: k.crashLeader },
    { weight: 2, arbitrary: k.isolateLeader },
    { weight: 3, arbitrary: k.restart },
    { weight: 3, arbitrary: k.propose },
    { weight: 1, arbitrary: k.partition },
    { weight: 1, arbitrary: k.heal },
    { weight: 1, arbitrary: k.network },
  );
}

function nodeRef(slots: number): fc.Arbitrary<NodeRef> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: slots - 1 }), weight: 3 },
    { arbitrary: fc.constant('leader' as const), weight: 1 },
  );
}
