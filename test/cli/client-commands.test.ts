/** The CLI's client commands against a running cluster: tables, --json, exit codes and one-line reasons. */

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeCluster } from '../server/node-cluster.ts';
import { FLOTILLA_BIN } from '../support/process-cluster.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function flotilla(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [FLOTILLA_BIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
      },
    );
  });
}

describe('flotilla client commands', () => {
  let cluster: NodeCluster;
  let endpoints: string;

  beforeAll(async () => {
    cluster = await NodeCluster.start();
    await cluster.leader();
    endpoints = cluster.endpoints.join(',');
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('status --json prints the leader, term and every member', async () => {
    const r = await flotilla(['status', '--json', '--endpoints', endpoints]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { leaderId: string; term: number; members: Record<string, unknown>[] };
    expect(s.leaderId).toBe(await cluster.leader());
    expect(s.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const m of s.members) {
      expect(m).toMatchObject({ reachable: true });
      for (const key of ['address', 'role', 'term', 'commitIndex', 'appliedIndex'])
        expect(m).toHaveProperty(key);
    }
  });

  it('service register with checks, heartbeat, list as a table and as JSON; endpoints from FLOTILLA_ENDPOINTS', async () => {
    const env = { FLOTILLA_ENDPOINTS: endpoints };
    const reg = await flotilla(
      [
        'service',
        'register',
        '--id',
        'cli-1',
        '--name',
        'cli',
        '--address',
        '127.0.0.1',
        '--port',
        '9',
        '--check-ttl',
        '5000',
        '--tag',
        'a',
        '--meta',
        'team=core',
      ],
      env,
    );
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/^registered cli-1 \(cli\) at revision \d+/);
    const beat = await flotilla(['service', 'heartbeat', 'cli-1'], env);
    expect(beat.code, beat.stderr).toBe(0);
    expect(beat.stdout).toMatch(/cli-1 is (passing|critical); next heartbeat due within 5000 ms/);
    const table = await flotilla(['service', 'list', 'cli'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+ADDRESS\s+VERSION\s+HEALTH/);
    expect(table.stdout).toContain('cli-1');
    const json = JSON.parse((await flotilla(['service', 'list', 'cli', '--json'], env)).stdout) as {
      instances: { id: string; tags: string[]; meta: Record<string, string>; checks: unknown[] }[];
    };
    expect(json.instances[0]).toMatchObject({
      id: 'cli-1',
      tags: ['a'],
      meta: { team: 'core' },
      checks: [{ type: 'ttl', ttlMs: 5000 }],
    });
  });

  it('kv put, get and del; a missing key exits non-zero with one line', async () => {
    expect(
      (await flotilla(['kv', 'put', 'cli/k', '{"a":1}', '--json-value', '--endpoints', endpoints])).code,
    ).toBe(0);
    const got = await flotilla(['kv', 'get', 'cli/k', '--json', '--endpoints', endpoints]);
    expect(JSON.parse(got.stdout)).toMatchObject({ value: { a: 1 } });
    expect((await flotilla(['kv', 'del', 'cli/k', '--endpoints', endpoints])).code).toBe(0);
    const missing = await flotilla(['kv', 'get', 'cli/k', '--endpoints', endpoints]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('flotilla: no key cli/k\n');
  });

  it('bad input exits non-zero with the code and the field in one line, and writes nothing', async () => {
    const r = await flotilla([
      'service',
      'register',
      '--id',
      'bad',
      '--name',
      'cli',
      '--address',
      '127.0.0.1',
      '--port',
      '0',
      '--endpoints',
      endpoints,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flotilla: INVALID_ARGUMENT: port: .*\n$/);
    const bad = await flotilla(['status', '--endpoints', 'not-an-endpoint']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('leader transfer hands leadership to another node', async () => {
    const before = await cluster.leader();
    const r = await flotilla(['leader', 'transfer', '--json', '--endpoints', endpoints]);
    expect(r.code, r.stderr).toBe(0);
    const moved = JSON.parse(r.stdout) as { from: string; to: string };
    expect(moved.from).toBe(before);
    expect(await cluster.leader()).toBe(moved.to);
  });
});
