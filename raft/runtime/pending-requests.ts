import { RaftError } from '../core/errors.ts';

interface PendingProposal {
  readonly term: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: RaftError) => void;
}

interface PendingRead {
  /** Known once the ReadState arrives; the read is served when this index is applied. */
  index: number | undefined;
  readonly resolve: (index: number) => void;
  readonly reject: (error: RaftError) => void;
}

/**
 * Proposals waiting for their entry to be applied, and reads waiting for
 * their ReadIndex to be applied. A proposal is identified by the index and
 * term the core gave it: the entry applied at that index decides its fate.
 */
export class PendingRequests {
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();

  addProposal(index: number, term: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.proposals.set(index, { term, resolve, reject }));
  }

  /** The entry at `index` with `term` was applied with `result`. */
  applied(index: number, term: number, result: unknown): void {
    const p = this.proposals.get(index);
    if (p === undefined) return;
    this.proposals.delete(index);
    if (p.term === term) p.resolve(result);
    else p.reject(new RaftError('PROPOSAL_DROPPED', `entry ${index} was replaced after a leader change`));
  }

  /** A snapshot jumped past these indexes: whether our entries were in it is unknown. */
  skippedTo(index: number): void {
    for (const [i, p] of this.proposals) {
      if (i > index) continue;
      this.proposals.delete(i);
      p.reject(new RaftError('UNKNOWN_OUTCOME', `a snapshot up to ${index} replaced entry ${i}`));
    }
  }

  /** This node stopped leading: its proposals may or may not commit under the next leader. */
  leadershipLost(): void {
    for (const p of this.proposals.values()) {
      p.reject(new RaftError('UNKNOWN_OUTCOME', 'leadership was lost before the entry was applied'));
    }
    this.proposals.clear();
  }

  addRead(ctx: string): Promise<number> {
    return new Promise((resolve, reject) => this.reads.set(ctx, { index: undefined, resolve, reject }));
  }

  readConfirmed(ctx: string, index: number): void {
    const r = this.reads.get(ctx);
    if (r !== undefined) r.index = index;
  }

  readDropped(ctx: string, leaderId: string): void {
    const r = this.reads.get(ctx);
    if (r === undefined) return;
    this.reads.delete(ctx);
    r.reject(new RaftError('NOT_LEADER', 'leadership changed before the read was confirmed', { leaderId }));
  }

  /** Serves every confirmed read whose index is now applied. */
  releaseReads(applied: number): void {
    for (const [ctx, r] of this.reads) {
      if (r.index === undefined || r.index > applied) continue;
      this.reads.delete(ctx);
      r.resolve(r.index);
    }
  }

  rejectAll(error: RaftError): void {
    for (const p of this.proposals.values()) p.reject(error);
    for (const r of this.reads.values()) r.reject(error);
    this.proposals.clear();
    this.reads.clear();
  }
}
