/**
 * The client's connections, one per node address, opened lazily and replaced
 * when they close; and where calls go: the cached leader for writes, an open
 * node for reads, otherwise the configured endpoints in turn.
 */

import type { ClientTlsOptions } from './client-options.ts';
import { Connection } from './connection.ts';
import type { Deadline } from './deadline.ts';

/** Getting an open connection: the connection, or why there is none. */
export type Dialed = { readonly conn: Connection } | { readonly conn?: undefined; readonly reason: string };

/** Connections by address, the cached leader, and the choice of node for each attempt. */
export class ConnectionPool {
  /** At most one usable connection per address (a closed one removes itself). */
  private readonly conns = new Map<string, Connection>();
  /** Index in `endpoints` of the next one to try. */
  private rotation = 0;
  private closed = false;
  /**
   * Address of the node believed to lead: set by NOT_LEADER redirects and by
   * writes that succeed, cleared when it answers anything that says otherwise.
   */
  leader: string | undefined;

  constructor(
    readonly endpoints: readonly string[],
    private readonly connectTimeoutMs: number,
    private readonly tls?: ClientTlsOptions,
  ) {}

  /** Addresses of the connections currently open. */
  openAddresses(): string[] {
    return [...this.conns.values()].filter((c) => c.isOpen).map((c) => c.address);
  }

  /** The open connection to `address`, opening one when needed, waiting at most until `deadline`. */
  async connect(address: string, deadline: Deadline): Promise<Dialed> {
    if (this.closed) return { reason: 'client closed' };
    let conn = this.conns.get(address);
    if (conn === undefined || !conn.usable) {
      try {
        conn = new Connection(
          address,
          this.connectTimeoutMs,
          (c) => {
            if (this.conns.get(c.address) === c) this.conns.delete(c.address);
            if (this.leader === c.address) this.leader = undefined;
          },
          this.tls,
        );
      } catch (err) {
        // Only an address the socket library refuses outright (e.g. a malformed redirect) lands here.
        return { reason: `${address}: ${err instanceof Error ? err.message : String(err)}` };
      }
      this.conns.set(address, conn);
    }
    const state = await conn.waitOpen(deadline);
    if (state.ok) return { conn };
    return { reason: state.reason === 'timeout' ? `${address}: connect timed out` : state.reason };
  }

  /**
   * Where a read goes: the leader when a connection to it is open (its reads
   * need no forwarding), else any open node, else the next endpoint. Nodes in
   * `tried` are skipped while others remain.
   */
  pickRead(tried: ReadonlySet<string>): string {
    const open = this.openAddresses().filter((a) => !tried.has(a));
    if (this.leader !== undefined && open.includes(this.leader)) return this.leader;
    return open[0] ?? this.nextEndpoint(tried);
  }

  /** Where a call that needs the leader goes: the cached leader, else the next endpoint not tried. */
  pickLeader(tried: ReadonlySet<string>): string {
    if (this.leader !== undefined && !tried.has(this.leader)) return this.leader;
    return this.nextEndpoint(tried);
  }

  /** The next configured endpoint not in `tried`, round robin; any endpoint when all were tried. */
  nextEndpoint(tried: ReadonlySet<string>): string {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const k = (this.rotation + i) % n;
      const e = this.endpoints[k]!;
      if (!tried.has(e)) {
        this.rotation = (k + 1) % n;
        return e;
      }
    }
    const e = this.endpoints[this.rotation % n]!;
    this.rotation = (this.rotation + 1) % n;
    return e;
  }

  /** True once every configured endpoint is in `tried`: a round is over. */
  triedAll(tried: ReadonlySet<string>): boolean {
    return this.endpoints.every((e) => tried.has(e));
  }

  /** Closes every connection; calls they hold end `closed`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.conns.values()];
    this.conns.clear();
    await Promise.allSettled(conns.map((c) => c.close(true)));
  }
}
