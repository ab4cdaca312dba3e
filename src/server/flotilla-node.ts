/**
 * One Flotilla node: the durable Raft server (LevelDB storage, ws peer
 * transport) driving the registry, plus the client WebSocket API and the
 * HTTP routes, all on the one `host:port` the cluster file gives the node.
 */

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import {
  DEFAULT_PATH,
  type Logger,
  noopLogger,
  openNodeStorage,
  RaftServer,
  WsTransport,
} from '../../raft/index.ts';
import type { ClusterConfig } from '../config/cluster-config.ts';
import { DeployController } from '../deploy/deploy-controller.ts';
import { HealthWorker } from '../health/health-worker.ts';
import type { NodeStatus } from '../protocol/client-protocol.ts';
import { CLIENT_PATH } from '../protocol/client-protocol.ts';
import type { ApplyResult } from '../registry/commands.ts';
import { FlotillaError } from '../registry/errors.ts';
import { Registry } from '../registry/registry.ts';
import { ClientApi, pathOf } from './client-api.ts';
import { attachHttpRoutes } from './http-routes.ts';
import { InternalClient } from './internal-client.ts';
import { MemberBook } from './member-book.ts';
import { Membership } from './membership.ts';
import { NodeMetrics } from './metrics.ts';
import { type ClientLimits, DEFAULT_CLIENT_LIMITS, type NodeContext } from './node-context.ts';
import { nodeStatus } from './node-status.ts';
import { timedStorage } from './timed-storage.ts';
import { WatchHub } from './watch-hub.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface FlotillaNodeOptions {
  readonly config: ClusterConfig;
  /** Which of the file's nodes this process is. */
  readonly nodeId: string;
  /**
   * Join a running cluster instead of founding one: start with no
   * configuration, never campaign, and wait for the leader (which must have
   * been told with `member.add`) to send the snapshot and the log. Implied
   * by `join: true` on the node in the file; ignored once the node has data.
   */
  readonly join?: boolean;
  /** A pino logger (or anything with info/warn/error(obj, msg)). */
  readonly logger?: Logger;
  readonly limits?: Partial<ClientLimits>;
  readonly requestTimeoutMs?: number;
  /** The deployment controller's timings (src/deploy). */
  readonly deploy?: {
    /** Time between passes (default 500 ms; a pass also follows every applied batch). */
    readonly intervalMs?: number;
    /** The error-rate window (default 10 s). */
    readonly windowMs?: number;
    /** Drain timeout of instances drained without one (default 30 s). */
    readonly drainTimeoutMs?: number;
  };
}

export interface FlotillaNodeEvents {
  /** Storage or the registry failed; the node has stopped itself. The process should exit. */
  fatal: [error: unknown];
  leaderChanged: [leaderId: string, term: number];
}

/** Splits `host:port` (IPv6 hosts in brackets or bare). */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(at + 1)) };
}

