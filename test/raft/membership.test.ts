import { describe, expect, it } from 'vitest';
import { ScriptedCluster } from './scripted-cluster.ts';

describe('§4 single-server membership changes', () => {
  it('a learner receives the log but neither votes nor counts for commitment', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.addNode('l', {}, 50);
    c.act('a', (n) => n.proposeConfChange({ type: 'add-learner', node: 'l' }));
    c.propose('a', 'x');
    c.tickAll(2);
    expect(c.applied.get('l')).toEqual(['x']);
    expect(c.node('a').conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['l'], promoting: [] });
    // With b and c unreachable, a and the learner are not a majority: nothing commits.
    c.cutLink('a', 'b', true);
    c.cutLink('a', 'c', true);
    const p = c.propose('a', 'y');
    c.tick('a', 2);
    expect(c.node('a').commitIndex).toBeLessThan(p.index);
    // A learner never campaigns.
    c.tick('l', 100);
    expect(c.node('l').role).toBe('follower');
  });

  it('removes a follower; the rest keep committing with the smaller quorum', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.act('a', (n) => n.proposeConfChange({ type: 'remove', node: 'c' }));
    c.tickAll(1);
    expect(c.node('a').conf.voters).toEqual(['a', 'b']);
    c.crash('c');
    c.propose('a', 'x');
    c.tickAll(1);
    expect(c.applied.get('b')).toEqual(['x']);
  });

  it('removing the leader: it steps down once the change commits and the others elect a successor', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.act('a', (n) => n.proposeConfChange({ type: 'remove', node: 'a' }));
    c.tickAll(1);
    expect(c.node('a').role).toBe('follower');
    c.tickAll(40);
    const leaders = c.leaders();
    expect(leaders).toHaveLength(1);
    expect(['b', 'c']).toContain(leaders[0]);
    c.propose(leaders[0]!, 'after');
    c.tickAll(1);
    expect(c.applied.get('b')).toEqual(['after']);
    expect(c.applied.get('c')).toEqual(['after']);
    c.tick('a', 100);
    expect(c.node('a').role).toBe('follower'); // a removed node never campaigns
  });

  it('a removed follower that never hears of its removal cannot disturb the rest (pre-vote, leases)', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    // The leader stops replicating to c the moment the change is in its log: c never gets it.
    c.act('a', (n) => n.proposeConfChange({ type: 'remove', node: 'c' }));
    c.tickAll(1);
    expect(c.node('a').conf.voters).toEqual(['a', 'b']);
    expect(c.node('c').conf.voters).toEqual(['a', 'b', 'c']);
    const term = c.node('a').term;
    c.tickAll(100); // ten election timeouts: c campaigns again and again
    expect(c.leaders()).toEqual(['a']);
    expect(c.node('a').term).toBe(term);
    expect(c.node('b').term).toBe(term);
    expect(c.node('c').term).toBe(term); // pre-votes move no term
    expect(c.delivered.some((m) => m.from === 'c' && m.type === 'pre-vote')).toBe(true);
    expect(c.delivered.some((m) => m.from === 'c' && m.type === 'vote')).toBe(false);
    c.propose('a', 'still');
    c.tickAll(1);
    expect(c.applied.get('b')).toContain('still');
  });

  it('allows one uncommitted change at a time and refuses nonsense', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.isolate('a');
    c.node('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(() => c.node('a').proposeConfChange({ type: 'add-learner', node: 'e' })).toThrow(
      expect.objectContaining({ code: 'CONF_CHANGE_PENDING' }),
    );
    c.heal();
    c.tickAll(1);
    expect(() => c.node('a').proposeConfChange({ type: 'remove', node: 'zzz' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONF_CHANGE' }),
    );
    expect(() => c.node('a').proposeConfChange({ type: 'promote', node: 'b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONF_CHANGE' }),
    );
    expect(() => c.node('b').proposeConfChange({ type: 'remove', node: 'c' })).toThrow(
      expect.objectContaining({ code: 'NOT_LEADER' }),
    );
  });
});
