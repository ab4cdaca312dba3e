/**
 * Committed entries per second of a 3-node in-memory cluster: the Raft core
 * alone (no disk, no sockets), so later layers can be judged against it.
 *
 *   npm run bench:core [-- --entries N] [--seconds S] [--batch B] [--json]
 *
 * "unbatched" proposes one 100-byte entry and drives the cluster until it
 * commits before proposing the next; "batched" proposes B entries between two
 * Readies, so they share one write and one AppendEntries per follower. Each
 * mode runs for at least N entries and S seconds (defaults 20,000 and 2).
 */
import { parseArgs } from 'node:util';
import { RaftCore } from '../../raft/core/raft.ts';
import { seededRng } from '../../raft/core/rng.ts';
import type { Message } from '../../raft/core/types.ts';
import { MemoryStorage } from '../../raft/storage/memory.ts';

interface Node {
  readonly core: RaftCore;
  readonly storage: MemoryStorage;
}

class BenchCluster {
  readonly nodes = new Map<string, Node>();
  private queue: Message[] = [];

  constructor(ids: readonly string[]) {
    for (const [k, id] of ids.entries()) {
      const core = new RaftCore({
        id,
        rng: seededRng(k + 1),
        bootstrap: ids,
        maxUncommittedEntries: 1 << 20,
      });
      this.nodes.set(id, { core, storage: new MemoryStorage() });
    }
    const first = this.nodes.get(ids[0]!)!.core;
    while (first.role !== 'leader') {
      first.tick();
      this.settle();
    }
  }

  private drain(node: Node): void {
    while (node.core.hasReady()) {
      const rd = node.core.ready();
      node.storage.persistReadySync(rd);
      for (const m of rd.messages) this.queue.push(m);
      node.core.advance(rd);
    }
  }

  /** Delivers messages until the cluster is quiet. */
  settle(): void {
    for (const node of this.nodes.values()) this.drain(node);
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        const node = this.nodes.get(m.to)!;
        node.core.step(m);
        this.drain(node);
      }
    }
  }
}

interface Result {
  readonly mode: string;
  readonly batch: number;
  readonly entries: number;
  readonly seconds: number;
  readonly entriesPerSecond: number;
}

/** Proposes `batch` entries at a time until at least `minEntries` committed and `minSeconds` passed. */
function run(mode: string, minEntries: number, batch: number, minSeconds: number): Result {
  const cluster = new BenchCluster(['n1', 'n2', 'n3']);
  const leader = cluster.nodes.get('n1')!.core;
  const payload = new Uint8Array(100).fill(7);
  const start = process.hrtime.bigint();
  let entries = 0;
  let seconds = 0;
  while (entries < minEntries || seconds < minSeconds) {
    let last = 0;
    for (let k = 0; k < batch; k++) last = leader.propose(payload).index;
    cluster.settle();
    if (leader.commitIndex < last) throw new Error(`entry ${last} did not commit`);
    entries += batch;
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { mode, batch, entries, seconds, entriesPerSecond: entries / seconds };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      entries: { type: 'string', default: '20000' },
      seconds: { type: 'string', default: '2' },
      batch: { type: 'string', default: '100' },
      json: { type: 'boolean', default: false },
    },
  });
  const entries = Number(values.entries);
  const batch = Number(values.batch);
  const minSeconds = Number(values.seconds);
  if (!Number.isInteger(entries) || entries < 1 || !Number.isInteger(batch) || batch < 1) {
    process.stderr.write('bench:core: --entries and --batch must be positive integers\n');
    process.exit(2);
  }
  run('warm-up', Math.min(entries, 5000), batch, 0.2);
  const unbatched = run('unbatched', entries, 1, minSeconds);
  const batched = run('batched', entries, batch, minSeconds);
  const results = [unbatched, batched];
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write('mode        batch   entries   seconds   entries/s\n');
  for (const r of results) {
    process.stdout.write(
      `${r.mode.padEnd(10)}  ${String(r.batch).padStart(5)}  ${String(r.entries).padStart(8)}  ${r.seconds.toFixed(3).padStart(8)}  ${Math.round(r.entriesPerSecond).toString().padStart(10)}\n`,
    );
  }
  process.stdout.write(
    `batched/unbatched: ${(batched.entriesPerSecond / unbatched.entriesPerSecond).toFixed(1)}x (3 nodes, 100-byte entries, ${process.version})\n`,
  );
}

main();
