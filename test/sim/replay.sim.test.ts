import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { raftCoreFactory } from '../support/sim/raft-core-factory.ts';
import { runSchedule } from '../support/sim/run-schedule.ts';
import { describeSchedule } from '../support/sim/schedule.ts';
import { DEFAULT_SHAPE, scheduleArbitrary } from '../support/sim/schedule-arbitrary.ts';

describe('a simulation replays exactly from its seed', () => {
  const arbitrary = scheduleArbitrary({ ...DEFAULT_SHAPE, nodes: 5 });

  it('generates the same schedules from the same seed', () => {
    const describeAll = () => fc.sample(arbitrary, { seed: 99, numRuns: 20 }).map(describeSchedule);
    expect(describeAll()).toEqual(describeAll());
  });

  it('runs a schedule to the same trace, twice', () => {
    for (const schedule of fc.sample(arbitrary, { seed: 7, numRuns: 10 })) {
      const traces: string[][] = [[], []];
      const results = traces.map((lines) =>
        runSchedule(schedule, raftCoreFactory, (line) => lines.push(line)),
      );
      expect(traces[1]).toEqual(traces[0]);
      expect(results[1]).toEqual(results[0]);
      expect(traces[0]!.length).toBeGreaterThan(100);
    }
  });
});
