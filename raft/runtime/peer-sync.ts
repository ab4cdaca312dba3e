import { members } from '../core/conf-change.ts';
import type { ConfState, NodeId } from '../core/types.ts';
import type { Transport } from '../transport/transport.ts';

/** Where to dial a member, or undefined while its address is unknown here. */
export type PeerAddressOf = (id: NodeId) => string | undefined;

/**
 * Makes the transport's peers the members of `conf` (thesis §4.1: a server
 * uses the latest configuration in its log at once): members gain a link (or
 * a changed address), peers that left the configuration lose theirs, so a
 * removed server gets nothing more from us.
 *
 * Two peers stay whatever the configuration says:
 * - all of them while the configuration is empty: a joining server knows no
 *   configuration until the leader reaches it, and answers through the peers
 *   it was started with;
 * - the leader we follow: a joining server replaying the log passes through
 *   old configurations that may predate the leader, and must still be able
 *   to acknowledge them or it would never receive the newer ones.
 * A member whose address is unknown keeps the link it has, if any.
 */
export function syncPeers(
  transport: Transport,
  self: NodeId,
  conf: ConfState,
  leader: NodeId,
  addressOf: PeerAddressOf,
): void {
  const wanted = new Set(members(conf));
  if (wanted.size === 0) return;
  for (const id of wanted) {
    if (id === self) continue;
    const address = addressOf(id);
    if (address !== undefined) transport.addPeer(id, address);
  }
  for (const id of [...transport.stats().peers.keys()]) {
    if (!wanted.has(id) && id !== leader) transport.removePeer(id);
  }
}
