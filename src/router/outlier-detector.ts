/**
 * Passive outlier detection after Envoy's `consecutive_5xx` detector: an
 * instance that fails `consecutiveFailures` requests in a row (5xx answers,
 * refused or reset connections, timeouts) is ejected — taken out of the
 * rotation — for `baseEjectionMs × k`, where k counts its ejections, capped
 * at `maxEjectionMs`. So an instance that keeps failing stays out longer
 * each time, while one that recovers is back after the base time. k decays
 * by one for each `baseEjectionMs` the instance spends back in the rotation
 * (Envoy decrements it on every healthy interval).
 *
 * At most `maxEjectionPercent` of the service's instances are ejected at
 * once, but at least one may always be (Envoy does the same, so a service of
 * three instances is not left without outlier detection by a 10 % cap).
 * State changes happen lazily on the caller's clock: there are no timers.
 */

import { isFailure, type Outcome } from './outcome.ts';

export interface OutlierOptions {
  readonly consecutiveFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
}

export const DEFAULT_OUTLIER: OutlierOptions = {
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
};

interface HostRecord {
  consecutive: number;
  /** Ejections so far, after decay: the multiplier of the next ejection. */
  ejections: number;
  /** Ejected while `now < until`. */
  until: number;
}

export class OutlierDetector {
  /** Per instance id; the router prunes ids that left the service (see retain). */
  private readonly hosts = new Map<string, HostRecord>();

  constructor(private readonly o: OutlierOptions) {}

  isEjected(id: string, now: number): boolean {
    const h = this.hosts.get(id);
    return h !== undefined && now < h.until;
  }

  /** Until when `id` is ejected (0 if it never was). */
  ejectedUntil(id: string): number {
    return this.hosts.get(id)?.until ?? 0;
  }

  /** Records a finished request of `id`; `serviceSize` is the number of instances the cap is taken of. */
  record(id: string, outcome: Outcome, now: number, serviceSize: number): void {
    if (outcome === 'cancelled') return;
    let h = this.hosts.get(id);
    if (!isFailure(outcome)) {
      if (h !== undefined) h.consecutive = 0;
      return;
    }
    if (h === undefined) {
      h = { consecutive: 0, ejections: 0, until: 0 };
      this.hosts.set(id, h);
    }
    // Requests that were in flight when the instance was ejected do not extend the ejection.
    if (now < h.until) return;
    h.consecutive++;
    if (h.consecutive >= this.o.consecutiveFailures && this.ejectedCount(now) < this.cap(serviceSize)) {
      this.eject(h, now);
    }
  }

  /** Forgets instances not in `live`. */
  retain(live: ReadonlySet<string>): void {
    for (const id of this.hosts.keys()) if (!live.has(id)) this.hosts.delete(id);
  }

  private eject(h: HostRecord, now: number): void {
    if (h.until > 0) {
      const healthyFor = now - h.until;
      h.ejections = Math.max(0, h.ejections - Math.floor(healthyFor / this.o.baseEjectionMs));
    }
    h.ejections++;
    h.until = now + Math.min(this.o.baseEjectionMs * h.ejections, this.o.maxEjectionMs);
    h.consecutive = 0;
  }

  private cap(serviceSize: number): number {
    return Math.max(1, Math.floor((serviceSize * this.o.maxEjectionPercent) / 100));
  }

  private ejectedCount(now: number): number {
    let n = 0;
    for (const h of this.hosts.values()) if (now < h.until) n++;
    return n;
  }
}
