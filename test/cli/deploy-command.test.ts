/** Issue #8: `flotilla deploy …` against a running cluster — JSON records with their id, tables, exit codes. */

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import type { Deployment } from '../../src/registry/types.ts';
import { NodeCluster } from '../server/node-cluster.ts';
import { FLOTILLA_BIN } from '../support/process-cluster.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function flotilla(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FLOTILLA_BIN, ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

describe('flotilla deploy', () => {
  let cluster: NodeCluster;
  let client: FlotillaClient;
  let ep: string[];

  beforeAll(async () => {
    cluster = await NodeCluster.start();
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints });
    ep = ['--endpoints', cluster.endpoints.join(',')];
    for (const [id, version] of [
      ['api-1', '1.0.0'],
      ['api-2', '2.0.0'],
    ] as const)
      await client.services.register({ id, name: 'api', address: '127.0.0.1', port: 3000, version });
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.close();
  });

  it('canary, promote --percent, status, rollback; then blue-green and switch', async () => {
    const canary = await flotilla([
      'deploy',
      'canary',
      'api',
      '--to',
      '2.0.0',
      '--percent',
      '20',
      '--json',
      ...ep,
    ]);
    expect(canary.stderr).toBe('');
    const d = JSON.parse(canary.stdout) as Deployment;
    expect(d).toMatchObject({ service: 'api', status: 'running', weights: { '1.0.0': 80, '2.0.0': 20 } });
    expect(d.id).toMatch(/^api-/);

    const second = await flotilla(['deploy', 'canary', 'api', '--to', '2.0.0', '--percent', '20', ...ep]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^flotilla: CONFLICT: /);

    const promoted = JSON.parse(
      (await flotilla(['deploy', 'promote', d.id, '--percent', '50', '--json', ...ep])).stdout,
    ) as Deployment;
    expect(promoted).toMatchObject({ id: d.id, weights: { '1.0.0': 50, '2.0.0': 50 } });

    const status = await flotilla(['deploy', 'status', d.id, ...ep]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/STATUS/);
    expect(status.stdout).toMatch(/promoted by a client/);

    const rolled = JSON.parse(
      (await flotilla(['deploy', 'rollback', d.id, '--json', ...ep])).stdout,
    ) as Deployment;
    expect(rolled).toMatchObject({ id: d.id, status: 'rolled-back', weights: { '1.0.0': 100 } });

    const bg = JSON.parse(
      (await flotilla(['deploy', 'blue-green', 'api', '--to', '2.0.0', '--id', 'bg1', '--json', ...ep]))
        .stdout,
    ) as Deployment;
    expect(bg).toMatchObject({ id: 'bg1', strategy: 'blue-green', weights: { '1.0.0': 100, '2.0.0': 0 } });
    const sw = JSON.parse(
      (await flotilla(['deploy', 'switch', 'bg1', '--json', ...ep])).stdout,
    ) as Deployment;
    expect(sw).toMatchObject({ id: 'bg1', status: 'promoted', weights: { '2.0.0': 100 } });

    const list = await flotilla(['deploy', 'status', '--json', ...ep]);
    expect((JSON.parse(list.stdout) as Deployment[]).map((x) => x.id).sort()).toEqual([d.id, 'bg1'].sort());
    const bad = await flotilla(['deploy', 'canary', 'api', '--to', '2.0.0', '--percent', '150', ...ep]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^flotilla: INVALID_ARGUMENT: percent/);
  }, 30_000);
});
