import { describe, expect, it } from 'vitest';
import { raftCoreFactory } from '../support/sim/raft-core-factory.ts';
import { formatResult, runSchedule } from '../support/sim/run-schedule.ts';
import type { Schedule, ScheduleRaftOptions } from '../support/sim/schedule.ts';

/** Shrunk schedules that once broke the core, kept as regression tests (each ran under every invariant). */
const raft: ScheduleRaftOptions = {
  electionTicks: 5,
  preVote: false,
  checkQuorum: false,
  maxInflight: 64,
  maxEntriesPerMessage: 512,
  snapshotChunkBytes: 256 * 1024,
};

const quiet = {
  seed: 0,
  snapshotThreshold: 8,
  snapshotPadding: 0,
  persistDelay: 0,
  reorder: false,
  workEvery: 0,
  readEvery: 0,
};

function expectClean(schedule: Schedule): void {
  const result = runSchedule(schedule, raftCoreFactory);
  expect(result.violationCount, formatResult(schedule, result)).toBe(0);
}

describe('scenarios found by the simulator', () => {
  it('a leader that removes itself commits the removal although 4% of its AppendEntries are lost', () => {
    // Lost appends in the replicate state were never resent: no new entry could follow the conf change,
    // so the removal never committed and the removed leader refused every proposal.
    expectClean({
      ...quiet,
      nodes: 5,
      raft,
      duration: 9,
      events: [
        { at: 0, kind: 'network', dropPct: 4, dupPct: 0, maxLatency: 1, reorder: false },
        { at: 8, kind: 'remove', node: 'leader' },
      ],
    });
  });

  it('duplicated snapshot acknowledgements do not multiply a chunked transfer', () => {
    // Every snapshot-resp, duplicates included, made the leader send a chunk: each duplicate forked
    // another chunk/ack ping-pong that lived until the transfer ended, so traffic grew exponentially.
    expectClean({
      ...quiet,
      nodes: 3,
      raft: { ...raft, snapshotChunkBytes: 16 },
      snapshotPadding: 83,
      reorder: true,
      workEvery: 1,
      duration: 131,
      events: [
        { at: 0, kind: 'isolate', node: 0 },
        { at: 0, kind: 'network', dropPct: 0, dupPct: 15, maxLatency: 21, reorder: true },
        { at: 15, kind: 'heal' },
      ],
    });
  });
});
