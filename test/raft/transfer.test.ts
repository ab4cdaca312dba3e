import { describe, expect, it } from 'vitest';
import { ScriptedCluster } from './scripted-cluster.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('§3.10 leadership transfer', () => {
  it('hands leadership to an up-to-date follower with TimeoutNow', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    const term = c.node('a').term;
    c.act('a', (n) => n.transferLeadership('b'));
    expect(c.leaders()).toEqual(['b']);
    expect(c.node('b').term).toBe(term + 1);
    expect(c.delivered.some((m) => m.type === 'timeout-now' && m.to === 'b')).toBe(true);
  });

  it('catches a lagging target up first, refusing proposals meanwhile', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.isolate('c');
    c.propose('a', 'x');
    c.act('a', (n) => n.transferLeadership('c'));
    expect(() => c.node('a').propose(enc('y'))).toThrow(
      expect.objectContaining({ code: 'TRANSFER_IN_PROGRESS' }),
    );
    c.heal();
    c.tickAll(2);
    expect(c.leaders()).toEqual(['c']);
    expect(c.applied.get('c')).toEqual(['x']);
  });

  it('abandons a transfer that cannot finish within an election timeout', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    c.isolate('c');
    c.act('a', (n) => n.transferLeadership('c'));
    c.tick('a', 10);
    expect(c.node('a').role).toBe('leader');
    expect(() => c.propose('a', 'z')).not.toThrow();
  });

  it('refuses a target that is not a voter', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    expect(() => c.node('a').transferLeadership('nobody')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
