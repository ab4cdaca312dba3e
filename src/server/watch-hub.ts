/**
 * Fans registry changes out to the watches of every client connection.
 *
 * Each watch remembers `last`, the revision it has been brought up to (every
 * matching change ≤ last was delivered or predates the watch). After each
 * batch of applied entries the hub reads the new changes from the registry's
 * history once and gives each watch those above its `last`, so a change is
 * delivered at most once, in revision order, with no gap. If the history no
 * longer holds what a watch needs (a snapshot replaced the state), the watch
 * gets a full resync of what its filter matches instead — never a silent gap.
 */

import type { ResyncState, WatchFilter, WatchFrame } from '../protocol/client-protocol.ts';
import type { ChangeEvent } from '../registry/change-history.ts';
import type { Registry } from '../registry/registry.ts';
import { matches, resyncState } from './watch-filter.ts';

/** One open watch, owned by a client connection. */
export interface Watch {
  readonly id: number;
  readonly filter: WatchFilter;
  /** Every matching change with revision ≤ last has been sent (or predates the watch). */
  last: number;
  /** Sends a frame; false when the connection cannot take more (the hub then ends the watch). */
  send(frame: WatchFrame): boolean;
  /** Called once the hub has dropped this watch because `send` refused. */
  overflowed(): void;
}

export class WatchHub {
  private readonly watches = new Set<Watch>();
  /** Revision up to which changes were published. */
  private published: number;

  constructor(private readonly registry: Registry) {
    this.published = registry.revision;
  }

  get size(): number {
    return this.watches.size;
  }

  /**
   * Starts a watch from `fromRevision` (undefined: from now) and sends what
   * the history holds after it. Answers the revision the watch starts at.
   */
  open(watch: Watch, fromRevision: number | undefined): number {
    const current = this.registry.revision;
    this.watches.add(watch);
    if (fromRevision === undefined) {
      watch.last = current;
    } else if (fromRevision >= current) {
      // This node lags the revision the client saw elsewhere: changes up to it are skipped as they arrive.
      watch.last = fromRevision;
    } else {
      watch.last = fromRevision;
      const changes = this.registry.changesSince(fromRevision);
      if (changes.resync) this.resync(watch, current);
      else this.deliver(watch, changes.events, current);
    }
    return current;
  }

  close(watch: Watch): boolean {
    return this.watches.delete(watch);
  }

  /** Publishes what was applied since the last call. Run after every applied batch and after a snapshot restore. */
  publish(): void {
    const current = this.registry.revision;
    if (current <= this.published) return;
    const changes = this.registry.changesSince(this.published);
    this.published = current;
    for (const watch of [...this.watches]) {
      // A watch resumed from a revision this node has not reached yet waits for it.
      if (watch.last >= current) continue;
      if (changes.resync) this.resync(watch, current);
      else this.deliver(watch, changes.events, current);
    }
  }

  /** Ends every watch (the node is closing). */
  closeAll(): void {
    this.watches.clear();
  }

  private deliver(watch: Watch, events: readonly ChangeEvent[], current: number): void {
    const due = events.filter((e) => e.revision > watch.last && matches(watch.filter, e));
    if (current > watch.last) watch.last = current;
    if (due.length === 0) return;
    this.push(watch, { watch: watch.id, type: 'events', revision: current, events: due });
  }

  private resync(watch: Watch, current: number): void {
    const state: ResyncState = resyncState(this.registry, watch.filter);
    watch.last = current;
    this.push(watch, { watch: watch.id, type: 'resync', revision: current, state });
  }

  private push(watch: Watch, frame: WatchFrame): void {
    if (watch.send(frame)) return;
    this.watches.delete(watch);
    watch.overflowed();
  }
}
