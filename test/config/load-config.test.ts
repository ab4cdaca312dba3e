import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadClusterConfig } from '../../src/config/load-config.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fileWith(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-config-'));
  dirs.push(dir);
  const file = join(dir, 'cluster.yaml');
  await writeFile(file, text);
  return file;
}

const nodes = `nodes:
  - id: n1
    address: 127.0.0.1:7001
  - id: n2
    address: 127.0.0.1:7002
`;

describe('cluster files', () => {
  it('the shipped cluster.example.yaml is valid: three nodes on 127.0.0.1:7001–7003', async () => {
    const file = join(import.meta.dirname, '..', '..', 'cluster.example.yaml');
    const config = await loadClusterConfig(file);
    expect(config.nodes).toEqual([
      { id: 'n1', address: '127.0.0.1:7001' },
      { id: 'n2', address: '127.0.0.1:7002' },
      { id: 'n3', address: '127.0.0.1:7003' },
    ]);
    expect(config.raft).toEqual({
      heartbeatMs: 100,
      electionMs: 1000,
      snapshotEntries: 10_000,
      snapshotBytes: 64 * 1024 * 1024,
    });
    expect(config.dataDir).toBe(join(import.meta.dirname, '..', '..', 'data'));
  });

  it('fills every default and resolves dataDir against the file', async () => {
    const file = await fileWith(nodes);
    const config = await loadClusterConfig(file);
    expect(config.cluster).toBe('flotilla');
    expect(config.log.level).toBe('info');
    expect(config.dataDir).toBe(join(file, '..', 'data'));
    expect(config.tls).toBeUndefined();
  });

  const refusals: [string, string, string, RegExp][] = [
    ['no nodes', 'cluster: x\n', 'nodes', /at least one node/],
    ['unknown top-level key', `${nodes}colour: blue\n`, 'colour', /unknown key/],
    [
      'a bad node id',
      'nodes:\n  - id: "n 1"\n    address: 127.0.0.1:7001\n',
      'nodes[0].id',
      /letters, digits/,
    ],
    [
      'a port out of range',
      'nodes:\n  - id: n1\n    address: 127.0.0.1:70000\n',
      'nodes[0].address',
      /port from 1 to 65535/,
    ],
    [
      'an address without a port',
      'nodes:\n  - id: n1\n    address: localhost\n',
      'nodes[0].address',
      /host:port/,
    ],
    [
      'a duplicate id',
      'nodes:\n  - id: n1\n    address: a:1\n  - id: n1\n    address: a:2\n',
      'nodes[1].id',
      /duplicates nodes\[0\]\.id/,
    ],
    [
      'a duplicate address',
      'nodes:\n  - id: n1\n    address: a:1\n  - id: n2\n    address: a:1\n',
      'nodes[1].address',
      /duplicates/,
    ],
    [
      'an unknown node key',
      'nodes:\n  - id: n1\n    address: a:1\n    port: 3\n',
      'nodes[0].port',
      /unknown key/,
    ],
    [
      'a peerAddress without a port',
      'nodes:\n  - id: n1\n    address: a:1\n    peerAddress: proxy\n',
      'nodes[0].peerAddress',
      /host:port/,
    ],
    [
      'a join that is not a boolean',
      'nodes:\n  - id: n1\n    address: a:1\n    join: yes please\n',
      'nodes[0].join',
      /true or false/,
    ],
    [
      'an election shorter than 3 heartbeats',
      `${nodes}raft:\n  heartbeatMs: 100\n  electionMs: 200\n`,
      'raft.electionMs',
      /at least 3/,
    ],
    ['a fractional heartbeat', `${nodes}raft:\n  heartbeatMs: 1.5\n`, 'raft.heartbeatMs', /integer/],
    ['an unknown raft key', `${nodes}raft:\n  ticks: 3\n`, 'raft.ticks', /unknown key/],
    [
      'a snapshot byte threshold below 1 KiB',
      `${nodes}raft:\n  snapshotBytes: 10\n`,
      'raft.snapshotBytes',
      /1024/,
    ],
    ['a bad log level', `${nodes}log:\n  level: loud\n`, 'log.level', /one of/],
    ['tls without a key', `${nodes}tls:\n  cert: a.pem\n`, 'tls.key', /non-empty string/],
    ['an empty token', `${nodes}token: ""\n`, 'token', /non-empty string/],
  ];
  for (const [what, text, key, problem] of refusals) {
    it(`refuses ${what}, naming the file and ${key}`, async () => {
      const file = await fileWith(text);
      const error = await loadClusterConfig(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe(key);
      expect((error as ConfigError).message).toContain(file);
      expect((error as ConfigError).problem).toMatch(problem);
    });
  }

  it('keeps a peerAddress, the address peers dial when it differs from address', async () => {
    const file = await fileWith(
      'nodes:\n  - id: n1\n    address: a:1\n    peerAddress: proxy:9\n  - id: n2\n    address: a:2\n',
    );
    const config = await loadClusterConfig(file);
    expect(config.nodes).toEqual([
      { id: 'n1', address: 'a:1', peerAddress: 'proxy:9' },
      { id: 'n2', address: 'a:2' },
    ]);
  });

  it('keeps `join: true`, marking a node that joined after the cluster was founded', async () => {
    const file = await fileWith(
      'nodes:\n  - id: n1\n    address: a:1\n  - id: n4\n    address: a:4\n    join: true\n  - id: n5\n    address: a:5\n    join: false\n',
    );
    expect((await loadClusterConfig(file)).nodes).toEqual([
      { id: 'n1', address: 'a:1' },
      { id: 'n4', address: 'a:4', join: true },
      { id: 'n5', address: 'a:5' },
    ]);
  });

  it('refuses YAML that does not parse, with the line', async () => {
    const file = await fileWith('nodes:\n  - id: n1\n   address: [\n');
    const error = (await loadClusterConfig(file).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problem).toMatch(/not valid YAML at line \d+/);
  });

  it('refuses a file that does not exist, saying so', async () => {
    const error = (await loadClusterConfig('/nonexistent/cluster.yaml').catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(error.message).toBe('/nonexistent/cluster.yaml: cannot be read (ENOENT)');
  });
});
