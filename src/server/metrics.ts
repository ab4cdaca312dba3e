/**
 * The Prometheus metrics of one node (DESIGN.md "Observability"). Each node
 * has its own prom-client registry, so several nodes in one process (tests)
 * never share or clash on counters. Gauges of Raft state are read at scrape
 * time from the live status instead of being pushed on every change.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RaftStatus } from '../../raft/index.ts';

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly leaderChanges: Counter;
  private readonly proposals: Counter<'outcome'>;
  private readonly pendingProposals: Gauge;
  private readonly fsync: Histogram;
  private readonly proposalSeconds: Histogram;
  private readonly requests: Counter<'op' | 'code'>;
  private readonly connections: Gauge;
  private pending = 0;

  constructor(nodeId: string, status: () => RaftStatus, watchCount: () => number) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    new Gauge({
      name: 'flotilla_has_leader',
      help: '1 when this node knows a leader, else 0',
      registers,
      collect() {
        this.set(status().leader === '' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'flotilla_is_leader',
      help: '1 when this node is the leader',
      registers,
      collect() {
        this.set(status().role === 'leader' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flotilla_term',
      help: 'current Raft term',
      registers,
      collect() {
        this.set(status().term);
      },
    });
    new Gauge({
      name: 'flotilla_commit_index',
      help: 'highest log index known committed',
      registers,
      collect() {
        this.set(status().commitIndex);
      },
    });
    new Gauge({
      name: 'flotilla_applied_index',
      help: 'highest log index applied to the registry',
      registers,
      collect() {
        this.set(status().appliedIndex);
      },
    });
    new Gauge({
      name: 'flotilla_replication_lag_entries',
      help: 'leader only: entries each follower is behind the leader log',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        const s = status();
        if (s.role !== 'leader') return;
        for (const [peer, p] of Object.entries(s.progress)) {
          if (peer !== s.id) this.set({ peer }, Math.max(0, s.lastIndex - p.match));
        }
      },
    });
    this.leaderChanges = new Counter({
      name: 'flotilla_leader_changes_total',
      help: 'times the leader this node knows changed',
      registers,
    });
    this.proposals = new Counter({
      name: 'flotilla_proposals_total',
      help: 'client writes proposed by this node, by outcome (committed, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.pendingProposals = new Gauge({
      name: 'flotilla_proposals_pending',
      help: 'client writes proposed and not yet answered',
      registers,
    });
    this.fsync = new Histogram({
      name: 'flotilla_fsync_duration_seconds',
      help: 'time to durably write one Raft Ready (entries and hard state, one synced WAL frame)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.proposalSeconds = new Histogram({
      name: 'flotilla_proposal_duration_seconds',
      help: 'client writes on the leader, from propose to applied here (replication, fsyncs, commit, apply)',
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.requests = new Counter({
      name: 'flotilla_client_requests_total',
      help: 'client requests answered, by operation and code (OK or the error code)',
      labelNames: ['op', 'code'],
      registers,
    });
    this.connections = new Gauge({
      name: 'flotilla_client_connections',
      help: 'open client connections',
      registers,
    });
    new Gauge({
      name: 'flotilla_watches',
      help: 'open watches',
      registers,
      collect() {
        this.set(watchCount());
      },
    });
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  /** Counts a proposal in flight; call the answer with its outcome exactly once. */
  proposalStarted(): (outcome: 'committed' | 'failed') => void {
    this.pendingProposals.set(++this.pending);
    const started = process.hrtime.bigint();
    return (outcome) => {
      this.pendingProposals.set(--this.pending);
      this.proposals.inc({ outcome });
      if (outcome === 'committed')
        this.proposalSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    };
  }

  fsyncSeconds(seconds: number): void {
    this.fsync.observe(seconds);
  }

  request(op: string, code: string): void {
    this.requests.inc({ op, code });
  }

  connectionOpened(): void {
    this.connections.inc();
  }

  connectionClosed(): void {
    this.connections.dec();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
