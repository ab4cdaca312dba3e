/**
 * Instrumentation: the survivors' own view during a failover, from polling
 * their `GET /v1/status` every few milliseconds. It dates when each started
 * to campaign, when one became leader, and when the new leader's first entry
 * of its term (Raft's no-op) committed, so the window can be split into the
 * server's part (detection + election) and the client's part (finding the new
 * leader). Times are the midpoint of the poll that first saw the change:
 * accurate to about the poll interval.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus } from '../../src/client/index.ts';
import type { ProcessCluster } from '../../test/support/process-cluster.ts';

export interface Sample {
  readonly at: number;
  readonly id: string;
  readonly status: NodeStatus | undefined;
}

export interface ProbeTimeline {
  /** First time a survivor was seen as pre-candidate or candidate. */
  readonly campaignAt: number | undefined;
  /** First time a survivor was seen as leader. */
  readonly electedAt: number | undefined;
  readonly newLeader: string | undefined;
  /** First time every survivor named the new leader. */
  readonly knownAt: number | undefined;
  /** The term the new leader won: more than one past the old leader's means an election failed. */
  readonly newTerm: number | undefined;
  /** Campaigns seen starting: a survivor entering pre-candidate (or candidate, not from pre-candidate). */
  readonly campaigns: number;
  /** Every change of a survivor's (role, term, leader) the polls saw, in order; `down` when it did not answer. */
  readonly transitions: readonly {
    readonly at: number;
    readonly id: string;
    readonly role: string;
    readonly term: number;
    readonly leaderId: string;
  }[];
  /** Polls that got an answer / that were made. */
  readonly polls: { readonly answered: number; readonly made: number };
}

export class StatusProbe {
  readonly samples: Sample[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly ids: readonly string[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await Promise.all(
        this.ids.map(async (id) => {
          const before = performance.now();
          const status = await this.cluster.status(id);
          this.samples.push({ at: (before + performance.now()) / 2, id, status });
        }),
      );
      await sleep(this.intervalMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** What the samples show, as performance.now() values. */
  timeline(oldLeader: string): ProbeTimeline {
    const answered = this.samples.filter((s) => s.status !== undefined);
    const campaigning = (s: Sample) => s.status?.role === 'pre-candidate' || s.status?.role === 'candidate';
    const leaderSample = answered.find((s) => s.status!.role === 'leader' && s.id !== oldLeader);
    const newLeader = leaderSample?.id;
    let knownAt: number | undefined;
    if (newLeader !== undefined) {
      const named = new Map<string, number>();
      for (const s of answered) {
        if (s.status!.leaderId === newLeader && !named.has(s.id)) named.set(s.id, s.at);
      }
      if (this.ids.every((id) => named.has(id))) knownAt = Math.max(...named.values());
    }
    let campaigns = 0;
    const lastRole = new Map<string, string>();
    for (const s of answered) {
      const role = s.status!.role;
      const was = lastRole.get(s.id);
      if (campaigning(s) && was !== role && was !== 'pre-candidate') campaigns++;
      lastRole.set(s.id, role);
    }
    const transitions: ProbeTimeline['transitions'][number][] = [];
    const lastSeen = new Map<string, string>();
    for (const s of this.samples) {
      const role = s.status?.role ?? 'down';
      const t = { at: s.at, id: s.id, role, term: s.status?.term ?? -1, leaderId: s.status?.leaderId ?? '' };
      const key = `${t.role}/${t.term}/${t.leaderId}`;
      if (lastSeen.get(s.id) !== key) transitions.push(t);
      lastSeen.set(s.id, key);
    }
    return {
      transitions,
      campaignAt: answered.find(campaigning)?.at,
      electedAt: leaderSample?.at,
      newLeader,
      knownAt,
      newTerm: leaderSample?.status?.term,
      campaigns,
      polls: { answered: answered.length, made: this.samples.length },
    };
  }
}
