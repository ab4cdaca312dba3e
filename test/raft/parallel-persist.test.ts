import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../raft/core/raft.ts';
import { seededRng } from '../../raft/core/rng.ts';
import { type AppendRequest, type Message, maySendBeforePersist, type Ready } from '../../raft/core/types.ts';
import { MemoryStorage } from '../../raft/storage/memory.ts';
import { ScriptedCluster } from './scripted-cluster.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Persists and advances a follower's Ready, returning what it would send. */
function followerHandles(core: RaftCore, storage: MemoryStorage): Message[] {
  const rd = core.ready();
  storage.persistReadySync(rd);
  core.advance(rd);
  return [...rd.messages];
}

describe('§10.2.1 the leader writes to its disk in parallel with replicating', () => {
  it('sends AppendEntries before its own write, yet commits only what a majority holds durably', () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const leader = cluster.node('a');
    const { index } = leader.propose(enc('x'));
    const rd: Ready = leader.ready();
    expect(rd.termDurable).toBe(true);
    const early = rd.messages.filter((m) => maySendBeforePersist(rd, m));
    const toB = early.find((m): m is AppendRequest => m.type === 'append' && m.to === 'b');
    expect(toB?.entries.map((e) => e.index)).toContain(index);

    // b stores the entry and acknowledges it while the leader's own write is still in progress.
    const b = cluster.node('b');
    b.step(toB!);
    const ack = followerHandles(b, cluster.storage.get('b')!).find((m) => m.type === 'append-resp');
    expect(ack).toMatchObject({ success: true, index });
    leader.step(ack!);
    // One durable copy of three: not committed yet.
    expect(leader.commitIndex).toBeLessThan(index);

    cluster.storage.get('a')!.persistReadySync(rd);
    leader.advance(rd);
    // The leader's own copy is durable now: with b's that is a majority.
    expect(leader.commitIndex).toBe(index);
  });

  it('holds every message back while its term or vote is not durable yet', () => {
    // A single voter with a learner wins its election within one Ready: the appends to the
    // learner carry a term the leader has not written, so they must wait for the write.
    const conf = { voters: ['a'], learners: ['l'], promoting: [] };
    const persisted = {
      hardState: { term: 1, vote: '', commit: 1 },
      entries: [{ type: 'conf', index: 1, term: 1, conf }] as const,
    };
    const storage = new MemoryStorage();
    storage.log.appendSync(persisted.entries);
    storage.stable.saveSync(persisted.hardState);
    const leader = new RaftCore(
      { id: 'a', electionTicks: 10, heartbeatTicks: 1, rng: seededRng(7) },
      persisted,
    );
    while (leader.role !== 'leader') leader.tick();
    const first = leader.ready();
    expect(first.hardState).toMatchObject({ term: 2, vote: 'a' });
    expect(first.termDurable).toBe(false);
    expect(first.messages.some((m) => m.type === 'append' && m.to === 'l')).toBe(true);
    expect(first.messages.filter((m) => maySendBeforePersist(first, m))).toEqual([]);
    storage.persistReadySync(first);
    leader.advance(first);

    leader.tick(); // a heartbeat round, now in a durable term
    const next = leader.ready();
    expect(next.termDurable).toBe(true);
    expect(next.messages.filter((m) => maySendBeforePersist(next, m)).map((m) => m.type)).toContain(
      'heartbeat',
    );
  });

  it("never sends a follower's acknowledgement before its write", () => {
    const cluster = new ScriptedCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const b = cluster.node('b');
    cluster.node('a').propose(enc('z'));
    const rd = cluster.node('a').ready();
    const append = rd.messages.find((m): m is AppendRequest => m.type === 'append' && m.to === 'b')!;
    b.step(append);
    const followerReady = b.ready();
    expect(followerReady.messages.some((m) => m.type === 'append-resp')).toBe(true);
    expect(followerReady.messages.filter((m) => maySendBeforePersist(followerReady, m))).toEqual([]);
  });
});
