import { describe, it } from 'vitest';
import { checkSchedules } from '../support/sim/check-schedules.ts';

describe('5-node cluster under generated fault schedules', () => {
  it('keeps every safety invariant after every step, and recovers once faults heal', () => {
    checkSchedules({
      file: 'test/sim/cluster-5.sim.test.ts',
      shape: { nodes: 5 },
      seed: 0x5f1eed,
      numRuns: 700,
    });
  });
});
