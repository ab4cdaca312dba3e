/**
 * The transport's peers follow the configuration (RaftServer's `peerAddress`
 * option): a learner added at run time is dialed before its first message
 * leaves, a removed member is dropped everywhere, and a joining node keeps
 * the peers it started with until it knows a configuration.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { ConfState, NodeId } from '../../../raft/core/types.ts';
import { syncPeers } from '../../../raft/runtime/peer-sync.ts';
import { RaftServer } from '../../../raft/runtime/raft-server.ts';
import { MemoryStorage } from '../../../raft/storage/memory.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../raft/transport/memory-transport.ts';
import { enc, ListFsm, waitFor } from './cluster-fixture.ts';

const conf = (voters: NodeId[], learners: NodeId[] = []): ConfState => ({ voters, learners, promoting: [] });
const peersOf = (t: MemoryTransport) => [...t.stats().peers.keys()].sort();

describe('syncPeers', () => {
  const network = new MemoryNetwork();
  let n = 0;
  const transport = (peers: NodeId[]) => network.transport(`t${++n}`, { peers });

  it('adds every member it can address and drops peers outside the configuration', () => {
    const t = transport(['old']);
    syncPeers(t, t.id, conf([t.id, 'a'], ['l']), '', (id) => (id === 'nowhere' ? undefined : id));
    expect(peersOf(t)).toEqual(['a', 'l']);
  });

  it('keeps every peer while the configuration is empty (a joining node)', () => {
    const t = transport(['a', 'b']);
    syncPeers(t, t.id, conf([]), '', (id) => id);
    expect(peersOf(t)).toEqual(['a', 'b']);
  });

  it('keeps the leader it follows even when the configuration it replays predates it', () => {
    const t = transport(['leader', 'gone']);
    syncPeers(t, t.id, conf(['a']), 'leader', (id) => id);
    expect(peersOf(t)).toEqual(['a', 'leader']);
  });

  it('keeps the link of a member whose address is unknown', () => {
    const t = transport(['a']);
    syncPeers(t, t.id, conf(['a', 'b']), '', () => undefined);
    expect(peersOf(t)).toEqual(['a']);
  });
});

describe('RaftServer with peerAddress', () => {
  const network = new MemoryNetwork();
  const servers = new Map<NodeId, RaftServer<number>>();
  const transports = new Map<NodeId, MemoryTransport>();
  afterEach(async () => {
    for (const s of servers.values()) await s.close();
    servers.clear();
  });

  async function start(id: NodeId, bootstrap: NodeId[] | undefined, peers: NodeId[] = []): Promise<void> {
    const transport = network.transport(id, { peers });
    transports.set(id, transport);
    const server = await RaftServer.start<number>({
      raft: { id, electionTicks: 10, heartbeatTicks: 1, ...(bootstrap === undefined ? {} : { bootstrap }) },
      storage: new MemoryStorage(),
      transport,
      fsm: new ListFsm(),
      tickMs: 20,
      peerAddress: (peer) => `memory:${peer}`,
    });
    servers.set(id, server);
  }

  it('dials an added learner, lets a joiner answer through its starting peers, and drops a removed member', async () => {
    const founders = ['a', 'b', 'c'];
    for (const id of founders) await start(id, founders);
    for (const id of founders) expect(peersOf(transports.get(id)!)).toEqual(founders.filter((p) => p !== id));
    let leader: RaftServer<number> | undefined;
    await waitFor('a leader', () => {
      leader = [...servers.values()].find((s) => s.status().role === 'leader');
      return leader !== undefined;
    });
    await leader!.propose(enc('x'));

    await start('d', undefined, founders);
    await leader!.proposeConfChange({ type: 'add-learner', node: 'd', promote: true });
    await waitFor(
      'd promoted on every node, and dialed by the founders',
      () =>
        [...servers.values()].every((s) => s.status().conf.voters.includes('d')) &&
        founders.every((id) => peersOf(transports.get(id)!).includes('d')),
    );
    expect(peersOf(transports.get('d')!)).toEqual(founders);

    const removed = founders.find((id) => id !== leader!.id)!;
    await leader!.proposeConfChange({ type: 'remove', node: removed });
    await waitFor('every other node dropped the removed one', () =>
      [...transports].every(([id, t]) => id === removed || !peersOf(t).includes(removed)),
    );
    await leader!.propose(enc('after'));
  });
});
