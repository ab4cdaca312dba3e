import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../raft/core/raft.ts';
import { seededRng } from '../../raft/core/rng.ts';
import type { AppendRequest, AppendResponse, Message } from '../../raft/core/types.ts';
import { logOfTerms, ScriptedCluster } from './scripted-cluster.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const isAppend = (m: Message): m is AppendRequest => m.type === 'append';

describe('§5.3 log replication', () => {
  it('Figure 7: every follower log converges to the leader, with one rejection per conflicting term at most', () => {
    const voters = ['L', 'a', 'b', 'c', 'd', 'e', 'f'];
    const logs: Record<string, number[]> = {
      L: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    const c = new ScriptedCluster([]);
    for (const [k, id] of voters.entries()) {
      c.addNode(id, { preVote: false, checkQuorum: false }, k + 1, {
        hardState: { term: 7, vote: '', commit: 1 },
        entries: logOfTerms(logs[id]!, voters),
      });
    }
    c.campaign('L');
    expect(c.leaders()).toEqual(['L']);
    expect(c.node('L').term).toBe(8);
    const expected = [...logs.L!, 8];
    for (const id of voters) expect(c.logTerms(id)).toEqual(expected);
    for (const id of voters) expect(c.node(id).commitIndex).toBe(11);
    // Fast back-off: f conflicts over terms 3 and 2, so two rejections, then a match.
    const rejectionsFromF = c.delivered.filter(
      (m): m is AppendResponse => m.type === 'append-resp' && m.from === 'f' && !m.success,
    );
    expect(rejectionsFromF.length).toBeLessThanOrEqual(3);
  });

  it('Figure 8: a leader never commits an entry of an earlier term by counting replicas', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const c = new ScriptedCluster(ids, { preVote: false, checkQuorum: false });
    // (a) s1 leads term 2 and gets x onto s2 only.
    c.campaign('s1');
    const base = c.node('s1').commitIndex;
    for (const other of ['s3', 's4', 's5']) c.cutLink('s1', other, true);
    const x = c.propose('s1', 'x');
    expect(c.node('s2').termAt(x.index)).toBe(x.term);
    // (b) s1 crashes; s5 wins term 3 with s3 and s4, and its entry at x.index stays local.
    c.crash('s1');
    c.heal();
    c.dropTypes.add('append');
    c.campaign('s5');
    expect(c.node('s5').role).toBe('leader');
    c.crash('s5');
    c.heal();
    // (c) s1 restarts and wins term 4; x (term 2) reaches s3, a majority, but the new term's entry does not.
    c.restart('s1');
    c.cutLink('s1', 's4', true);
    // s1's messages lose every entry newer than x on the way (a prefix of AppendEntries is still valid).
    c.intercept = (m) =>
      isAppend(m) && m.from === 's1' ? { ...m, entries: m.entries.filter((e) => e.term <= x.term) } : m;
    for (let k = 0; k < 10 && c.node('s1').role !== 'leader'; k++) c.campaign('s1');
    expect(c.node('s1').role).toBe('leader');
    c.tick('s1', 3);
    for (const id of ['s1', 's2', 's3']) expect(c.node(id).termAt(x.index)).toBe(x.term);
    expect(c.node('s1').commitIndex).toBe(base); // replicated on a majority, yet not committed
    // (d) s1 crashes again; s5 can win and overwrite x: had x been committed, that would lose it.
    c.crash('s1');
    c.heal();
    c.restart('s5');
    for (let k = 0; k < 10 && c.node('s5').role !== 'leader'; k++) c.campaign('s5');
    expect(c.node('s5').role).toBe('leader');
    c.tickAll(3);
    for (const id of ['s2', 's3', 's4', 's5']) expect(c.node(id).termAt(x.index)).not.toBe(x.term);
    for (const id of ids) expect(c.applied.get(id)).not.toContain('x');
  });

  it('commits only once a majority holds the entry', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const c = new ScriptedCluster(ids);
    c.campaign('a');
    c.cutLink('a', 'c', true);
    c.cutLink('a', 'd', true);
    c.cutLink('a', 'e', true);
    const p = c.propose('a', 'x');
    expect(c.node('a').commitIndex).toBeLessThan(p.index);
    c.heal();
    c.tickAll(1);
    expect(c.node('a').commitIndex).toBeGreaterThanOrEqual(p.index);
    for (const id of ids) expect(c.applied.get(id)).toEqual(['x']);
  });

  it('batches proposals made between two Readies into one write and one AppendEntries per follower', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    const leader = c.node('a');
    for (let k = 0; k < 10; k++) leader.propose(enc(`p${k}`));
    const rd = leader.ready();
    expect(rd.entries).toHaveLength(10);
    const appends = rd.messages.filter(isAppend);
    expect(appends.map((m) => [m.to, m.entries.length])).toEqual([
      ['b', 10],
      ['c', 10],
    ]);
  });

  it('pipelines AppendEntries without waiting for answers, up to the in-flight window', () => {
    const c = new ScriptedCluster(['a', 'b', 'c'], { maxInflight: 3 });
    c.campaign('a');
    c.cutLink('b', 'a');
    c.cutLink('c', 'a'); // answers are lost: the leader cannot learn anything new
    const before = c.delivered.length;
    for (let k = 0; k < 6; k++) c.propose('a', `p${k}`);
    const toB = c.delivered.slice(before).filter((m) => isAppend(m) && m.to === 'b' && m.entries.length > 0);
    expect(toB).toHaveLength(3); // three in flight, then the window is full
    c.heal();
    c.tickAll(3);
    expect(c.applied.get('b')).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('recovers from a lost AppendEntries in the middle of a pipeline', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    let dropped = 0;
    c.intercept = (m) =>
      isAppend(m) && m.to === 'b' && m.entries.length > 0 && dropped++ === 1 ? undefined : m;
    for (let k = 0; k < 5; k++) c.propose('a', `p${k}`);
    c.intercept = undefined;
    c.tickAll(3);
    expect(dropped).toBeGreaterThan(1);
    expect(c.applied.get('b')).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('a deposed leader that rejoins learns the new term from the first answer and steps down', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.isolate('a');
    c.tickAll(40);
    const newLeader = c.leaders().find((id) => id !== 'a');
    expect(newLeader).toBeDefined();
    c.heal();
    c.tickAll(2);
    expect(c.leaders()).toEqual([newLeader]);
    expect(c.node('a').leader).toBe(newLeader);
  });

  it('refuses proposals on a follower with NOT_LEADER naming the leader', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    expect(() => c.node('b').propose(enc('x'))).toThrow(
      expect.objectContaining({ code: 'NOT_LEADER', leaderId: 'a' }),
    );
  });

  it('restarts from storage alone with its term, vote and log intact', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.propose('a', 'x');
    c.tickAll(1);
    const before = { term: c.node('b').term, vote: c.node('b').vote, log: c.logTerms('b') };
    c.crash('b');
    c.restart('b');
    expect({ term: c.node('b').term, vote: c.node('b').vote, log: c.logTerms('b') }).toEqual(before);
    c.tickAll(2);
    expect(c.applied.get('b')).toEqual(['x']);
  });
});

describe('applying a long committed log', () => {
  it('hands committed entries out in slices of maxCommittedPerReady, in order', () => {
    const entries = logOfTerms([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], ['a', 'b', 'c']);
    const core = new RaftCore(
      { id: 'a', electionTicks: 10, heartbeatTicks: 1, rng: seededRng(3), maxCommittedPerReady: 4 },
      { hardState: { term: 1, vote: '', commit: 11 }, entries },
    );
    const slices: number[][] = [];
    while (core.hasReady()) {
      const rd = core.ready();
      if (rd.committed.length > 0) slices.push(rd.committed.map((e) => e.index));
      core.advance(rd);
    }
    expect(slices).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11],
    ]);
    expect(core.appliedIndex).toBe(11);
  });
});
