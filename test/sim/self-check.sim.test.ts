import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RaftOptions } from '../../raft/core/config.ts';
import { RaftCore } from '../../raft/core/raft.ts';
import type { ConfChange, Message, NodeId, PersistedState, Ready } from '../../raft/core/types.ts';
import { runSchedule } from '../support/sim/run-schedule.ts';
import { DEFAULT_SHAPE, scheduleArbitrary } from '../support/sim/schedule-arbitrary.ts';
import type { CoreFactory, SimCore } from '../support/sim/sim-core.ts';
import type { ViolationKind } from '../support/sim/violations.ts';

/** A defect injected at the core's boundary: rewrite each Ready it hands out, or each message it is fed. */
interface Tamper {
  readonly ready?: (ready: Ready, core: RaftCore) => Ready;
  readonly incoming?: (message: Message) => Message;
}

class TamperedCore implements SimCore {
  readonly #core: RaftCore;
  readonly #tamper: Tamper;

  constructor(core: RaftCore, tamper: Tamper) {
    this.#core = core;
    this.#tamper = tamper;
  }
  get id(): NodeId {
    return this.#core.id;
  }
  get term() {
    return this.#core.term;
  }
  get role() {
    return this.#core.role;
  }
  get leader() {
    return this.#core.leader;
  }
  get commitIndex() {
    return this.#core.commitIndex;
  }
  get appliedIndex() {
    return this.#core.appliedIndex;
  }
  get lastIndex() {
    return this.#core.lastIndex;
  }
  get snapshotMeta() {
    return this.#core.snapshotMeta;
  }
  get conf() {
    return this.#core.conf;
  }
  termAt(index: number) {
    return this.#core.termAt(index);
  }
  tick() {
    this.#core.tick();
  }
  step(message: Message) {
    this.#core.step(this.#tamper.incoming?.(message) ?? message);
  }
  peerLost(id: NodeId) {
    this.#core.peerLost(id);
  }
  propose(data: Uint8Array) {
    return this.#core.propose(data);
  }
  proposeConfChange(change: ConfChange) {
    return this.#core.proposeConfChange(change);
  }
  readIndex(ctx: string) {
    this.#core.readIndex(ctx);
  }
  transferLeadership(to: NodeId) {
    this.#core.transferLeadership(to);
  }
  compact(index: number, data: Uint8Array) {
    this.#core.compact(index, data);
  }
  hasReady() {
    return this.#core.hasReady();
  }
  ready() {
    const ready = this.#core.ready();
    return this.#tamper.ready?.(ready, this.#core) ?? ready;
  }
  advance(ready: Ready) {
    this.#core.advance(ready);
  }
}

function tampered(tamper: Tamper): CoreFactory {
  return (options: RaftOptions, persisted?: PersistedState) =>
    new TamperedCore(new RaftCore(options, persisted), tamper);
}

function mapMessages(ready: Ready, fn: (m: Message) => Message): Ready {
  return { ...ready, messages: ready.messages.map(fn) };
}

/**
 * The violation kinds of the first schedule (of up to `runs`, mixed, 3 and 5
 * nodes) that breaks a safety invariant; liveness-only failures are skipped.
 */
function firstViolationKinds(factory: CoreFactory, runs: number): ViolationKind[] {
  const arbitrary = fc.oneof(
    scheduleArbitrary({ ...DEFAULT_SHAPE, nodes: 3 }),
    scheduleArbitrary({ ...DEFAULT_SHAPE, nodes: 5 }),
  );
  for (const schedule of fc.sample(arbitrary, { seed: 0x5e1f, numRuns: runs })) {
    const result = runSchedule(schedule, factory);
    const kinds = result.violations.map((v) => v.kind);
    if (kinds.some((k) => k !== 'liveness' && k !== 'catch-up')) return kinds;
  }
  return [];
}

describe('the simulator catches a broken core', () => {
  it('that grants votes without making them durable', () => {
    const factory = tampered({
      ready: (rd) => (rd.hardState === undefined ? rd : { ...rd, hardState: { ...rd.hardState, vote: '' } }),
    });
    expect(firstViolationKinds(factory, 50)).toContain('persistence-order');
  });

  it('whose candidates count every vote response as granted', () => {
    const factory = tampered({ incoming: (m) => (m.type === 'vote-resp' ? { ...m, granted: true } : m) });
    const kinds = firstViolationKinds(factory, 300);
    expect(kinds.some((k) => k === 'election-safety' || k === 'leader-completeness')).toBe(true);
  });

  it('whose heartbeats let followers commit past what they are known to hold', () => {
    const factory = tampered({
      ready: (rd, core) =>
        mapMessages(rd, (m) => (m.type === 'heartbeat' ? { ...m, commit: core.commitIndex } : m)),
    });
    const kinds = firstViolationKinds(factory, 300);
    expect(kinds.some((k) => k === 'commit-mismatch' || k === 'state-machine-safety')).toBe(true);
  });

  it('that answers reads with a stale index', () => {
    const factory = tampered({
      ready: (rd) => ({
        ...rd,
        readStates: rd.readStates.map((r) => ({ ...r, index: Math.max(0, r.index - 2) })),
      }),
    });
    expect(firstViolationKinds(factory, 300)).toContain('read-linearizability');
  });

  it('that skips a committed entry', () => {
    const factory = tampered({
      ready: (rd) => (rd.committed.length >= 2 ? { ...rd, committed: rd.committed.slice(1) } : rd),
    });
    expect(firstViolationKinds(factory, 100)).toContain('applied-order');
  });

  it('that corrupts snapshot chunks', () => {
    const factory = tampered({
      ready: (rd) =>
        mapMessages(rd, (m) =>
          m.type === 'snapshot' && m.data.length > 0 ? { ...m, data: m.data.map((b) => b ^ 1) } : m,
        ),
    });
    expect(firstViolationKinds(factory, 300)).toContain('snapshot-corrupt');
  });
});
