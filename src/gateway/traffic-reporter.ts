/**
 * Per-version request and error counts of one gateway, sent to the leader
 * every `intervalMs` (`deployment.report`, leader-routed, not a Raft write,
 * never resent) for the error gate of deployments. A report that fails is
 * dropped: the leader's window is a sample, and a lost report can only delay
 * a rollback by an interval, not cause one.
 */

import type { Requester } from '../client/requester.ts';
import type { TrafficReport } from '../deploy/traffic-window.ts';

type Counts = { -readonly [K in keyof TrafficReport]: TrafficReport[K] };

export class TrafficReporter {
  private counts = new Map<string, Counts>();
  private readonly timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly client: Requester,
    intervalMs: number,
    private readonly timeoutMs: number,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => {
        this.sending ??= this.flush().finally(() => {
          this.sending = undefined;
        });
      }, intervalMs);
      this.timer.unref();
    }
  }

  /** Counts one attempt; unversioned instances take part in no deployment and are not counted. */
  record(service: string, version: string | null, error: boolean): void {
    if (version === null || this.timer === undefined) return;
    const key = `${service}\0${version}`;
    let c = this.counts.get(key);
    if (c === undefined) {
      c = { service, version, requests: 0, errors: 0 };
      this.counts.set(key, c);
    }
    c.requests++;
    if (error) c.errors++;
  }

  /** Stops reporting (what is counted and unsent is dropped). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
  }

  private async flush(): Promise<void> {
    if (this.counts.size === 0) return;
    const reports = [...this.counts.values()];
    this.counts = new Map();
    try {
      await this.client.request('deployment.report', { reports }, { timeoutMs: this.timeoutMs });
    } catch {
      // Dropped: see the file comment.
    }
  }
}
