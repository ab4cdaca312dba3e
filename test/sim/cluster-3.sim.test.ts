import { describe, it } from 'vitest';
import { checkSchedules } from '../support/sim/check-schedules.ts';

describe('3-node cluster under generated fault schedules', () => {
  it('keeps every safety invariant after every step, and recovers once faults heal', () => {
    checkSchedules({
      file: 'test/sim/cluster-3.sim.test.ts',
      shape: { nodes: 3 },
      seed: 0x3a11ce,
      numRuns: 1000,
    });
  });
});
