/** `flotilla cluster up`: starts every node of the file, prints the members once a leader is elected, stops them all on SIGTERM. */

import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOTILLA_BIN, ProcessCluster } from '../support/process-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';

describe('flotilla cluster up', () => {
  let files: ProcessCluster | undefined;
  const pids: number[] = [];
  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone: what the test expects
      }
    }
    await files?.close();
  });

  it('waits for a leader, prints the members with their PIDs, and stops every node cleanly on SIGTERM', async () => {
    files = await ProcessCluster.create({ logLevel: 'info' });
    const up = spawn(process.execPath, [FLOTILLA_BIN, 'cluster', 'up', '-c', files.file, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pids.push(up.pid!);
    let out = '';
    up.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    up.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    await waitUntil(
      'the members JSON',
      () => out.includes('"members"') && out.trimEnd().endsWith('}'),
      30_000,
    );
    const printed = JSON.parse(out) as { members: { id: string; pid: number; role: string }[] };
    expect(printed.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    expect(printed.members.filter((m) => m.role === 'leader')).toHaveLength(1);
    for (const m of printed.members) pids.push(m.pid);
    for (const m of printed.members) expect(isAlive(m.pid)).toBe(true);
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const m of printed.members) expect(isAlive(m.pid), `node ${m.id} stopped`).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
