import type { NodeId } from './types.ts';

/** A ReadIndex request waiting for a quorum of heartbeat acknowledgements (§6.4). */
export interface PendingRead {
  readonly ctx: string;
  /** The commit index when the request arrived: the read may be served once this is applied. */
  readonly index: number;
  /** Who asked: this node, or a follower that forwarded its client's read. */
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

/**
 * Leader-side queue of ReadIndex requests. A heartbeat round carries the
 * newest request's ctx; when a quorum echoes it, that request and every
 * older one are confirmed, because the round started after all of them.
 */
export class ReadOnlyQueue {
  private queue: PendingRead[] = [];
  private readonly byCtx = new Map<string, PendingRead>();

  /** The ctx a heartbeat should carry ('' when nothing waits). */
  latestCtx(): string {
    return this.queue.at(-1)?.ctx ?? '';
  }

  add(ctx: string, index: number, from: NodeId, self: NodeId): void {
    if (this.byCtx.has(ctx)) return; // a retransmitted request: the first one stands
    const read: PendingRead = { ctx, index, from, acks: new Set([self]) };
    this.queue.push(read);
    this.byCtx.set(ctx, read);
  }

  /** Records that `from` echoed `ctx`; returns how many distinct nodes have. */
  ack(ctx: string, from: NodeId): number {
    const read = this.byCtx.get(ctx);
    if (read === undefined) return 0;
    read.acks.add(from);
    return read.acks.size;
  }

  acks(ctx: string): ReadonlySet<NodeId> {
    return this.byCtx.get(ctx)?.acks ?? new Set();
  }

  /** Removes and returns `ctx` and everything queued before it. */
  releaseThrough(ctx: string): PendingRead[] {
    const at = this.queue.findIndex((r) => r.ctx === ctx);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1);
    for (const r of released) this.byCtx.delete(r.ctx);
    return released;
  }

  /** Empties the queue (leadership lost): the caller reports each as dropped. */
  drain(): PendingRead[] {
    const all = this.queue;
    this.queue = [];
    this.byCtx.clear();
    return all;
  }
}
