import { describe, expect, it } from 'vitest';
import { ScriptedCluster } from './scripted-cluster.ts';

describe('a closed connection to the leader (peerLost)', () => {
  // Election timeouts are 10–19 ticks here: an election within 3 ticks can only be the early one.
  it('lets the survivors of a dead leader elect within a few ticks, lowest-ranked id first', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const term = cluster.node('a').term;
    cluster.crash('a');
    cluster.act('b', (core) => core.peerLost('a'));
    cluster.act('c', (core) => core.peerLost('a'));
    expect(cluster.node('b').leader).toBe('');
    for (let tick = 0; tick < 3 && cluster.leaders().length === 0; tick++) {
      cluster.tick('b');
      cluster.tick('c');
    }
    // b ranks first among the survivors, so it campaigns a tick in and c grants it; no split vote.
    expect(cluster.leaders()).toEqual(['b']);
    expect(cluster.node('b').term).toBe(term + 1);
    expect(cluster.node('c').leader).toBe('b');
  });

  it('never deposes a healthy leader when one follower link flaps', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const term = cluster.node('a').term;
    for (let flap = 0; flap < 20; flap++) {
      cluster.cutLink('a', 'b');
      cluster.act('b', (core) => core.peerLost('a'));
      cluster.tickAll(3);
      cluster.heal();
      cluster.tickAll(1);
    }
    expect(cluster.leaders()).toEqual(['a']);
    expect(cluster.node('a').term).toBe(term);
    // b's pre-votes were refused by c (which hears from a) and ignored by a: no term moved.
    for (const id of ['b', 'c']) expect(cluster.node(id).term).toBe(term);
    expect(cluster.node('b').leader).toBe('a');
  });

  it('is called off by a heartbeat from the leader before the early campaign', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.act('b', (core) => core.peerLost('a'));
    cluster.act('c', (core) => core.peerLost('a'));
    // The connections come back and a heartbeat arrives before either follower ticks.
    cluster.tick('a');
    expect(cluster.node('b').leader).toBe('a');
    expect(cluster.node('c').leader).toBe('a');
    // Their election timers are back to normal: nine silent ticks start no campaign.
    for (let k = 0; k < 9; k++) {
      cluster.tick('b');
      cluster.tick('c');
    }
    expect(cluster.node('b').role).toBe('follower');
    expect(cluster.node('c').role).toBe('follower');
    expect(cluster.leaders()).toEqual(['a']);
  });

  it('is ignored without pre-vote, which alone keeps an early campaign from moving terms', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c'], { preVote: false });
    cluster.campaign('a');
    cluster.act('b', (core) => core.peerLost('a'));
    expect(cluster.node('b').leader).toBe('a');
    for (let k = 0; k < 3; k++) cluster.tick('b');
    expect(cluster.node('b').role).toBe('follower');
  });

  it('is ignored about a peer that is not our leader', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.act('b', (core) => core.peerLost('c'));
    expect(cluster.node('b').leader).toBe('a');
    for (let k = 0; k < 9; k++) cluster.tick('b');
    expect(cluster.node('b').role).toBe('follower');
  });

  it('makes a leader probe the lost peer afresh instead of pipelining to it, and nothing more', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const leader = cluster.node('a');
    expect(leader.status().progress.b?.state).toBe('replicate');
    cluster.act('a', (core) => core.peerLost('b'));
    expect(leader.status().progress.b?.state).toBe('probe');
    expect(cluster.leaders()).toEqual(['a']);
    // Back in touch: one probe, an answer, and it is pipelined to again.
    const { index } = cluster.propose('a', 'x');
    expect(leader.status().progress.b).toMatchObject({ state: 'replicate', match: index });
  });
});
