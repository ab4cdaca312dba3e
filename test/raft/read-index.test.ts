import { describe, expect, it } from 'vitest';
import { ScriptedCluster } from './scripted-cluster.ts';

describe('§6.4 ReadIndex', () => {
  it('the leader answers once a heartbeat round confirms it still leads', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.propose('a', 'x');
    c.act('a', (n) => n.readIndex('r1'));
    expect(c.readStates.get('a')).toEqual([{ ctx: 'r1', index: c.node('a').commitIndex }]);
  });

  it('a follower gets the read index from the leader', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.propose('a', 'x');
    c.act('b', (n) => n.readIndex('r2'));
    expect(c.readStates.get('b')).toEqual([{ ctx: 'r2', index: c.node('a').commitIndex }]);
  });

  it('an isolated leader never answers; its reads are reported dropped when it steps down', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.isolate('a');
    c.act('a', (n) => n.readIndex('r3'));
    c.tick('a', 5);
    expect(c.readStates.get('a')).toEqual([]);
    c.tick('a', 20); // check-quorum deposes it
    expect(c.node('a').role).toBe('follower');
    expect(c.droppedReads.get('a')).toEqual(['r3']);
  });

  it('a new leader holds reads until an entry of its own term commits', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.dropTypes.add('append');
    c.campaign('a');
    c.act('a', (n) => n.readIndex('r4'));
    c.tick('a', 2);
    expect(c.readStates.get('a')).toEqual([]);
    c.heal();
    c.tick('a', 2);
    const noop = c.node('a').commitIndex;
    expect(c.node('a').termAt(noop)).toBe(c.node('a').term);
    expect(c.readStates.get('a')).toEqual([{ ctx: 'r4', index: noop }]);
  });

  it('one heartbeat round confirms every read queued before it', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    const leader = c.node('a');
    leader.readIndex('q1');
    leader.readIndex('q2');
    leader.readIndex('q3');
    const heartbeats = leader.ready().messages.filter((m) => m.type === 'heartbeat');
    expect(heartbeats.map((m) => m.type === 'heartbeat' && m.ctx)).toEqual(['q3', 'q3']);
  });

  it('a node that knows no leader refuses with NOT_LEADER', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    expect(() => c.node('b').readIndex('r5')).toThrow(expect.objectContaining({ code: 'NOT_LEADER' }));
  });

  it('a single-node cluster answers at once', () => {
    const c = new ScriptedCluster(['solo']);
    c.campaign('solo');
    c.act('solo', (n) => n.readIndex('r6'));
    expect(c.readStates.get('solo')).toEqual([{ ctx: 'r6', index: c.node('solo').commitIndex }]);
  });

  it('a read forwarded to a node that left the old term comes back dropped, never lost', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    // c takes over by transfer while b hears nothing from c: b still thinks a leads in the old term.
    c.cutLink('c', 'b');
    c.act('a', (n) => n.transferLeadership('c'));
    expect(c.leaders()).toEqual(['c']);
    expect(c.node('b').leader).toBe('a');
    // b forwards its client's read to a, in the old term; a, now a follower in a newer term, refuses it.
    c.act('b', (n) => n.readIndex('r1'));
    c.heal();
    c.tickAll(30);
    expect(c.node('b').leader).toBe('c');
    // Ready's contract: every read comes back as a ReadState or in droppedReads.
    const outcome = [...c.readStates.get('b')!.map((s) => s.ctx), ...c.droppedReads.get('b')!];
    expect(outcome).toContain('r1');
  });
});
