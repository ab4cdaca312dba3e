import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeCluster, waitFor } from './cluster-fixture.ts';

/** 100 ticks of 20 ms: no election timer fires within 2 s of the last heartbeat. */
const ELECTION_TICKS = 100;
const MIN_ELECTION_TIMEOUT_MS = ELECTION_TICKS * 20;

describe('a leader whose process stops closes its sockets, and the others elect at once', () => {
  let cluster: RuntimeCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  for (const transport of ['memory', 'ws'] as const) {
    it(`elects a new leader before any election timer could fire (${transport} transport)`, async () => {
      cluster = new RuntimeCluster(['a', 'b', 'c'], 'memory', { transport, electionTicks: ELECTION_TICKS });
      await cluster.startAll();
      const old = await cluster.leader();
      const term = old.status().term;
      await cluster.stop(old.id);
      const survivors = [...cluster.servers.values()];
      // A poll whose deadline is below the shortest election timeout: only the early campaign
      // started by the closed connection can elect in time.
      await waitFor(
        'a new leader',
        () => survivors.some((s) => s.status().role === 'leader'),
        MIN_ELECTION_TIMEOUT_MS - 100,
      );
      const leader = survivors.find((s) => s.status().role === 'leader')!;
      expect(leader.status().term).toBeGreaterThan(term);
      await expect(leader.propose(new TextEncoder().encode('after'))).resolves.toBeGreaterThan(0);
    });
  }
});
