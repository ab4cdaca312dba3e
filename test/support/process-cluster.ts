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
  readonly logLevel?: string;
}

interface Running {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string;
}

export class ProcessCluster {
  private readonly running = new Map<string, Running>();

  private constructor(
    readonly dir: string,
    readonly file: string,
    readonly nodes: readonly { readonly id: string; readonly address: string }[],
  ) {}

  static async create(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-e2e-'));
    const nodes = [];
    for (let i = 1; i <= (options.size ?? 3); i++)
      nodes.push({ id: `n${i}`, address: `127.0.0.1:${await freePort()}` });
    const yaml = [
      'cluster: e2e',
      'dataDir: ./data',
      'token: e2e-token',
      'nodes:',
      ...nodes.flatMap((n) => [`  - id: ${n.id}`, `    address: ${n.address}`]),
      'raft:',
      `  heartbeatMs: ${options.heartbeatMs ?? 50}`,
      `  electionMs: ${options.electionMs ?? 500}`,
      'log:',
      `  level: ${options.logLevel ?? 'warn'}`,
      '',
    ].join('\n');
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, yaml);
    return new ProcessCluster(dir, file, nodes);
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

  start(id: string): void {
    const child = spawn(process.execPath, [FLOTILLA_BIN, 'start', '--id', id, '-c', this.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
