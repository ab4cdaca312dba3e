/**
 * The fault proxies of a cluster: one per directed peer link `from → to`
 * (what `from` dials to reach `to`), and the partitions built from them.
 * Clients are not proxied: like Jepsen's clients, they reach every node
 * directly, so a node cut off from its peers still answers them.
 */

import { type FaultProxy, type LinkMode, PASS } from './fault-proxy.ts';

/** Link modes by `from→to`, for reports. */
export type LinkView = Record<string, LinkMode['kind'] | `delay ${number}`>;

export class ChaosNetwork {
  constructor(
    readonly ids: readonly string[],
    /** `from→to` to the proxy `from` dials to reach `to`. */
    private readonly proxies: ReadonlyMap<string, FaultProxy>,
  ) {}

  link(from: string, to: string): FaultProxy {
    const p = this.proxies.get(`${from}→${to}`);
    if (p === undefined) throw new Error(`no link ${from}→${to}`);
    return p;
  }

  /** Sets every directed link from a node of `from` to a node of `to`. */
  set(from: readonly string[], to: readonly string[], mode: LinkMode): void {
    for (const a of from) for (const b of to) if (a !== b) this.link(a, b).setMode(mode);
  }

  /** No traffic either way between the groups; traffic inside each group is untouched. */
  partition(groups: readonly (readonly string[])[], mode: LinkMode): void {
    for (const [i, g] of groups.entries())
      for (const [j, h] of groups.entries()) if (i !== j) this.set(g, h, mode);
  }

  /** Every link back to `pass`. */
  heal(): void {
    this.set(this.ids, this.ids, PASS);
  }

  /** True when every link passes. */
  get healed(): boolean {
    return [...this.proxies.values()].every((p) => p.mode.kind === 'pass');
  }

  view(): LinkView {
    const out: LinkView = {};
    for (const [name, p] of this.proxies) {
      out[name] = p.mode.kind === 'delay' ? `delay ${p.mode.ms}` : p.mode.kind;
    }
    return out;
  }

  /** Bytes the proxies forwarded and dropped, and connections they reset, summed. */
  totals(): { forwarded: number; dropped: number; resets: number } {
    let forwarded = 0;
    let dropped = 0;
    let resets = 0;
    for (const p of this.proxies.values()) {
      forwarded += p.stats.bytesForwarded;
      dropped += p.stats.bytesDropped;
      resets += p.stats.resets;
    }
    return { forwarded, dropped, resets };
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
