import { describe, expect, it } from 'vitest';
import type { Entry, HardState, Message, Ready, Role, SnapshotMeta } from '../../../raft/core/types.ts';
import { MemoryStorage } from '../../../raft/storage/memory.ts';
import { HashChainFsm } from '../../support/sim/hash-chain-fsm.ts';
import { InvariantChecker } from '../../support/sim/invariant-checker.ts';
import type { NodeView } from '../../support/sim/node-view.ts';

/** A hand-made node: `log[k]` is the term of entry k+1. */
function node(
  id: string,
  role: Role,
  term: number,
  log: number[],
  more: { leader?: string; commit?: number; applied?: number; snapshot?: SnapshotMeta } = {},
): NodeView {
  const snapIndex = more.snapshot?.index ?? 0;
  return {
    id,
    role,
    term,
    leader: more.leader ?? (role === 'leader' ? id : ''),
    commitIndex: more.commit ?? 0,
    appliedIndex: more.applied ?? 0,
    lastIndex: log.length,
    snapshotMeta: more.snapshot,
    termAt: (i) => (i === 0 ? 0 : i < snapIndex ? undefined : log[i - 1]),
  };
}

const entry = (index: number, term: number, text: string): Entry => ({
  type: 'normal',
  index,
  term,
  data: Buffer.from(text),
});

function ready(parts: { entries?: Entry[]; hardState?: HardState; messages?: Message[] }): Ready {
  return {
    entries: parts.entries ?? [],
    messages: parts.messages ?? [],
    committed: [],
    readStates: [],
    droppedReads: [],
    ...(parts.hardState === undefined ? {} : { hardState: parts.hardState }),
  };
}

function persist(checker: InvariantChecker, id: string, storage: MemoryStorage, rd: Ready): void {
  const tail = checker.beforePersist(storage, rd);
  storage.persistReadySync(rd);
  checker.afterPersist(id, storage, rd, tail);
}

function kinds(checker: InvariantChecker): string[] {
  return checker.log.list.map((v) => v.kind);
}

