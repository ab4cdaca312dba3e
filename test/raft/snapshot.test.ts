import { describe, expect, it } from 'vitest';
import type { Message, SnapshotRequest } from '../../raft/core/types.ts';
import { ScriptedCluster } from './scripted-cluster.ts';

const values = (n: number): string[] => Array.from({ length: n }, (_, k) => `v${k}`);

describe('§7 log compaction and InstallSnapshot', () => {
  it('compacts the log below the snapshot and keeps serving', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.snapshotEvery = 5;
    c.campaign('a');
    for (const v of values(12)) c.propose('a', v);
    c.tickAll(1);
    const a = c.node('a');
    expect(a.snapshotMeta?.index).toBeGreaterThan(5);
    expect(a.firstIndex).toBe(a.snapshotMeta!.index + 1);
    expect(a.termAt(1)).toBeUndefined();
    for (const id of ['a', 'b', 'c']) expect(c.applied.get(id)).toEqual(values(12));
  });

  it('a lagging follower catches up by a snapshot sent in chunks, even when a chunk is lost', () => {
    const c = new ScriptedCluster(['a', 'b', 'c'], { snapshotChunkBytes: 16 });
    c.snapshotEvery = 5;
    c.campaign('a');
    c.isolate('c');
    for (const v of values(20)) c.propose('a', v);
    c.heal();
    let lost = 0;
    c.intercept = (m) => (m.type === 'snapshot' && m.offset > 0 && lost++ === 0 ? undefined : m);
    c.tickAll(30); // the lost chunk is resent after about an election timeout without progress
    const chunks = c.delivered.filter((m): m is SnapshotRequest => m.type === 'snapshot' && m.to === 'c');
    expect(lost).toBeGreaterThan(0);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.at(-1)!.done).toBe(true);
    expect(c.applied.get('c')).toEqual(values(20));
    expect(c.node('c').snapshotMeta).toBeDefined();
  });

  it('a follower restarted after installing a snapshot recovers from it', () => {
    const c = new ScriptedCluster(['a', 'b', 'c']);
    c.snapshotEvery = 4;
    c.campaign('a');
    c.isolate('c');
    for (const v of values(10)) c.propose('a', v);
    c.heal();
    c.tickAll(5);
    c.crash('c');
    c.restart('c');
    expect(c.node('c').snapshotMeta).toBeDefined();
    c.propose('a', 'after');
    c.tickAll(2);
    expect(c.applied.get('c')).toEqual([...values(10), 'after']);
  });

  it('a new node joins as a learner, catches up by snapshot and is promoted', () => {
    const c = new ScriptedCluster(['a', 'b', 'c'], { snapshotChunkBytes: 32 });
    c.snapshotEvery = 5;
    c.campaign('a');
    for (const v of values(15)) c.propose('a', v);
    c.addNode('d', { snapshotChunkBytes: 32 }, 99);
    expect(c.node('d').conf.voters).toEqual([]); // a joiner knows nothing until the leader speaks
    c.act('a', (n) => n.proposeConfChange({ type: 'add-learner', node: 'd', promote: true }));
    c.tickAll(5);
    expect(c.delivered.some((m) => m.type === 'snapshot' && m.to === 'd')).toBe(true);
    expect(c.applied.get('d')).toEqual(values(15));
    expect(c.node('a').conf.voters).toEqual(['a', 'b', 'c', 'd']);
    expect(c.node('d').conf.voters).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a lagging follower finishes its snapshot while the leader keeps compacting under load', () => {
    // Every snapshot message and its ack take one step (one tick) to cross the network,
    // and the leader takes one proposal per tick and compacts every 5 applied entries.
    const c = new ScriptedCluster(['a', 'b', 'c'], { snapshotChunkBytes: 16 });
    c.snapshotEvery = 5;
    c.campaign('a');
    c.isolate('c');
    for (let k = 0; k < 20; k++) c.propose('a', `v${k}`);
    c.heal();
    const stuckAt = c.node('c').commitIndex;
    let held: Message[] = [];
    const released = new Set<Message>();
    c.intercept = (m) => {
      if ((m.type === 'snapshot' || m.type === 'snapshot-resp') && !released.has(m)) {
        held.push(m);
        return undefined;
      }
      return m;
    };
    for (let t = 0; t < 300; t++) {
      for (const m of held) released.add(m);
      c.pending().push(...held); // last step's snapshot traffic arrives now
      held = [];
      c.propose('a', `w${t}`);
      c.tickAll(1);
    }
    // Each compaction (every 5 ticks) must not restart the transfer in progress, or c never installs anything.
    expect(c.node('a').commitIndex).toBeGreaterThan(300);
    expect(c.node('c').commitIndex).toBeGreaterThan(stuckAt);
  });
});
