/**
 * A fault schedule: plain data that fast-check generates and shrinks, that
 * the runner executes, and that prints as a readable timeline.
 */

/** A node by slot in the cluster's node list (wrapping around), or whoever leads when the event fires. */
export type NodeRef = number | 'leader';

/** One fault or client action. Times are in ticks of a normal node. */
export type FaultEvent =
  /** Symmetric partition: nodes on different sides cannot talk. Replaces the current topology. */
  | { readonly kind: 'partition'; readonly sides: readonly number[] }
  /** One-way block: from → to is cut, to → from stays open. Adds to the topology. */
  | { readonly kind: 'block'; readonly from: NodeRef; readonly to: NodeRef }
  /** Cuts one node (e.g. the leader) off from everyone. Replaces the topology. */
  | { readonly kind: 'isolate'; readonly node: NodeRef }
  /** Splits the others in two halves by `sides`; `node` still reaches both. Replaces the topology. */
  | { readonly kind: 'bridge'; readonly node: NodeRef; readonly sides: readonly number[] }
  /** Adds `extra` time units of latency to one directed link. */
  | { readonly kind: 'delay'; readonly from: NodeRef; readonly to: NodeRef; readonly extra: number }
  /** Opens every link and removes link delays. */
  | { readonly kind: 'heal' }
  /** Loss and duplication rates (percent), the latency ceiling (time units), and whether links stay FIFO. */
  | {
      readonly kind: 'network';
      readonly dropPct: number;
      readonly dupPct: number;
      readonly maxLatency: number;
      readonly reorder: boolean;
    }
  | { readonly kind: 'crash'; readonly node: NodeRef }
  | { readonly kind: 'restart'; readonly node: NodeRef }
  /** The node ticks `factor` times less often and handles messages only when it ticks (factor 1: normal again). */
  | { readonly kind: 'slow'; readonly node: NodeRef; readonly factor: number }
  | { readonly kind: 'propose'; readonly count: number }
  | { readonly kind: 'read'; readonly node: NodeRef }
  /** Asks the leader to hand over to the `to`-th other voter of its configuration (wrapping). */
  | { readonly kind: 'transfer'; readonly to: number }
  /** Starts a new node and asks the leader to add it as a learner and promote it. */
  | { readonly kind: 'add-node' }
  /**
   * Each of the next `count` newly elected leaders gets a proposal at once and
   * is crashed (or isolated) `after` time units into its term, mid-replication
   * of its first entries: the set-up of the paper's Figure 8.
   */
  | {
      readonly kind: 'depose';
      /** Depose when the leader first moves its commit index, rather than `after` time units. */
      readonly onCommit: boolean;
      readonly count: number;
      readonly how: 'crash' | 'isolate';
      readonly after: number;
    }
  /** Asks the leader to remove a voter (only while more than three remain). */
  | { readonly kind: 'remove'; readonly node: NodeRef };

export type TimedEvent = FaultEvent & { readonly at: number };

/** Raft options a schedule varies. */
export interface ScheduleRaftOptions {
  readonly electionTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxInflight: number;
  readonly maxEntriesPerMessage: number;
  readonly snapshotChunkBytes: number;
}

export interface Schedule {
  /** Founding voters. */
  readonly nodes: number;
  /** Drives latency draws, losses, election jitter and client choices. */
  readonly seed: number;
  readonly raft: ScheduleRaftOptions;
  /** Each node compacts once this many entries were applied since its last snapshot. */
  readonly snapshotThreshold: number;
  /** Whether links reorder messages from the start (a fault: FIFO again once everything heals). */
  readonly reorder: boolean;
  /** Filler bytes per snapshot (with small chunks, a snapshot takes several messages). */
  readonly snapshotPadding: number;
  /** Time units a Ready's durable write takes; 0 for the synchronous Ready loop (see NodeSettings). */
  readonly persistDelay: number;
  /** A client proposes one entry every this many ticks during the fault phase (0: only `propose` events). */
  readonly workEvery: number;
  /** A client asks a ReadIndex every this many ticks, of each node in turn (0: only `read` events). */
  readonly readEvery: number;
  /** Length of the fault phase in ticks; everything heals at its end, then liveness is checked. */
  readonly duration: number;
  /** Sorted by `at`, all below `duration`. */
  readonly events: readonly TimedEvent[];
}

