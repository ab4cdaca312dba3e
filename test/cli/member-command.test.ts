/** `flotilla member list|add|remove` against a running cluster: tables, --json, exit codes and one-line reasons. */

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberList } from '../../src/protocol/client-protocol.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { FLOTILLA_BIN, freePort } from '../support/process-cluster.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('flotilla member', () => {
  let cluster: NodeCluster;
  const flotilla = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [FLOTILLA_BIN, ...args, '--endpoints', cluster.endpoints.join(',')],
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
        },
      );
    });
  const ids = async () =>
    (JSON.parse((await flotilla('member', 'list', '--json')).stdout) as MemberList).members.map((m) => m.id);

  beforeAll(async () => {
    cluster = await NodeCluster.start();
    await cluster.leader();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('list prints a table of the voters, and --json the members with the leader', async () => {
    const table = await flotilla('member', 'list');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+ADDRESS\s+PEER ADDRESS\s+ROLE\s+LEADER$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['n1', 'n2', 'n3']);
    const json = JSON.parse((await flotilla('member', 'list', '--json')).stdout) as MemberList;
    expect(json.leaderId).toBe(await cluster.leader());
    expect(json.members[0]).toEqual({ id: 'n1', address: cluster.address('n1'), voter: true });
  });

  it('add makes a learner (--json prints it); adding it again exits 1 with CONFLICT; remove takes it out', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const added = await flotilla('member', 'add', 'n4', address, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ id: 'n4', address, voter: false });
    expect(await ids()).toEqual(['n1', 'n2', 'n3', 'n4']);

    const again = await flotilla('member', 'add', 'n4', address);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^flotilla: CONFLICT: n4 is already a member \(learner\)\n$/);

    const removed = await flotilla('member', 'remove', 'n4');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^removed n4;/);
    expect(await ids()).toEqual(['n1', 'n2', 'n3']);
  });

  it('bad input and unknown members exit 1 with the code in one line, and change nothing', async () => {
    const unknown = await flotilla('member', 'remove', 'n9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^flotilla: NOT_FOUND: n9 is not a member .*\n$/);
    const bad = await flotilla('member', 'add', 'n5', 'no-port');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^flotilla: INVALID_ARGUMENT: address: .*\n$/);
    expect(await ids()).toEqual(['n1', 'n2', 'n3']);
  });
});
