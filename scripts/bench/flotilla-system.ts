/**
 * The Flotilla adapter: three `flotilla start` processes on loopback, started
 * as test/support/process-cluster.ts starts them for the end-to-end tests
 * (a temp cluster file, free ports), but here with node flags of our own
 * (`--cpu-prof`, which NODE_OPTIONS refuses), and SDK clients.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../../src/client/connection.ts';
import { Deadline } from '../../src/client/deadline.ts';
import { connect, type FlotillaClient } from '../../src/client/index.ts';
import type { NodeStatus } from '../../src/protocol/client-protocol.ts';
import { FLOTILLA_BIN, fetchNodeStatus, freePort } from '../../test/support/process-cluster.ts';
import { waitUntilAsync } from '../../test/support/wait-for.ts';
import type {
  AddedMember,
  BenchClient,
  BenchClientOptions,
  BenchCluster,
  BenchLoader,
  BenchRegistration,
  FsyncStats,
  ReadMode,
  StartOptions,
} from './system.ts';
import { adoptProcess, type MemberProcess, scrapeHistogram } from './system.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

class FlotillaBenchClient implements BenchClient {
  private readonly watches = new Set<() => void>();

  constructor(private readonly client: FlotillaClient) {}

  async put(key: string, value: string): Promise<void> {
    await this.client.kv.put(key, value);
  }

  async register(r: BenchRegistration): Promise<void> {
    await this.client.services.register(r);
  }

  async get(key: string, mode: ReadMode): Promise<void> {
    await this.client.kv.get(key, { consistency: mode });
  }

  async watchService(name: string, onChange: (seq: number) => void): Promise<() => void> {
    // From a revision read first, so the watch misses nothing written after this call resolves.
    const { revision } = await this.client.kv.get('bench/watch-origin', { consistency: 'linearizable' });
    const stream = this.client.services.watch(name, { fromRevision: revision });
    const cancel = (): void => {
      this.watches.delete(cancel);
      stream.cancel();
    };
    this.watches.add(cancel);
    void (async () => {
      try {
        for await (const event of stream) {
          if (event.kind === 'instance' && event.type === 'put') onChange(Number(event.instance.meta.seq));
        }
      } catch {
        // Ended by close() or an overflow; the workload counts what arrived.
      }
    })();
    return cancel;
  }

  async close(): Promise<void> {
    for (const cancel of [...this.watches]) cancel();
    await this.client.close();
  }
}

/** Sockets and puts in flight of {@link FlotillaCluster.connectLoader} (each socket stays under the node's 1,024 in-flight limit). */
const LOADER_SOCKETS = 4;
const LOADER_CONCURRENCY = 2_048;

/** Opens a client socket to one node, or throws. */
async function openConnection(address: string, timeoutMs: number): Promise<Connection> {
  const c = new Connection(address, timeoutMs, () => undefined);
  const open = await c.waitOpen(new Deadline(timeoutMs));
  if (!open.ok) {
    await c.close(true);
    throw new Error(`flotilla ${address}: ${open.reason}`);
  }
  return c;
}

/** One request on `c`; throws unless it was answered with a result. */
async function call(c: Connection, op: string, args: unknown, timeoutMs: number): Promise<void> {
  const outcome = await c.request(op, args, undefined, new Deadline(timeoutMs)).outcome;
  if (outcome.kind === 'error') throw new Error(`${op}: ${outcome.error.code}: ${outcome.error.message}`);
  if (outcome.kind !== 'result') throw new Error(`${op}: ${outcome.kind}`);
}

/**
 * Puts straight to the leader over the client protocol, without a client
 * session: the SDK adds a `(clientId, seq)` pair to every write for
 * exactly-once retries (about 40 bytes per log entry); these entries carry
 * just the command, as etcd's carry just the request.
 */
class FlotillaLoader implements BenchLoader {
  readonly concurrency = LOADER_CONCURRENCY;
  readonly description = `client protocol, no session, ${LOADER_SOCKETS} sockets to the leader`;
  private next = 0;

  constructor(private readonly sockets: readonly Connection[]) {}

  put(key: string, value: string): Promise<void> {
    const socket = this.sockets[this.next++ % this.sockets.length]!;
    return call(socket, 'kv.put', { key, value }, 10_000);
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close(true)));
  }
}

