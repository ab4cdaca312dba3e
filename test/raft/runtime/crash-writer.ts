/**
 * Child process for crash-recovery.test.ts. A single-node cluster on the
 * node's storage in argv[2] (the WAL; LevelDB for a directory that has one;
 * CRASH_WRITER_SEGMENT_BYTES sets the WAL's segment size).
 *   mode "write":  proposes as fast as it can (64 in flight) and prints
 *                  `ack <index> <value>` for every acknowledged proposal,
 *                  until it is killed.
 *   mode "verify": applies everything committed and prints the FSM's items
 *                  as one JSON line, then exits.
 * Corrupt data ends it with exit code 2 (startOrExit), as a real node.
 */
import { startOrExit } from '../../../raft/runtime/node-main.ts';
import { RaftServer } from '../../../raft/runtime/raft-server.ts';
import { openNodeStorage } from '../../../raft/storage/open-node-storage.ts';
import { MemoryNetwork } from '../../../raft/transport/memory-transport.ts';
import { ListFsm } from './cluster-fixture.ts';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'write' && mode !== 'verify')) {
  process.stderr.write('usage: crash-writer.ts DIR write|verify\n');
  process.exit(2);
}

const fsm = new ListFsm();
const logger = {
  info: () => {},
  warn: (obj: object, msg: string) => process.stderr.write(`warn: ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj: object, msg: string) => process.stderr.write(`error: ${msg} ${JSON.stringify(obj)}\n`),
};
const server = await startOrExit(async () =>
  RaftServer.start<number>({
    raft: { id: 'solo', bootstrap: ['solo'], electionTicks: 2, heartbeatTicks: 1 },
    storage: await openNodeStorage(dir, {
      logger,
      ...(process.env.CRASH_WRITER_SEGMENT_BYTES
        ? { segmentBytes: Number(process.env.CRASH_WRITER_SEGMENT_BYTES) }
        : {}),
    }),
    transport: new MemoryNetwork().transport('solo'),
    fsm,
    tickMs: 5,
    snapshotEntries: 300,
  }),
);
await new Promise<void>((resolve) => {
  const check = (): void => {
    if (server.status().role === 'leader') resolve();
    else setTimeout(check, 2);
  };
  check();
});
// A barrier on the new term's no-op: once it is applied, everything acknowledged before the crash is
// applied too. The commit index on disk can be behind what was acknowledged (the leader answers
// while it writes the commit index, which is never fsynced on its own), so a leader that has just
// restarted is not caught up until an entry of its own term commits.
await server.readIndex();

if (mode === 'verify') {
  process.stdout.write(`${JSON.stringify(fsm.items)}\n`);
  await server.close();
  process.exit(0);
}

let next = fsm.items.length;
const propose = (): void => {
  const value = `w${next++}`;
  server.propose(new TextEncoder().encode(value)).then(
    (count) => {
      process.stdout.write(`ack ${count} ${value}\n`);
      propose();
    },
    (error: unknown) => {
      process.stderr.write(`proposal failed: ${String(error)}\n`);
      process.exit(3);
    },
  );
};
for (let k = 0; k < 64; k++) propose();
