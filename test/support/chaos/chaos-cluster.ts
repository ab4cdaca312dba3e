/**
 * A cluster of real node processes for the chaos suite: N nodes started
 * through the CLI, a fault proxy on every directed peer link, one cluster
 * file per node (in node A's file every other node B has `peerAddress` = the
 * proxy A→B), one shared data directory, one log file per node. Every
 * process is tracked by PID; `close()` kills them all and closes the proxies.
 */

import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeStatus } from '../../../src/protocol/client-protocol.ts';
import { FaultProxy } from './fault-proxy.ts';
import { ChaosNetwork } from './network.ts';
import { type Exit, NodeProcess } from './node-process.ts';

export interface ChaosClusterOptions {
  readonly nodes: number;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  /** Small, so snapshots and snapshot installs happen under faults too. */
  readonly snapshotEntries: number;
  readonly logLevel: string;
}

export const FAST_TIMINGS = { heartbeatMs: 50, electionMs: 500, snapshotEntries: 400 } as const;

interface NodeSpec {
  readonly id: string;
  readonly address: string;
  readonly configFile: string;
  readonly logFile: string;
}

export class ChaosCluster {
  readonly #procs = new Map<string, NodeProcess>();
  /** Exits nobody asked for, noticed when the node was started again or at the end. */
  readonly #crashes: string[] = [];

  private constructor(
    /** Holds the cluster files, `data/` and `logs/`. */
    readonly dir: string,
    readonly options: ChaosClusterOptions,
    private readonly specs: readonly NodeSpec[],
    readonly network: ChaosNetwork,
  ) {}

