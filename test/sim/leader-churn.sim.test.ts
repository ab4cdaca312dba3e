import { describe, it } from 'vitest';
import { checkSchedules } from '../support/sim/check-schedules.ts';

const file = 'test/sim/leader-churn.sim.test.ts';

describe('leaders deposed mid-replication, again and again (Figure 8 territory)', () => {
  it('keeps every invariant with 3 nodes', () => {
    checkSchedules({
      file,
      shape: { nodes: 3, profile: 'churn', membership: false },
      seed: 0xc4a3,
      numRuns: 400,
    });
  });

  it('keeps every invariant with 5 nodes', () => {
    checkSchedules({
      file,
      shape: { nodes: 5, profile: 'churn', membership: false },
      seed: 0xc4a5,
      numRuns: 400,
    });
  });
});
