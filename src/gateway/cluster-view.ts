/**
 * The gateway's view of the cluster: one {@link ServiceFeed} per routed
 * service keeps the routing table current, and a probe — a linearizable read
 * every `probeIntervalMs` — tells whether the cluster answers. A linearizable
 * read needs a leader and a quorum, so a lone node cut off from the others
 * counts as unreachable too: its state might be stale.
 *
 * When the cluster is unreachable the table stays as it was and the gateway
 * keeps routing on it ("degraded"); the feeds' watches keep retrying on
 * their own and catch up from their last revision when the cluster returns.
 */

import { backoffDelay, pause } from '../client/backoff.ts';
import type { Requester } from '../client/requester.ts';
import { ServiceFeed } from '../client/route.ts';
import type { RoutingTable } from '../router/routing-table.ts';

export interface ClusterViewOptions {
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly random: () => number;
  readonly log: (line: string) => void;
}

/** Reachability as last probed. */
export interface ClusterReachability {
  readonly reachable: boolean;
  /** When the cluster last answered (a probe, a load or a watch event); null if never. */
  readonly lastContact: number | null;
  readonly lastError: string | null;
}

export class ClusterView {
  private readonly feeds = new Map<string, ServiceFeed>();
  private readonly stopping = new AbortController();
  private reachable = false;
  private probedOnce = false;
  private lastProbeOk = 0;
  private lastError: string | null = null;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly c: Requester,
    table: RoutingTable,
    private readonly services: readonly string[],
    private readonly o: ClusterViewOptions,
  ) {
    for (const s of services)
      this.feeds.set(
        s,
        new ServiceFeed(c, table, s, {
          retry: { baseMs: 50, maxMs: 1000 },
          random: o.random,
          retryFirstLoad: true,
        }),
      );
  }

  start(): void {
    for (const f of this.feeds.values()) f.start();
    this.loop = this.probeLoop();
  }

  /** Resolves once every routed service has been loaded once. */
  async ready(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((f) => f.ready));
  }

  loaded(service: string): boolean {
    return this.feeds.get(service)?.isLoaded === true;
  }

  reachability(): ClusterReachability {
    const contacts = [this.lastProbeOk, ...[...this.feeds.values()].map((f) => f.lastContact)];
    const last = Math.max(...contacts);
    return { reachable: this.reachable, lastContact: last === 0 ? null : last, lastError: this.lastError };
  }

  async close(): Promise<void> {
    this.stopping.abort();
    for (const f of this.feeds.values()) f.close();
    await this.loop;
  }

  private async probeLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const ok = await this.probe();
      failures = ok ? 0 : failures + 1;
      // While unreachable, probe on the backoff schedule (never slower than the interval).
      const wait = ok
        ? this.o.probeIntervalMs
        : Math.min(
            this.o.probeIntervalMs,
            backoffDelay(failures, { baseMs: 50, maxMs: this.o.probeIntervalMs }, this.o.random),
          );
      await pause(wait, this.stopping.signal);
    }
  }

  private async probe(): Promise<boolean> {
    try {
      await this.c.request(
        'routing.get',
        { service: this.services[0]!, consistency: 'linearizable' },
        { timeoutMs: this.o.probeTimeoutMs },
      );
      this.lastProbeOk = Date.now();
      this.lastError = null;
      this.transition(true);
      return true;
    } catch (err) {
      if (this.stopping.signal.aborted) return false;
      this.lastError = err instanceof Error ? err.message : String(err);
      this.transition(false);
      return false;
    }
  }

  private transition(reachable: boolean): void {
    if (this.probedOnce && reachable === this.reachable) return;
    this.probedOnce = true;
    this.reachable = reachable;
    const loaded = [...this.feeds.values()].every((f) => f.isLoaded);
    this.o.log(
      reachable
        ? 'cluster reachable: routing table follows the registry'
        : `cluster unreachable (${this.lastError}): ${loaded ? 'routing on the last table' : 'no routing table yet, answering 503'}`,
    );
  }
}
