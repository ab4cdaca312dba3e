/**
 * Test fixture: N FlotillaNodes in this process on free loopback ports, each
 * with its own data directory, fast Raft timings, and a raw protocol client.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterConfig, resolveClusterConfig } from '../../src/config/cluster-config.ts';
import { FlotillaNode, type FlotillaNodeOptions } from '../../src/server/flotilla-node.ts';
import { freePort } from '../support/process-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';

export interface NodeClusterOptions {
  readonly size?: number;
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  readonly snapshotEntries?: number;
  /** PEM certificate and key files for every node (the cluster then serves wss and https). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
  /** Start only these nodes (default: all); others can join later with startNode. */
  readonly only?: readonly string[];
  readonly node?: Partial<Omit<FlotillaNodeOptions, 'config' | 'nodeId'>>;
}

export class NodeCluster {
  readonly nodes = new Map<string, FlotillaNode>();

  private constructor(
    readonly dir: string,
    /** The cluster file as it stands; `addNode` appends to it (nodes started before keep the older one). */
    public config: ClusterConfig,
    private readonly nodeOptions: NodeClusterOptions['node'],
  ) {}

  static async start(options: NodeClusterOptions = {}): Promise<NodeCluster> {
    const size = options.size ?? 3;
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-nodes-'));
    const nodes = [];
    for (let i = 1; i <= size; i++) nodes.push({ id: `n${i}`, address: `127.0.0.1:${await freePort()}` });
    const config = resolveClusterConfig(
      {
        cluster: 'test',
        dataDir: dir,
        token: 'test-token',
        nodes,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
        raft: {
          heartbeatMs: options.heartbeatMs ?? 50,
          electionMs: options.electionMs ?? 500,
          ...(options.snapshotEntries === undefined ? {} : { snapshotEntries: options.snapshotEntries }),
        },
      },
      join(dir, 'cluster.yaml'),
    );
    const cluster = new NodeCluster(dir, config, options.node);
    for (const n of nodes)
      if (options.only === undefined || options.only.includes(n.id)) await cluster.startNode(n.id);
    return cluster;
  }

  async startNode(id: string, options: { join?: boolean } = {}): Promise<FlotillaNode> {
    const node = await FlotillaNode.start({
      config: this.config,
      nodeId: id,
      ...this.nodeOptions,
      ...options,
    });
    this.nodes.set(id, node);
    return node;
  }

  /** Appends a node with a free port and `join: true` to the cluster file (not started); answers its address. */
  async addNode(id: string): Promise<string> {
    const address = `127.0.0.1:${await freePort()}`;
    this.config = { ...this.config, nodes: [...this.config.nodes, { id, address, join: true }] };
    return address;
  }

  async stopNode(id: string): Promise<void> {
    await this.nodes.get(id)?.close();
    this.nodes.delete(id);
  }

  address(id: string): string {
    return this.config.nodes.find((n) => n.id === id)!.address;
  }

  get endpoints(): string[] {
    return this.config.nodes.map((n) => n.address);
  }

  /** Waits until every running node agrees on one leader, and answers its id. */
  async leader(timeoutMs = 10_000): Promise<string> {
    let leader = '';
    await waitUntil(
      'all running nodes agree on a leader',
      () => {
        const seen = new Set([...this.nodes.values()].map((n) => n.status().leaderId));
        leader = [...seen][0] ?? '';
        return seen.size === 1 && leader !== '' && this.nodes.has(leader);
      },
      timeoutMs,
    );
    return leader;
  }

  follower(leader: string): string {
    return [...this.nodes.keys()].find((id) => id !== leader)!;
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.close()));
    this.nodes.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