/** Virtual time units per tick of a normal node. */
export const TICK_UNITS = 10;

/** Liveness bound after healing, in election timeouts. */
export const LIVENESS_ELECTION_TIMEOUTS = 20;

/** A multi-line, human-readable rendering (what fast-check prints for a counterexample). */
export function describeSchedule(schedule: Schedule): string {
  const { raft } = schedule;
  const slots = Math.min(7, schedule.nodes + schedule.events.filter((e) => e.kind === 'add-node').length);
  const header =
    `${schedule.nodes} nodes, seed ${schedule.seed}, election ${raft.electionTicks} ticks, ` +
    `pre-vote ${onOff(raft.preVote)}, check-quorum ${onOff(raft.checkQuorum)}, inflight ${raft.maxInflight}, ` +
    `batch ${raft.maxEntriesPerMessage}, snapshot chunk ${raft.snapshotChunkBytes}B, ` +
    `snapshot every ${schedule.snapshotThreshold} (+${schedule.snapshotPadding}B), ` +
    (schedule.persistDelay > 0 ? `writes take ${schedule.persistDelay}, ` : 'synchronous writes, ') +
    (schedule.reorder ? 'reordering links, ' : 'FIFO links, ') +
    (schedule.workEvery > 0 ? `a proposal every ${schedule.workEvery} ticks` : 'no background proposals') +
    (schedule.readEvery > 0 ? `, a read every ${schedule.readEvery} ticks` : '');
  const lines = schedule.events.map((e) => `  @${String(e.at).padStart(3)} ${describeEvent(e, slots)}`);
  lines.push(
    `  @${String(schedule.duration).padStart(3)} heal everything, restart every node, check liveness`,
  );
  return `Schedule(${header}\n${lines.join('\n')})`;
}

export function describeEvent(event: FaultEvent, slots: number): string {
  switch (event.kind) {
    case 'partition':
      return `partition ${describeSides(event.sides, slots, undefined)}`;
    case 'block':
      return `block ${ref(event.from)} → ${ref(event.to)} (one-way)`;
    case 'isolate':
      return `isolate ${ref(event.node)}`;
    case 'bridge':
      return `bridge ${ref(event.node)} between ${describeSides(event.sides, slots, event.node)}`;
    case 'delay':
      return `delay ${ref(event.from)} → ${ref(event.to)} by +${event.extra}`;
    case 'heal':
      return 'heal the network';
    case 'network':
      return (
        `network drop ${event.dropPct}% dup ${event.dupPct}% latency 1..${event.maxLatency}` +
        (event.reorder ? ', reordering' : ', FIFO links')
      );
    case 'crash':
      return `crash ${ref(event.node)}`;
    case 'restart':
      return `restart ${ref(event.node)}`;
    case 'slow':
      return event.factor > 1
        ? `slow ${ref(event.node)} ×${event.factor}`
        : `normal pace for ${ref(event.node)}`;
    case 'propose':
      return `propose ${event.count}`;
    case 'read':
      return `readIndex on ${ref(event.node)}`;
    case 'transfer':
      return `transfer leadership to the leader's voter #${event.to + 1} (of the others)`;
    case 'add-node':
      return 'add a new node (learner, promoted when caught up)';
    case 'remove':
      return `remove ${ref(event.node)}`;
    case 'depose': {
      const when = event.onCommit
        ? 'the moment it first commits'
        : `${event.after} time units after a proposal`;
      return `${event.how} each of the next ${event.count} new leaders ${when}`;
    }
  }
}

function ref(node: NodeRef): string {
  return node === 'leader' ? 'the leader' : `n${node + 1}`;
}

function onOff(flag: boolean): string {
  return flag ? 'on' : 'off';
}

function describeSides(sides: readonly number[], slots: number, except: NodeRef | undefined): string {
  const groups = new Map<number, string[]>();
  for (let k = 0; k < slots; k++) {
    if (k === except) continue;
    const side = sides[k % sides.length] ?? 0;
    groups.set(side, [...(groups.get(side) ?? []), `n${k + 1}`]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, ids]) => `{${ids.join(' ')}}`)
    .join(' | ');
}