interface Node extends MemberProcess {
  readonly id: string;
  readonly address: string;
  /** Added by {@link FlotillaCluster.addMember}: `join: true` in the cluster file, started with `--join`. */
  readonly join?: boolean;
}

/** The cluster file: every node (a joining one with `join: true`), the timing and snapshot threshold, the log level. */
function clusterYaml(nodes: readonly Node[], options: StartOptions): string {
  return [
    'cluster: bench',
    'dataDir: ./data',
    'token: bench-token',
    'nodes:',
    ...nodes.flatMap((n) => [
      `  - id: ${n.id}`,
      `    address: ${n.address}`,
      ...(n.join === true ? ['    join: true'] : []),
    ]),
    'raft:',
    `  heartbeatMs: ${options.heartbeatMs}`,
    `  electionMs: ${options.electionMs}`,
    ...(options.snapshotEntries === undefined ? [] : [`  snapshotEntries: ${options.snapshotEntries}`]),
    'log:',
    `  level: ${options.logLevel ?? 'warn'}`,
    '',
  ].join('\n');
}

/** A running 3-node Flotilla cluster of real processes. */
export class FlotillaCluster implements BenchCluster {
  readonly system = 'flotilla';
  readonly version = VERSION;
  private closed: Promise<void> | undefined;

  private constructor(
    readonly tempDir: string,
    private readonly file: string,
    private readonly nodes: Node[],
    private readonly nodeArgs: readonly string[],
    private readonly options: StartOptions,
  ) {}

