import { describe, expect, it } from 'vitest';
import { ScriptedCluster } from './scripted-cluster.ts';

describe('smoke', () => {
  it('elects, replicates and applies on three nodes', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.campaign('a');
    expect(c.leaders()).toEqual(['a']);
    c.propose('a', 'x');
    c.propose('a', 'y');
    c.tickAll(2);
    for (const id of ['a', 'b', 'c']) expect(c.applied.get(id)).toEqual(['x', 'y']);
  });
});