export class FlotillaNode extends EventEmitter<FlotillaNodeEvents> {
  readonly id: string;
  readonly address: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly ctx: NodeContext,
    private readonly server: http.Server,
    private readonly api: ClientApi,
    private readonly hub: WatchHub,
    private readonly health: HealthWorker,
    private readonly stopHelpers: () => Promise<void>,
  ) {
    super();
    this.id = ctx.id;
    this.address = ctx.addressOf(ctx.id)!;
  }

  /**
   * Opens the node's data (refusing corrupt data with StorageCorruptionError),
   * joins the cluster and listens. Rejects INVALID_ARGUMENT when `nodeId` is
   * not in the file, UNAVAILABLE when the address cannot be listened on.
   */
  static async start(options: FlotillaNodeOptions): Promise<FlotillaNode> {
    const { config, nodeId } = options;
    const me = config.nodes.find((n) => n.id === nodeId);
    if (me === undefined) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `node id ${nodeId} is not in the cluster file (nodes: ${config.nodes.map((n) => n.id).join(', ')}); ` +
          'add it to `nodes` with its address, and `join: true` when it joins a running cluster',
        { details: { field: 'nodeId' } },
      );
    }
    // The founders all write the same first configuration; anyone else learns it from the leader.
    const joining = options.join === true || me.join === true;
    const founders = config.nodes.filter((n) => n.join !== true).map((n) => n.id);
    const logger = options.logger ?? noopLogger;
    const tls =
      config.tls === undefined
        ? undefined
        : {
            cert: readFileSync(config.tls.cert),
            key: readFileSync(config.tls.key),
            ...(config.tls.ca === undefined ? {} : { ca: readFileSync(config.tls.ca) }),
          };
    const server = tls === undefined ? http.createServer() : https.createServer(tls);
    const registry = new Registry();
    const storage = await openNodeStorage(join(config.dataDir, nodeId), { logger });
    let metrics: NodeMetrics | undefined;
    const transport = new WsTransport({
      id: nodeId,
      token: config.token,
      peers: Object.fromEntries(
        config.nodes.filter((n) => n.id !== nodeId).map((n) => [n.id, n.peerAddress ?? n.address]),
      ),
      server,
      ...(tls === undefined ? {} : { tls }),
      logger,
    });
    const book = new MemberBook(registry, config.nodes);
    const raft = await RaftServer.start<ApplyResult>({
      raft: {
        id: nodeId,
        ...(joining ? {} : { bootstrap: founders }),
        heartbeatTicks: 1,
        electionTicks: Math.max(2, Math.round(config.raft.electionMs / config.raft.heartbeatMs)),
      },
      storage: timedStorage(storage, (s) => metrics?.fsyncSeconds(s)),
      transport,
      fsm: registry,
      tickMs: config.raft.heartbeatMs,
      snapshotEntries: config.raft.snapshotEntries,
      snapshotBytes: config.raft.snapshotBytes,
      peerAddress: (id) => book.peerAddress(id),
      logger,
    });
    if (raft.status().conf.voters.length === 0) {
      logger.info(
        { nodeId },
        'joining: no configuration yet; waiting for the leader (add this node with `flotilla member add`)',
      );
    }
    const hub = new WatchHub(registry);
    metrics = new NodeMetrics(
      nodeId,
      () => raft.status(),
      () => hub.size,
    );
    // Nodes serve wss when TLS is configured; the node's own client trusts the cluster's CA (or its own certificate).
    const internal = new InternalClient(
      config.nodes.map((n) => n.address),
      tls === undefined ? undefined : { ca: tls.ca ?? tls.cert },
    );
    const health = new HealthWorker({
      nodeId,
      registry,
      liveNodes: () => [
        nodeId,
        ...[...transport.stats().peers].filter(([, p]) => p.connected).map(([id]) => id),
      ],
      isLeader: () => raft.status().role === 'leader',
      writer: internal,
      logger,
    });
    const deploy = new DeployController({
      registry,
      isLeader: () => raft.status().role === 'leader',
      writer: internal,
      logger,
      ...options.deploy,
    });
    const ctx: NodeContext = {
      id: nodeId,
      raft,
      registry,
      addressOf: (id) => book.clientAddress(id),
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      limits: { ...DEFAULT_CLIENT_LIMITS, ...options.limits },
      metrics,
      logger,
      health,
      traffic: deploy,
      membership: new Membership(book),
    };
    const api = new ClientApi(server, ctx, hub);
    attachHttpRoutes(server, ctx, metrics);
    server.on('upgrade', (req, socket) => {
      const path = pathOf(req);
      if (path === DEFAULT_PATH || path === CLIENT_PATH) return;
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const node = new FlotillaNode(ctx, server, api, hub, health, () => {
      deploy.close();
      health.close();
      return internal.close();
    });
    let bookSeen = registry.memberBookVersion;
    raft.on('applied', () => {
      hub.publish();
      deploy.kick();
      // A member's address arrived (or a snapshot brought the book): dial it.
      if (registry.memberBookVersion !== bookSeen) {
        bookSeen = registry.memberBookVersion;
        raft.refreshPeers();
      }
    });
    raft.on('leaderChanged', (leader, term) => {
      metrics.leaderChanged();
      node.emit('leaderChanged', leader, term);
    });
    raft.on('fatal', (error) => {
      node.emit('fatal', error);
      node.close().catch(() => undefined);
    });
    const { host, port } = splitAddress(me.address);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await node.close().catch(() => undefined);
      throw new FlotillaError(
        'UNAVAILABLE',
        `node ${nodeId} cannot listen on ${me.address}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    server.on('error', (err) => logger.error({ err }, 'server error'));
    logger.info({ nodeId, address: me.address }, 'node listening');
    return node;
  }

  status(): NodeStatus {
    return nodeStatus(this.ctx);
  }

  /** Ids of the instances whose checks this node runs now. */
  checksOwned(): string[] {
    return this.health.owned;
  }

  /** Ends watches, stops Raft (finishing the write in progress), closes storage and the listener. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.stopHelpers().catch(() => undefined);
    this.api.close();
    this.hub.closeAll();
    try {
      await this.ctx.raft.close();
    } finally {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
