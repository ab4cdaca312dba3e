import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../raft/core/types.ts';
import { RaftServer, type StateMachine } from '../../../raft/runtime/raft-server.ts';
import { MemoryStorage } from '../../../raft/storage/memory.ts';
import type { NodeStorage } from '../../../raft/storage/types.ts';
import { WalStorage } from '../../../raft/storage/wal-storage.ts';
import { MemoryNetwork } from '../../../raft/transport/memory-transport.ts';
import type { Transport } from '../../../raft/transport/transport.ts';
import { WsTransport } from '../../../raft/transport/ws-transport.ts';
import { waitUntil } from '../../support/wait-for.ts';

/** A state machine that records every applied command, so replicas can be compared exactly. */
export class ListFsm implements StateMachine<number> {
  items: string[] = [];
  apply(data: Uint8Array): number {
    this.items.push(new TextDecoder().decode(data));
    return this.items.length;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.items));
  }
  restore(data: Uint8Array): void {
    this.items = JSON.parse(new TextDecoder().decode(data)) as string[];
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes (then throws with `what`). */
export function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  return waitUntil(what, condition, timeoutMs);
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface RuntimeClusterOptions {
  readonly snapshotEntries?: number;
  /** 'ws': real WebSocket links on 127.0.0.1, one HTTP server per node kept across restarts. */
  readonly transport?: 'memory' | 'ws';
  readonly maxFrameBytes?: number;
  /** Election timeout in 20 ms ticks (default 10: 200–400 ms). */
  readonly electionTicks?: number;
}

export const TOKEN = 'test-cluster-token';

/** Three (or more) RaftServers over a MemoryNetwork or real sockets, on memory or level storage. */
export class RuntimeCluster {
  readonly network = new MemoryNetwork();
  private readonly http = new Map<NodeId, Server>();
  readonly servers = new Map<NodeId, RaftServer<number>>();
  readonly fsms = new Map<NodeId, ListFsm>();
  private readonly dirs = new Map<NodeId, string>();
  private readonly memory = new Map<NodeId, MemoryStorage>();

  constructor(
    readonly ids: readonly NodeId[],
    private readonly durable: 'memory' | 'disk',
    private readonly extra: RuntimeClusterOptions = {},
  ) {}

  async startAll(): Promise<void> {
    if (this.extra.transport === 'ws' && this.http.size === 0) {
      for (const id of this.ids) {
        const server = createServer();
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        this.http.set(id, server);
      }
    }
    for (const id of this.ids) await this.start(id);
  }

  private transportFor(id: NodeId): Transport {
    if (this.extra.transport !== 'ws') {
      const transport = this.network.transport(id);
      for (const peer of this.ids) if (peer !== id) transport.addPeer(peer, '');
      return transport;
    }
    const peers: Record<NodeId, string> = {};
    for (const peer of this.ids) {
      if (peer !== id) peers[peer] = `127.0.0.1:${(this.http.get(peer)!.address() as AddressInfo).port}`;
    }
    return new WsTransport({
      id,
      token: TOKEN,
      peers,
      server: this.http.get(id)!,
      backoff: { baseMs: 10, maxMs: 200 },
      // The HTTP server outlives a stopped node, so a dial to it hangs until this timeout.
      connectTimeoutMs: 300,
      ...(this.extra.maxFrameBytes === undefined ? {} : { maxFrameBytes: this.extra.maxFrameBytes }),
    });
  }

  /** The port a node's peers (and attackers) connect to. */
  peerPort(id: NodeId): number {
    return (this.http.get(id)!.address() as AddressInfo).port;
  }

  private async storageFor(id: NodeId): Promise<NodeStorage> {
    if (this.durable === 'memory') {
      let storage = this.memory.get(id);
      if (storage === undefined) {
        storage = new MemoryStorage();
        this.memory.set(id, storage);
      }
      return storage;
    }
    let dir = this.dirs.get(id);
    if (dir === undefined) {
      dir = await mkdtemp(join(tmpdir(), `flotilla-runtime-${id}-`));
      this.dirs.set(id, dir);
    }
    return WalStorage.open(dir);
  }

  async start(id: NodeId): Promise<RaftServer<number>> {
    const transport = this.transportFor(id);
    const fsm = new ListFsm();
    const server = await RaftServer.start<number>({
      raft: { id, bootstrap: this.ids, electionTicks: this.extra.electionTicks ?? 10, heartbeatTicks: 1 },
      storage: await this.storageFor(id),
      transport,
      fsm,
      // 200–400 ms election timeouts: short enough for quick tests, long enough that a loaded
      // machine (a GC pause, a busy event loop) does not depose leaders mid-test.
      tickMs: 20,
      ...(this.extra.snapshotEntries === undefined ? {} : { snapshotEntries: this.extra.snapshotEntries }),
    });
    this.servers.set(id, server);
    this.fsms.set(id, fsm);
    return server;
  }

  async stop(id: NodeId): Promise<void> {
    await this.servers.get(id)?.close();
    this.servers.delete(id);
  }

  server(id: NodeId): RaftServer<number> {
    const s = this.servers.get(id);
    if (s === undefined) throw new Error(`${id} is not running`);
    return s;
  }

  /** Waits until the running servers agree on one leader, and returns it. */
  async leader(): Promise<RaftServer<number>> {
    let found: RaftServer<number> | undefined;
    await waitFor('a leader', () => {
      const running = [...this.servers.values()];
      const leaders = running.filter((s) => s.status().role === 'leader');
      const only = leaders[0];
      if (leaders.length !== 1 || only === undefined) return false;
      const followers = running.filter((s) => s.status().leader === only.id).length;
      found = followers > running.length / 2 ? only : undefined;
      return found !== undefined;
    });
    return found!;
  }

  async close(): Promise<void> {
    for (const id of [...this.servers.keys()]) await this.stop(id);
    for (const server of this.http.values()) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const dir of this.dirs.values()) await rm(dir, { recursive: true, force: true });
  }
}
