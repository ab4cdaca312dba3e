/**
 * Which live node runs an instance's checks: rendezvous (highest random
 * weight) hashing of (node, instance). Every node computes the same owner
 * from the same live set, and when a node dies only its instances move.
 */

import { createHash } from 'node:crypto';

function score(node: string, instance: string): bigint {
  return createHash('sha256').update(node).update('\0').update(instance).digest().readBigUInt64BE(0);
}

/** The owner of `instanceId` among `nodes` (undefined when there are none). */
export function ownerOf(instanceId: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const node of nodes) {
    const s = score(node, instanceId);
    if (s > bestScore || (s === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}
