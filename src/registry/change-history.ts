/**
 * The bounded history of changes a watcher resumes from: a ring of the last
 * events, each stamped with the revision (log index) that made it. A revision
 * older than the ring answers "resync" — never a silent gap.
 */

import type { Deployment, Instance, KvValue, RoutingPolicy } from './types.ts';

/** Events kept by default. */
export const DEFAULT_HISTORY_SIZE = 4096;

/** One change to the registry. */
export type ChangeEvent =
  | {
      readonly revision: number;
      readonly kind: 'instance';
      readonly type: 'put';
      readonly instance: Instance;
    }
  /** `instance` is the instance as it was before removal. */
  | {
      readonly revision: number;
      readonly kind: 'instance';
      readonly type: 'delete';
      readonly instance: Instance;
    }
  | {
      readonly revision: number;
      readonly kind: 'kv';
      readonly type: 'put';
      readonly key: string;
      readonly value: KvValue;
    }
  | { readonly revision: number; readonly kind: 'kv'; readonly type: 'delete'; readonly key: string }
  | {
      readonly revision: number;
      readonly kind: 'deployment';
      readonly type: 'put';
      readonly deployment: Deployment;
    }
  | {
      readonly revision: number;
      readonly kind: 'deployment';
      readonly type: 'delete';
      readonly id: string;
      readonly service: string;
    }
  | {
      readonly revision: number;
      readonly kind: 'routing';
      readonly type: 'put';
      readonly service: string;
      readonly policy: RoutingPolicy;
    }
  | {
      readonly revision: number;
      readonly kind: 'routing';
      readonly type: 'delete';
      readonly service: string;
    };

/** A ring of the last `capacity` events, in revision order. */
export class ChangeHistory {
  private readonly ring: (ChangeEvent | undefined)[];
  /** Index in `ring` of the oldest event. */
  private start = 0;
  private length = 0;
  /** Every event with a revision > floor is held (invariant). */
  private floorRevision = 0;

  constructor(readonly capacity: number = DEFAULT_HISTORY_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('history capacity must be ≥ 1');
    this.ring = new Array<ChangeEvent | undefined>(capacity).fill(undefined);
  }

  /** The oldest revision a watcher may resume from: every later event is held. */
  get floor(): number {
    return this.floorRevision;
  }

  /** Appends an event; revisions must not decrease. Evicts the oldest when full. */
  push(event: ChangeEvent): void {
    if (this.length === this.capacity) {
      const evicted = this.ring[this.start]!;
      this.floorRevision = evicted.revision;
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    this.ring[(this.start + this.length) % this.capacity] = event;
    this.length++;
  }

  /** Events with revision > `revision`, oldest first; `undefined` when some were evicted. */
  since(revision: number): ChangeEvent[] | undefined {
    if (revision < this.floorRevision) return undefined;
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    const out: ChangeEvent[] = [];
    for (let i = lo; i < this.length; i++) out.push(this.at(i));
    return out;
  }

  /** Empties the history; only revisions ≥ `floor` may be resumed from afterwards. */
  reset(floor: number): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.length = 0;
    this.floorRevision = floor;
  }

  private at(i: number): ChangeEvent {
    return this.ring[(this.start + i) % this.capacity]!;
  }
}
