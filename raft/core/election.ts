import { tallyVotes } from './quorum.ts';
import type { RaftState } from './state.ts';
import type { Message, VoteRequest } from './types.ts';
import { NONE } from './types.ts';

/** Why a node campaigns: its election timer fired, or the leader handed over with TimeoutNow. */
export type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** The election timer fired (§5.2): campaign, through pre-vote when enabled. */
export function hup(r: RaftState): void {
  if (r.role === 'leader' || !r.isVoter()) return;
  campaign(r, r.cfg.preVote ? 'pre-election' : 'election');
}

export function campaign(r: RaftState, kind: CampaignKind): void {
  let voteType: 'vote' | 'pre-vote';
  let term: number;
  if (kind === 'pre-election') {
    r.becomePreCandidate();
    voteType = 'pre-vote';
    term = r.term + 1; // the term we would campaign in; ours does not change yet
  } else {
    r.becomeCandidate();
    voteType = 'vote';
    term = r.term;
  }
  r.votes.set(r.id, true);
  if (tallyVotes(r.conf.voters, r.votes) === 'won') {
    // A single-voter cluster wins on its own vote.
    if (kind === 'pre-election') campaign(r, 'election');
    else r.becomeLeader();
    return;
  }
  for (const to of r.conf.voters) {
    if (to === r.id) continue;
    r.sendWithTerm(
      {
        type: voteType,
        to,
        lastLogIndex: r.log.lastIndex(),
        lastLogTerm: r.log.lastTerm(),
        transfer: kind === 'transfer',
      },
      term,
    );
  }
}

/**
 * RequestVote receiver (§5.2, §5.4.1), for real and pre-votes. Called after
 * the term rules of step(): m.term >= r.term here.
 */
export function handleVoteRequest(r: RaftState, m: VoteRequest): void {
  const canVote =
    r.vote === m.from ||
    (r.vote === NONE && r.leader === NONE) ||
    // A pre-vote for a future term promises nothing, so it may be granted even after voting.
    (m.type === 'pre-vote' && m.term > r.term);
  const respType = m.type === 'vote' ? 'vote-resp' : 'pre-vote-resp';
  if (canVote && r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
    // Answer in the candidate's term so a granted pre-vote is counted for the term it asked about.
    r.sendWithTerm({ type: respType, to: m.from, granted: true }, m.term);
    if (m.type === 'vote') {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, to: m.from, granted: false });
  }
}

/**
 * Vote requests a node that hears from a leader ignores (§4.2.3: removed or
 * partitioned servers cannot disrupt). Pre-votes always include this check
 * (§9.6); real votes only with check-quorum, which keeps leaders honest about
 * their lease.
 */
export function inLease(r: RaftState, m: Message): boolean {
  if (m.type !== 'vote' && m.type !== 'pre-vote') return false;
  if (m.transfer) return false;
  if (m.type === 'vote' && !r.cfg.checkQuorum) return false;
  return r.leader !== NONE && r.electionElapsed < r.cfg.electionTicks;
}
