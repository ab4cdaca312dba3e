/**
 * `flotilla member list|add|remove`: the SDK's membership calls on the
 * command line (etcdctl's `member list|add|remove`). Tables by default,
 * the SDK's answer with `--json`.
 */

import type { MemberList } from '../protocol/client-protocol.ts';
import { type CommonOptions, withClient } from './client-commands.ts';
import { printJson, printLine, table } from './output.ts';

function printMembers(list: MemberList): void {
  printLine(
    table(
      ['ID', 'ADDRESS', 'PEER ADDRESS', 'ROLE', 'LEADER'],
      list.members.map((m) => [
        m.id,
        m.address,
        m.peerAddress,
        m.voter ? 'voter' : 'learner',
        m.id === list.leaderId ? 'yes' : '',
      ]),
    ),
  );
}

export async function memberList(opts: CommonOptions & { readonly stale?: boolean }): Promise<void> {
  const consistency = opts.stale === true ? 'stale' : 'linearizable';
  const list = await withClient(opts, (c) => c.cluster.members({ consistency }));
  if (opts.json === true) return printJson(list);
  printMembers(list);
}

export async function memberAdd(
  id: string,
  address: string,
  opts: CommonOptions & { readonly peerAddress?: string },
): Promise<void> {
  const added = await withClient(opts, (c) =>
    c.cluster.addMember({
      id,
      address,
      ...(opts.peerAddress === undefined ? {} : { peerAddress: opts.peerAddress }),
    }),
  );
  if (opts.json === true) return printJson(added);
  printLine(`added ${id} at ${address} as a learner; it becomes a voter once it has caught up`);
  printLine(
    `start it with: flotilla start --id ${id} --join -c <cluster file listing ${id} and the current members>`,
  );
}

export async function memberRemove(id: string, opts: CommonOptions): Promise<void> {
  const list = await withClient(opts, (c) => c.cluster.removeMember(id));
  if (opts.json === true) return printJson(list);
  printLine(`removed ${id}; stop its process (it no longer takes part)`);
  printMembers(list);
}
