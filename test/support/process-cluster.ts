/**
 * Real node processes started through the CLI (`flotilla start --id …`), on
 * free loopback ports, with a temporary cluster file and data directory.
 * Used by the end-to-end tests and scripts/failover.ts. Every process is
 * tracked by PID and stopped by `close()`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeStatus } from '../../src/protocol/client-protocol.ts';

/** GET /v1/status of the node at `address`, or undefined when it does not answer within a second. */
export async function fetchNodeStatus(address: string): Promise<NodeStatus | undefined> {
  try {
    const res = await fetch(`http://${address}/v1/status`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as NodeStatus) : undefined;
  } catch {
    return undefined;
  }
}

export const FLOTILLA_BIN = fileURLToPath(new URL('../../bin/flotilla.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ProcessClusterOptions {
  readonly size?: number;
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  readonly snapshotEntries?: number;
  readonly logLevel?: string;
}

interface Running {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string;
}

/** A node of the cluster file; `join` marks one added after the cluster was founded. */
export interface ProcessNode {
  readonly id: string;
  readonly address: string;
  readonly join?: boolean;
}

export class ProcessCluster {
  private readonly running = new Map<string, Running>();

  private constructor(
    readonly dir: string,
    readonly file: string,
    private readonly options: ProcessClusterOptions,
    private readonly members: ProcessNode[],
  ) {}

  static async create(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-e2e-'));
    const nodes = [];
    for (let i = 1; i <= (options.size ?? 3); i++)
      nodes.push({ id: `n${i}`, address: `127.0.0.1:${await freePort()}` });
    const cluster = new ProcessCluster(dir, join(dir, 'cluster.yaml'), options, nodes);
    await cluster.writeFile();
    return cluster;
  }

  /** Every node of the cluster file. */
  get nodes(): readonly ProcessNode[] {
    return this.members;
  }

  /**
   * Appends a node on a free port to the cluster file with `join: true` (not
   * started). Running nodes read the file once, at start: they learn of it
   * only through the cluster (`member.add`).
   */
  async addNode(id: string): Promise<string> {
    const address = `127.0.0.1:${await freePort()}`;
    this.members.push({ id, address, join: true });
    await this.writeFile();
    return address;
  }

  private async writeFile(): Promise<void> {
    const o = this.options;
    const yaml = [
      'cluster: e2e',
      'dataDir: ./data',
      'token: e2e-token',
      'nodes:',
      ...this.members.flatMap((n) => [
        `  - id: ${n.id}`,
        `    address: ${n.address}`,
        ...(n.join === true ? ['    join: true'] : []),
      ]),
      'raft:',
      `  heartbeatMs: ${o.heartbeatMs ?? 50}`,
      `  electionMs: ${o.electionMs ?? 500}`,
      ...(o.snapshotEntries === undefined ? [] : [`  snapshotEntries: ${o.snapshotEntries}`]),
      'log:',
      `  level: ${o.logLevel ?? 'warn'}`,
      '',
    ].join('\n');
    await writeFile(this.file, yaml);
  }

  get endpoints(): string[] {
    return this.nodes.map((n) => n.address);
  }

  address(id: string): string {
    return this.nodes.find((n) => n.id === id)!.address;
  }

  pid(id: string): number | undefined {
    return this.running.get(id)?.process.pid;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Starts every node not running. */
  async startAll(): Promise<void> {
    for (const n of this.nodes) if (!this.running.has(n.id)) this.start(n.id);
  }

  /** Starts node `id` (`flotilla start`; with `--join` when `join`). */
  start(id: string, options: { join?: boolean } = {}): void {
    const args = [
      FLOTILLA_BIN,
      'start',
      '--id',
      id,
      '-c',
      this.file,
      ...(options.join === true ? ['--join'] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const entry: Running = {
      process: child,
      output: '',
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    const keep = (chunk: Buffer): void => {
      entry.output = (entry.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.running.set(id, entry);
  }

  /** The last output of a node (for failure messages). */
  output(id: string): string {
    return this.running.get(id)?.output ?? '';
  }

  /** `kill -9`: no chance to flush or close anything. */
  async kill(id: string): Promise<void> {
    await this.signal(id, 'SIGKILL');
  }

  /** A clean stop (SIGTERM); resolves with the exit code. */
  async stop(id: string): Promise<number | null> {
    return (await this.signal(id, 'SIGTERM')).code;
  }

  private async signal(id: string, signal: NodeJS.Signals): Promise<{ code: number | null }> {
    const entry = this.running.get(id);
    if (entry === undefined) return { code: null };
    entry.process.kill(signal);
    const result = await entry.exited;
    this.running.delete(id);
    return result;
  }

  /** GET /v1/status of one node, or undefined when it does not answer. */
  status(id: string): Promise<NodeStatus | undefined> {
    return fetchNodeStatus(this.address(id));
  }

  /** Polls until every running node reports the same leader; answers its id. */
  async leader(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = [...this.running.keys()];
      const statuses = await Promise.all(ids.map((id) => this.status(id)));
      const leaders = new Set(statuses.map((s) => s?.leaderId));
      const leader = statuses[0]?.leaderId;
      if (leaders.size === 1 && leader !== undefined && leader !== '' && this.running.has(leader))
        return leader;
      if (Date.now() > deadline) {
        throw new Error(
          `no agreed leader after ${timeoutMs} ms: ${JSON.stringify(statuses.map((s) => s?.leaderId))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.kill(id)));
    await rm(this.dir, { recursive: true, force: true });
  }
}
