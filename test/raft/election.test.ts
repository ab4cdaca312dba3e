import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../raft/core/raft.ts';
import { seededRng } from '../../raft/core/rng.ts';
import type { VoteRequest } from '../../raft/core/types.ts';
import { ScriptedCluster } from './scripted-cluster.ts';

const three = ['a', 'b', 'c'];

describe('§5.2 leader election', () => {
  it('a follower whose timer fires becomes the only leader, and everyone learns its term', () => {
    const c = new ScriptedCluster(three);
    c.campaign('a');
    expect(c.leaders()).toEqual(['a']);
    for (const id of three) {
      expect(c.node(id).term).toBe(c.node('a').term);
      expect(c.node(id).leader).toBe('a');
    }
  });

  it('draws election timeouts in [T, 2T) from the injected generator, identically for the same seed', () => {
    const firstCampaignTick = (seed: number): number => {
      const core = new RaftCore({
        id: 'a',
        rng: seededRng(seed),
        bootstrap: ['a', 'b', 'c'],
        electionTicks: 10,
      });
      for (let t = 1; t <= 100; t++) {
        core.tick();
        if (core.role !== 'follower') return t;
      }
      return -1;
    };
    const ticks = [1, 2, 3, 4, 5, 6, 7, 8].map(firstCampaignTick);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThan(20);
    }
    expect(new Set(ticks).size).toBeGreaterThan(1); // jitter really varies with the seed
    expect(ticks.map((_, k) => firstCampaignTick(k + 1))).toEqual(ticks); // and replays exactly
  });

  it('grants at most one vote per term (§5.2)', () => {
    const c = new ScriptedCluster(three, { preVote: false });
    const voter = c.node('c');
    const ask = (from: string): VoteRequest => ({
      type: 'vote',
      from,
      to: 'c',
      term: 5,
      lastLogIndex: 1,
      lastLogTerm: 1,
      transfer: false,
    });
    voter.step(ask('a'));
    voter.step(ask('b'));
    const replies = voter.ready().messages.filter((m) => m.type === 'vote-resp');
    expect(replies.map((m) => [m.to, m.type === 'vote-resp' && m.granted])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('refuses a vote to a candidate whose log is behind (§5.4.1 election restriction)', () => {
    const c = new ScriptedCluster(three, { preVote: false, checkQuorum: false });
    c.campaign('a');
    c.isolate('c');
    c.propose('a', 'x');
    c.heal();
    c.cutLink('a', 'c', true); // c never gets x
    c.crash('a');
    c.campaign('c'); // c's log lacks x: b refuses, so c cannot win
    expect(c.node('c').role).not.toBe('leader');
    c.campaign('b');
    expect(c.leaders()).toEqual(['b']);
  });

  it('makes the vote and the new term durable before the vote leaves (persistence order)', () => {
    const c = new ScriptedCluster(three, { preVote: false });
    const voter = c.node('b');
    voter.step({
      type: 'vote',
      from: 'a',
      to: 'b',
      term: 7,
      lastLogIndex: 1,
      lastLogTerm: 1,
      transfer: false,
    });
    const rd = voter.ready();
    expect(rd.messages.some((m) => m.type === 'vote-resp' && m.granted)).toBe(true);
    // The grant travels in the same Ready as the hard state that records it.
    expect(rd.hardState).toEqual({ term: 7, vote: 'a', commit: 1 });
  });
});

describe('§9.6 pre-vote', () => {
  it('a partitioned node that rejoins does not depose a healthy leader', () => {
    const c = new ScriptedCluster(three);
    c.campaign('a');
    const term = c.node('a').term;
    c.isolate('c');
    c.tick('c', 100); // many election timeouts alone: pre-vote fails every time
    expect(c.node('c').term).toBe(term);
    c.heal();
    c.tickAll(3);
    expect(c.leaders()).toEqual(['a']);
    expect(c.node('a').term).toBe(term);
    expect(c.node('c').leader).toBe('a');
  });

  it('pre-vote alone (no check-quorum) still refuses a node while the leader is heard (§9.6)', () => {
    const c = new ScriptedCluster(three, { checkQuorum: false });
    c.campaign('a');
    const term = c.node('a').term;
    c.isolate('c');
    c.tick('c', 100);
    c.heal();
    c.tickAll(3);
    expect(c.leaders()).toEqual(['a']);
    expect(c.node('c').term).toBe(term);
  });

  it('without pre-vote the same partition forces a new election (the contrast)', () => {
    const c = new ScriptedCluster(three, { preVote: false, checkQuorum: false });
    c.campaign('a');
    const term = c.node('a').term;
    c.isolate('c');
    c.tick('c', 100);
    expect(c.node('c').term).toBeGreaterThan(term);
    c.heal();
    c.tickAll(30);
    expect(c.node('a').term).toBeGreaterThan(term);
  });

  it('a node in a leader lease ignores vote requests of a higher term (§4.2.3)', () => {
    const c = new ScriptedCluster(three);
    c.campaign('a');
    const b = c.node('b');
    const term = b.term;
    b.step({
      type: 'vote',
      from: 'c',
      to: 'b',
      term: term + 1,
      lastLogIndex: 9,
      lastLogTerm: 9,
      transfer: false,
    });
    expect(b.term).toBe(term);
    expect(b.hasReady() && b.ready().messages.length).toBeFalsy();
  });
});

describe('§6.2 check-quorum', () => {
  it('an isolated leader steps down within one election timeout', () => {
    const c = new ScriptedCluster(three);
    c.campaign('a');
    c.isolate('a');
    c.tick('a', 2 * 10);
    expect(c.node('a').role).toBe('follower');
    // The majority side elects a new leader on its own.
    c.tickAll(40);
    const leaders = c.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe('a');
  });

  it('a leader that hears from a majority keeps leading', () => {
    const c = new ScriptedCluster(three);
    c.campaign('a');
    c.isolate('c');
    c.tick('a', 50);
    expect(c.node('a').role).toBe('leader');
  });
});
