import { afterEach, describe, expect, it } from 'vitest';
import { enc, RuntimeCluster, waitFor } from './cluster-fixture.ts';

/** Issue #3's acceptance, end to end: real WebSockets on 127.0.0.1 and the WAL in temp dirs. */
const ids = ['n1', 'n2', 'n3'];
let cluster: RuntimeCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const values = (n: number, prefix = 'v'): string[] => Array.from({ length: n }, (_, k) => `${prefix}${k}`);

describe('three RaftServers over ws and the WAL', () => {
  it('replicate 10,000 entries, restart from disk with the same log and state, and fail over', async () => {
    cluster = new RuntimeCluster(ids, 'disk', { transport: 'ws', snapshotEntries: 4000 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const written = values(10_000);
    for (let k = 0; k < written.length; k += 500) {
      await Promise.all(written.slice(k, k + 500).map((v) => leader.propose(enc(v))));
    }
    await waitFor('every replica to apply 10,000 entries', () =>
      ids.every((id) => cluster!.fsms.get(id)!.items.length === 10_000),
    );
    // Each node's last index as it closed (an election just before the stop may append a no-op).
    const before: number[] = [];
    for (const id of ids) {
      const server = cluster.server(id);
      await cluster.stop(id);
      before.push(server.status().lastIndex);
    }
    for (const [k, id] of ids.entries()) {
      await cluster.start(id);
      const last = cluster.server(id).status().lastIndex;
      // Alone, the first node cannot elect anyone: its log is exactly what it closed with. Once two
      // are up a new leader may already have appended its no-op.
      if (k === 0) expect(last).toBe(before[k]);
      else expect(last).toBeGreaterThanOrEqual(before[k]!);
    }
    await waitFor('state rebuilt from snapshot and log', () =>
      ids.every((id) => cluster!.fsms.get(id)!.items.length === 10_000),
    );
    for (const id of ids) expect(cluster.fsms.get(id)!.items).toEqual(written);
    // Kill the leader's server: another one takes over and commits.
    const old = await cluster.leader();
    await cluster.stop(old.id);
    const next = await cluster.leader();
    expect(next.id).not.toBe(old.id);
    await next.propose(enc('after failover'));
    expect(cluster.fsms.get(next.id)!.items.at(-1)).toBe('after failover');
  }, 120_000);

  it('a node down while the log was compacted catches up by snapshot over the wire', async () => {
    cluster = new RuntimeCluster(ids, 'disk', { transport: 'ws', snapshotEntries: 50 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const down = ids.find((id) => id !== leader.id)!;
    await cluster.stop(down);
    const written = values(300);
    for (const v of written) await leader.propose(enc(v));
    expect(leader.status().firstIndex).toBeGreaterThan(150);
    await cluster.start(down);
    await waitFor('the restarted node to catch up', () => cluster!.fsms.get(down)!.items.length === 300);
    expect(cluster.fsms.get(down)!.items).toEqual(written);
  }, 60_000);
});