describe('InvariantChecker on hand-made traces', () => {
  it('accepts a clean election, replication and apply', () => {
    const checker = new InvariantChecker();
    const [s1, s2] = [new MemoryStorage(), new MemoryStorage()];
    persist(
      checker,
      'n1',
      s1,
      ready({ entries: [entry(1, 1, 'a')], hardState: { term: 1, vote: 'n1', commit: 0 } }),
    );
    persist(
      checker,
      'n2',
      s2,
      ready({ entries: [entry(1, 1, 'a')], hardState: { term: 1, vote: 'n1', commit: 0 } }),
    );
    checker.attach(node('n1', 'leader', 1, [1], { commit: 1, applied: 1 }));
    checker.attach(node('n2', 'follower', 1, [1], { leader: 'n1', commit: 1 }));
    const [f1, f2] = [new HashChainFsm(), new HashChainFsm()];
    for (const [id, fsm] of [
      ['n1', f1],
      ['n2', f2],
    ] as const) {
      const before = fsm.state;
      fsm.apply(entry(1, 1, 'a'));
      checker.onApply(id, entry(1, 1, 'a'), before, fsm.state);
    }
    checker.onReadRequest('r1');
    checker.onReadState('n1', { ctx: 'r1', index: 1 });
    expect(checker.log.list).toEqual([]);
  });

  it('catches two leaders in one term', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1, 2]));
    checker.attach(node('n2', 'leader', 2, [1, 2]));
    expect(kinds(checker)).toEqual(['election-safety']);
    expect(checker.log.list[0]!.message).toMatch(/second leader of term 2 \(first: n1\)/);
  });

  it('catches a follower naming a leader that never led its term', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1]));
    checker.attach(node('n2', 'follower', 3, [1], { leader: 'n1' }));
    expect(kinds(checker)).toEqual(['phantom-leader']);
  });

  it('catches a new leader that lacks a committed entry, unless a snapshot covers it', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1, 2, 2], { commit: 3 }));
    checker.attach(node('n3', 'leader', 4, [1, 2, 2, 3], { snapshot: { index: 4, term: 3, conf: conf() } }));
    expect(checker.ok).toBe(true);
    checker.attach(node('n2', 'leader', 3, [1, 2]));
    expect(kinds(checker)).toEqual(['leader-completeness']);
    expect(checker.log.list[0]!.message).toMatch(
      /lacks entry 3 \(term 2\) committed by the leader of term 2/,
    );
  });

  it('catches a commit made by an old leader that a newer leader lacks', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1, 2, 2], { commit: 1 }));
    checker.attach(node('n2', 'leader', 3, [1, 2]));
    expect(checker.ok).toBe(true);
    checker.attach(node('n1', 'leader', 2, [1, 2, 2], { commit: 3 }));
    expect(kinds(checker)).toEqual(['leader-completeness']);
  });

  it('catches a live commit index going down, but not across a restart', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'follower', 1, [1, 1, 1], { commit: 3 }));
    checker.detach('n1');
    checker.attach(node('n1', 'follower', 1, [1, 1, 1], { commit: 2 }));
    expect(checker.ok).toBe(true);
    checker.attach(node('n1', 'follower', 1, [1, 1, 1], { commit: 1 }));
    expect(kinds(checker)).toEqual(['commit-regressed']);
  });

  it('catches a commit index pointing at another entry than the committed one', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1, 2], { commit: 2 }));
    checker.attach(node('n2', 'follower', 3, [1, 3], { commit: 2 }));
    expect(kinds(checker)).toEqual(['commit-mismatch']);
  });

  it('catches two entries with one index and term, and one entry after two different logs', () => {
    const checker = new InvariantChecker();
    persist(checker, 'n1', new MemoryStorage(), ready({ entries: [entry(1, 1, 'p'), entry(2, 2, 'x')] }));
    persist(checker, 'n2', new MemoryStorage(), ready({ entries: [entry(1, 2, 'q'), entry(2, 2, 'x')] }));
    persist(checker, 'n3', new MemoryStorage(), ready({ entries: [entry(1, 1, 'p'), entry(2, 2, 'y')] }));
    expect(kinds(checker)).toEqual(['log-matching', 'log-matching']);
    expect(checker.log.list[0]!.message).toMatch(/follows an entry of term 2 here but of term 1 on n1/);
    expect(checker.log.list[1]!.message).toMatch(/is data\(y\) here but data\(x\) on n1/);
  });

  it('catches a committed entry overwritten in a durable log', () => {
    const checker = new InvariantChecker();
    const storage = new MemoryStorage();
    persist(checker, 'n2', storage, ready({ entries: [entry(1, 1, 'a'), entry(2, 1, 'b')] }));
    checker.attach(node('n1', 'leader', 1, [1, 1], { commit: 2 }));
    persist(checker, 'n2', storage, ready({ entries: [entry(2, 3, 'c')] }));
    expect(kinds(checker)).toEqual(['committed-entry-lost']);
  });

  it('catches durable entries dropped without a conflict', () => {
    const checker = new InvariantChecker();
    const storage = new MemoryStorage();
    persist(
      checker,
      'n2',
      storage,
      ready({ entries: [entry(1, 1, 'a'), entry(2, 1, 'b'), entry(3, 1, 'c')] }),
    );
    persist(checker, 'n2', storage, ready({ entries: [entry(2, 1, 'b')] }));
    expect(kinds(checker)).toEqual(['durable-log-truncated']);
    persist(checker, 'n2', storage, ready({ entries: [entry(2, 2, 'z')] }));
    expect(kinds(checker)).toEqual(['durable-log-truncated']);
  });

  it('catches messages that vouch for state not yet durable', () => {
    const checker = new InvariantChecker();
    const storage = new MemoryStorage();
    const base = { from: 'n2', to: 'n1' };
    persist(
      checker,
      'n2',
      storage,
      ready({
        entries: [entry(1, 1, 'a')],
        hardState: { term: 2, vote: '', commit: 0 },
        messages: [
          { ...base, type: 'vote-resp', term: 2, granted: true },
          { ...base, type: 'append-resp', term: 2, success: true, index: 3, hintTerm: 0, hintIndex: 0 },
          { ...base, type: 'heartbeat-resp', term: 3, ctx: '' },
          { ...base, type: 'pre-vote-resp', term: 3, granted: true },
          { ...base, type: 'append-resp', term: 2, success: true, index: 1, hintTerm: 0, hintIndex: 0 },
        ],
      }),
    );
    expect(kinds(checker)).toEqual(['persistence-order', 'persistence-order', 'persistence-order']);
  });

  it('lets a Ready carry answers of a term its durable state has moved past', () => {
    const checker = new InvariantChecker();
    const base = { from: 'n2', to: 'n1' };
    persist(
      checker,
      'n2',
      new MemoryStorage(),
      ready({
        hardState: { term: 3, vote: '', commit: 0 },
        messages: [
          { ...base, type: 'vote-resp', term: 2, granted: true },
          { ...base, type: 'append-resp', term: 2, success: true, index: 9, hintTerm: 0, hintIndex: 0 },
          { ...base, type: 'vote-resp', term: 3, granted: false },
        ],
      }),
    );
    expect(checker.log.list).toEqual([]);
  });

  it('catches different entries applied at one index, gaps, and backward snapshots', () => {
    const checker = new InvariantChecker();
    const apply = (id: string, fsm: HashChainFsm, e: Entry) => {
      const before = fsm.state;
      fsm.apply(e);
      checker.onApply(id, e, before, fsm.state);
    };
    const [f1, f2] = [new HashChainFsm(), new HashChainFsm()];
    apply('n1', f1, entry(1, 1, 'a'));
    apply('n2', f2, entry(1, 1, 'b'));
    expect(kinds(checker)).toEqual(['state-machine-safety']);
    apply('n1', f1, entry(3, 1, 'c'));
    expect(kinds(checker)).toContain('applied-order');
    const f3 = new HashChainFsm();
    f3.restore(f2.snapshot());
    checker.onRestore('n3', f3.state, 2);
    expect(kinds(checker).filter((k) => k === 'applied-order')).toHaveLength(2);
  });

  it('catches a snapshot whose chain differs from what was applied', () => {
    const checker = new InvariantChecker();
    const [f1, f2] = [new HashChainFsm(), new HashChainFsm()];
    const before = f1.state;
    f1.apply(entry(1, 1, 'a'));
    checker.onApply('n1', entry(1, 1, 'a'), before, f1.state);
    f2.restore(f1.snapshot());
    checker.onRestore('n2', { ...f2.state, chain: 'ffffffffffffffff' }, undefined);
    expect(kinds(checker)).toEqual(['state-machine-safety']);
  });

  it('catches a read answered below what was committed when it was asked', () => {
    const checker = new InvariantChecker();
    checker.attach(node('n1', 'leader', 2, [1, 2, 2], { commit: 3 }));
    checker.onReadRequest('r1');
    checker.onReadState('n1', { ctx: 'r1', index: 2 });
    expect(kinds(checker)).toEqual(['read-linearizability']);
  });
});

function conf() {
  return { voters: ['n1', 'n2', 'n3'], learners: [], promoting: [] };
}