  /** Writes a cluster file in a temp dir, starts three nodes and waits for a leader. */
  static async start(options: StartOptions): Promise<FlotillaCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
    const nodes: Node[] = [];
    for (let i = 1; i <= 3; i++)
      nodes.push({ id: `n${i}`, address: `127.0.0.1:${await freePort()}`, output: '' });
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, clusterYaml(nodes, options));
    const nodeArgs =
      options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
    const self = new FlotillaCluster(dir, file, nodes, nodeArgs, options);
    try {
      for (const n of nodes) self.restart(n.id);
      await self.leader(30_000);
    } catch (err) {
      await self.close();
      throw err;
    }
    return self;
  }

  get members(): readonly string[] {
    return this.nodes.map((n) => n.id);
  }

  /** Every node's `host:port` (what `--endpoints` takes). */
  get endpoints(): readonly string[] {
    return this.nodes.map((n) => n.address);
  }

  private node(id: string): Node {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`no flotilla node ${id}`);
    return n;
  }

  /** GET /v1/status of one node, or undefined when it does not answer. */
  private status(id: string): Promise<NodeStatus | undefined> {
    return fetchNodeStatus(this.node(id).address);
  }

  async leader(timeoutMs = 20_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const running = this.nodes.filter((n) => n.process !== undefined);
      const statuses = await Promise.all(running.map((n) => this.status(n.id)));
      const leaders = new Set(statuses.map((s) => s?.leaderId));
      const leader = statuses[0]?.leaderId;
      if (
        leaders.size === 1 &&
        leader !== undefined &&
        leader !== '' &&
        this.node(leader).process !== undefined
      )
        return leader;
      if (performance.now() > deadline) {
        const tails = running.map((n) => `${n.id}: ${n.output.slice(-500)}`).join('\n');
        throw new Error(`flotilla: no agreed leader after ${timeoutMs} ms\n${tails}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  pid(member: string): number | undefined {
    return this.node(member).process?.pid;
  }

  dataDir(member: string): string {
    return join(this.tempDir, 'data', member);
  }

  async snapshotFile(member: string): Promise<{ path: string; bytes: number } | undefined> {
    const dir = join(this.dataDir(member), 'snapshots');
    const names = await readdir(dir).catch(() => [] as string[]);
    // snap-<index>-<term>.snap: the highest index is the latest.
    const index = (n: string): number => Number(/^snap-(\d+)-/.exec(n)?.[1] ?? -1);
    const latest = names.filter((n) => n.endsWith('.snap')).sort((a, b) => index(b) - index(a))[0];
    if (latest === undefined) return undefined;
    const path = join(dir, latest);
    return { path, bytes: (await stat(path)).size };
  }

  async kill(member: string): Promise<void> {
    await this.signal(member, 'SIGKILL');
  }

  private async signal(member: string, signal: NodeJS.Signals): Promise<void> {
    const n = this.node(member);
    if (n.process === undefined) return;
    n.process.kill(signal);
    await n.exited;
    n.process = undefined;
  }

  restart(member: string): void {
    const n = this.node(member);
    if (n.process !== undefined) throw new Error(`flotilla ${member} is running`);
    const child = spawn(
      process.execPath,
      [
        ...this.nodeArgs,
        FLOTILLA_BIN,
        'start',
        '--id',
        member,
        '-c',
        this.file,
        ...(n.join === true ? ['--join'] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    adoptProcess(n, child);
  }

  /**
   * `client.cluster.addMember` through the running nodes (the SDK finds the
   * leader), then the node is appended to the cluster file with `join:
   * true`: the running nodes read the file only at start and learn of it
   * through the cluster; the new node reads it when {@link restart} starts it.
   */
  async addMember(): Promise<AddedMember> {
    const id = `n${this.nodes.length + 1}`;
    const address = `127.0.0.1:${await freePort()}`;
    const client = await connect({
      endpoints: this.nodes.filter((n) => n.process !== undefined).map((n) => n.address),
    });
    let addMs: number;
    try {
      const t0 = performance.now();
      await client.cluster.addMember({ id, address }, { timeoutMs: 30_000 });
      addMs = performance.now() - t0;
    } finally {
      await client.close();
    }
    this.nodes.push({ id, address, join: true, output: '' });
    await writeFile(this.file, clusterYaml(this.nodes, this.options));
    return { id, addMs, refused: 0 };
  }

  async isVoter(member: string): Promise<boolean | undefined> {
    // The leader's view (its latest configuration entry): a node that says it leads, in the highest term.
    const running = this.nodes.filter((n) => n.process !== undefined);
    const statuses = await Promise.all(running.map((n) => this.status(n.id)));
    const leader = statuses
      .filter((s) => s?.role === 'leader')
      .sort((a, b) => (b?.term ?? 0) - (a?.term ?? 0))[0];
    return leader?.members.some((m) => m.id === member && m.voter);
  }

  fsyncStats(member: string): Promise<FsyncStats | undefined> {
    return scrapeHistogram(this.metricsUrl(member), 'flotilla_fsync_duration_seconds');
  }

  async commitIndex(member: string): Promise<number | undefined> {
    return (await this.status(member))?.commitIndex;
  }

  waitApplied(member: string, index: number, timeoutMs: number): Promise<void> {
    return waitUntilAsync(
      `flotilla ${member} to apply index ${index}`,
      async () => ((await this.status(member))?.appliedIndex ?? -1) >= index,
      timeoutMs,
    );
  }

  async appliedIndex(member: string): Promise<number | undefined> {
    return (await this.status(member))?.appliedIndex;
  }

  async raftSnapshotIndex(member: string): Promise<number | undefined> {
    const file = await this.snapshotFile(member);
    const index = file === undefined ? undefined : /snap-(\d+)-/.exec(file.path)?.[1];
    return index === undefined ? undefined : Number(index);
  }

  async readAt(member: string, key: string, timeoutMs: number): Promise<void> {
    const c = await openConnection(this.node(member).address, timeoutMs);
    try {
      await call(c, 'kv.get', { key, consistency: 'linearizable' }, timeoutMs);
    } finally {
      await c.close(true);
    }
  }

  metricsUrl(member: string): string {
    return `http://${this.node(member).address}/metrics`;
  }

  output(member: string): string {
    return this.node(member).output;
  }

  async connectLoader(): Promise<BenchLoader> {
    const address = this.node(await this.leader()).address;
    const sockets: Connection[] = [];
    try {
      for (let i = 0; i < LOADER_SOCKETS; i++) sockets.push(await openConnection(address, 5_000));
    } catch (err) {
      await Promise.all(sockets.map((s) => s.close(true)));
      throw err;
    }
    return new FlotillaLoader(sockets);
  }

  async connect(options: BenchClientOptions): Promise<BenchClient> {
    const client = await connect({
      endpoints: this.nodes.map((n) => n.address),
      maxWriteLanes: Math.max(64, options.concurrency),
    });
    return new FlotillaBenchClient(client);
  }

  /** SIGTERM to every node (a clean exit, so `--cpu-prof` writes its profile). */
  async stopGracefully(): Promise<void> {
    await Promise.all(this.members.map((id) => this.signal(id, 'SIGTERM')));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all(this.members.map((id) => this.kill(id)));
      await rm(this.tempDir, { recursive: true, force: true });
    })();
    return this.closed;
  }
}
