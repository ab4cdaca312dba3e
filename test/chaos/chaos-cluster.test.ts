import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ChaosCluster, FAST_TIMINGS } from '../support/chaos/chaos-cluster.ts';
import { BLOCK } from '../support/chaos/fault-proxy.ts';
import { livePids } from '../support/chaos/node-process.ts';
import { waitUntil, waitUntilAsync } from '../support/wait-for.ts';

/** True while a process with this PID exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The harness itself: peers really talk through the proxies (a partition
 * made there moves leadership), and close() leaves no process, proxy or
 * directory behind, whatever state the nodes were in.
 */
describe('ChaosCluster', () => {
  let cluster: ChaosCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('routes every peer link through its proxy, so isolating the leader there elects another', async () => {
    cluster = await ChaosCluster.create({ nodes: 3, ...FAST_TIMINGS, logLevel: 'warn' });
    const c = cluster;
    const n1 = await readFile(`${c.dir}/n1.yaml`, 'utf8');
    expect(n1).toContain(`peerAddress: ${c.network.link('n1', 'n2').address}`);
    expect(n1).toContain(`peerAddress: ${c.network.link('n1', 'n3').address}`);
    c.startAll();
    let first: string | undefined;
    await waitUntilAsync(
      'a first leader',
      async () => {
        first = await c.currentLeader();
        return first !== undefined;
      },
      60_000,
    );
    const others = c.ids.filter((id) => id !== first);
    c.network.partition([[first!], others], BLOCK);
    await waitUntilAsync(
      'a leader among the others',
      async () => {
        const s = await Promise.all(others.map((id) => c.status(id)));
        return s.some((x) => x?.role === 'leader');
      },
      10_000,
    );
    c.network.heal();
    expect(c.network.totals().dropped).toBeGreaterThan(0);
  });

  it('reports a node that exits without being told to (a crash a later heal would hide)', async () => {
    const c = cluster!;
    const victim = c.ids[2]!;
    expect(c.crashes()).toEqual([]);
    process.kill(c.pid(victim)!, 'SIGKILL'); // behind the harness's back
    await waitUntil('the crash to be noticed', () => c.crashes().length === 1, 5_000);
    expect(c.crashes()[0]).toMatch(new RegExp(`^crash: ${victim} .*signal SIGKILL`));
    c.start(victim);
  });

  it('close() kills every process by PID, paused or not, and removes its directory', async () => {
    const c = cluster!;
    const pids = c.ids.map((id) => c.pid(id)!);
    expect(pids.every(alive)).toBe(true);
    c.pause(c.ids[0]!);
    await c.kill(c.ids[1]!);
    c.start(c.ids[1]!);
    const restarted = c.pid(c.ids[1]!)!;
    await c.close();
    cluster = undefined;
    for (const pid of [...pids, restarted]) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(livePids()).toEqual([]);
    expect(existsSync(c.dir)).toBe(false);
    await expect(fetch(`http://${c.network.link('n1', 'n2').address}/`)).rejects.toThrow();
  });
});