  /** Writes the files and opens the proxies; starts no process. */
  static async create(options: ChaosClusterOptions, parent = tmpdir()): Promise<ChaosCluster> {
    const dir = await mkdtemp(join(parent, 'flotilla-chaos-'));
    await mkdir(join(dir, 'logs'));
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const addresses = new Map<string, string>();
    for (const id of ids) addresses.set(id, `127.0.0.1:${await reservablePort()}`);
    const proxies = new Map<string, FaultProxy>();
    try {
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue;
          const [host, port] = addresses.get(to)!.split(':') as [string, string];
          proxies.set(`${from}→${to}`, await FaultProxy.start({ host, port: Number(port) }));
        }
      }
    } catch (error) {
      await Promise.all([...proxies.values()].map((p) => p.close()));
      throw error;
    }
    const specs: NodeSpec[] = [];
    for (const id of ids) {
      const configFile = join(dir, `${id}.yaml`);
      await writeFile(configFile, clusterYaml(id, ids, addresses, proxies, dir, options));
      specs.push({ id, address: addresses.get(id)!, configFile, logFile: join(dir, 'logs', `${id}.log`) });
    }
    return new ChaosCluster(dir, options, specs, new ChaosNetwork(ids, proxies));
  }

  get ids(): string[] {
    return this.specs.map((s) => s.id);
  }

  get endpoints(): string[] {
    return this.specs.map((s) => s.address);
  }

  address(id: string): string {
    return this.spec(id).address;
  }

  logFile(id: string): string {
    return this.spec(id).logFile;
  }

  /** Running (possibly paused) nodes. */
  running(): string[] {
    return this.ids.filter((id) => this.#procs.get(id)?.running === true);
  }

  /** Running and not paused: the nodes that can answer. */
  responsive(): string[] {
    return this.running().filter((id) => !this.#procs.get(id)!.paused);
  }

  isPaused(id: string): boolean {
    return this.#procs.get(id)?.paused === true;
  }

  pid(id: string): number | undefined {
    const p = this.#procs.get(id);
    return p?.running === true ? p.pid : undefined;
  }

  /** Starts the node unless it is running. */
  start(id: string): void {
    const previous = this.#procs.get(id);
    if (previous?.running === true) return;
    this.#noteCrash(previous);
    const s = this.spec(id);
    this.#procs.set(id, NodeProcess.spawn(id, s.configFile, s.logFile));
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  /** `kill -9`; resolves once the process is gone. */
  async kill(id: string): Promise<Exit | undefined> {
    return this.#procs.get(id)?.kill();
  }

  /** SIGTERM (resuming it first if paused); resolves with its exit. */
  async stop(id: string): Promise<Exit | undefined> {
    return this.#procs.get(id)?.stop();
  }

  pause(id: string): void {
    this.#procs.get(id)?.pause();
  }

  resume(id: string): void {
    this.#procs.get(id)?.resume();
  }

  /** Every fault undone: links pass, paused nodes run, stopped nodes start again. */
  healAll(): void {
    this.network.heal();
    for (const id of this.ids) {
      this.resume(id);
      this.start(id);
    }
  }

  /**
   * Every exit the harness did not cause (by signal), so far: a node that
   * crashes mid-run is restarted by the next heal, and must not go unseen.
   */
  crashes(): string[] {
    for (const p of this.#procs.values()) this.#noteCrash(p);
    return [...this.#crashes];
  }

  #noteCrash(p: NodeProcess | undefined): void {
    const exit = p?.crashed;
    if (p === undefined || exit === undefined) return;
    const line = `crash: ${p.id} (pid ${p.pid}) exited by itself: code ${exit.code}, signal ${exit.signal} (see logs/${p.id}.log)`;
    if (!this.#crashes.includes(line)) this.#crashes.push(line);
  }

  /** GET /v1/status of one node; undefined when it does not answer in time. */
  async status(id: string, timeoutMs = 500): Promise<NodeStatus | undefined> {
    try {
      const res = await fetch(`http://${this.address(id)}/v1/status`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      return res.ok ? ((await res.json()) as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The statuses of the responsive nodes that answered. */
  async statuses(): Promise<NodeStatus[]> {
    const all = await Promise.all(this.responsive().map((id) => this.status(id)));
    return all.filter((s): s is NodeStatus => s !== undefined);
  }

  /** The node that says it leads in the highest term, if any answers so now. */
  async currentLeader(): Promise<string | undefined> {
    const leaders = (await this.statuses()).filter((s) => s.role === 'leader');
    leaders.sort((a, b) => b.term - a.term);
    return leaders[0]?.nodeId;
  }

  /** Kills every process it started (by PID), closes the proxies; removes the directory unless `keep`. */
  async close(keep = false): Promise<void> {
    await Promise.all([...this.#procs.values()].map((p) => p.kill()));
    await this.network.close();
    if (!keep) await rm(this.dir, { recursive: true, force: true });
  }

  private spec(id: string): NodeSpec {
    const s = this.specs.find((n) => n.id === id);
    if (s === undefined) throw new Error(`no node ${id}`);
    return s;
  }
}

function clusterYaml(
  self: string,
  ids: readonly string[],
  addresses: ReadonlyMap<string, string>,
  proxies: ReadonlyMap<string, FaultProxy>,
  dir: string,
  o: ChaosClusterOptions,
): string {
  const nodes = ids.flatMap((id) => [
    `  - id: ${id}`,
    `    address: ${addresses.get(id)}`,
    ...(id === self ? [] : [`    peerAddress: ${proxies.get(`${self}→${id}`)!.address}`]),
  ]);
  return [
    `# ${self}'s view: every peer is dialed through the fault proxy ${self}→peer.`,
    'cluster: chaos',
    `dataDir: ${join(dir, 'data')}`,
    'token: chaos-token',
    'nodes:',
    ...nodes,
    'raft:',
    `  heartbeatMs: ${o.heartbeatMs}`,
    `  electionMs: ${o.electionMs}`,
    `  snapshotEntries: ${o.snapshotEntries}`,
    'log:',
    `  level: ${o.logLevel}`,
    '',
  ].join('\n');
}

/**
 * A port free now, drawn below Linux's ephemeral range (32768–60999): a node
 * restarted after kill -9 gets its port back, which an outgoing connection
 * could otherwise have taken as its source port meanwhile.
 */
async function reservablePort(): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 32_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
