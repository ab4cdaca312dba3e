/**
 * The error-rate gate's data: per-version request and error counts that
 * gateways report to the leader (`deployment.report`, not a Raft write),
 * kept in the leader's memory over a sliding window of one-second buckets.
 * A new leader starts with an empty window: until gateways have reported to
 * it for `minRequests` requests, the error gate cannot fail a deployment
 * (the health gate still can).
 */

/** One gateway's counts for one version of one service since its last report. */
export interface TrafficReport {
  readonly service: string;
  readonly version: string;
  readonly requests: number;
  /** Requests answered 5xx by an instance of the version, or that failed to reach it. */
  readonly errors: number;
}

/** Counts over a time span. */
export interface TrafficTotals {
  readonly requests: number;
  readonly errors: number;
}

/** How far back the window reaches by default. */
export const DEFAULT_TRAFFIC_WINDOW_MS = 10_000;
const BUCKET_MS = 1_000;

interface Bucket {
  readonly at: number;
  requests: number;
  errors: number;
}

export class TrafficWindow {
  /** `service\0version` → buckets, oldest first. */
  private readonly buckets = new Map<string, Bucket[]>();

  constructor(readonly windowMs: number = DEFAULT_TRAFFIC_WINDOW_MS) {}

  /** Adds reports received at `now` (leader time). */
  record(reports: readonly TrafficReport[], now: number): void {
    const at = now - (now % BUCKET_MS);
    for (const r of reports) {
      const key = `${r.service}\0${r.version}`;
      let list = this.buckets.get(key);
      if (list === undefined) {
        list = [];
        this.buckets.set(key, list);
      }
      let last = list[list.length - 1];
      if (last === undefined || last.at !== at) {
        last = { at, requests: 0, errors: 0 };
        list.push(last);
      }
      last.requests += r.requests;
      last.errors += r.errors;
      this.prune(key, list, now);
    }
  }

  /** Totals of one version within the window, counting only buckets that end after `since`. */
  totals(service: string, version: string, since: number, now: number): TrafficTotals {
    const list = this.buckets.get(`${service}\0${version}`) ?? [];
    const from = Math.max(since, now - this.windowMs);
    let requests = 0;
    let errors = 0;
    for (const b of list) {
      if (b.at + BUCKET_MS <= from) continue;
      requests += b.requests;
      errors += b.errors;
    }
    return { requests, errors };
  }

  /** Forgets everything (a node that just became leader). */
  reset(): void {
    this.buckets.clear();
  }

  private prune(key: string, list: Bucket[], now: number): void {
    while (list.length > 0 && list[0]!.at + BUCKET_MS <= now - this.windowMs) list.shift();
    if (list.length === 0) this.buckets.delete(key);
  }
}
