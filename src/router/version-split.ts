/**
 * Canary and blue-green splits (`RoutingPolicy.versionWeights`): choose a
 * version by weight first, then the strategy chooses an instance of it. A
 * version with no eligible instance right now gets no share, and its weight
 * goes to the others in proportion — a canary whose instances all failed
 * sends its traffic to the stable version rather than answering 503. Versions
 * the map does not name get nothing.
 */

import type { Instance } from '../registry/types.ts';

/**
 * The candidates of the version that `point` (in [0, 1)) falls on, or
 * `undefined` when no named version with a positive weight has a candidate.
 */
export function splitByVersion(
  candidates: readonly Instance[],
  versionWeights: Readonly<Record<string, number>>,
  point: number,
): Instance[] | undefined {
  const groups = new Map<string, Instance[]>();
  for (const c of candidates) {
    if (c.version === null || !(versionWeights[c.version]! > 0)) continue;
    const g = groups.get(c.version);
    if (g === undefined) groups.set(c.version, [c]);
    else g.push(c);
  }
  if (groups.size === 0) return undefined;
  // Sorted so that a point maps to the same version whatever order the instances came in.
  const versions = [...groups.keys()].sort();
  const total = versions.reduce((sum, v) => sum + versionWeights[v]!, 0);
  let target = point * total;
  for (const v of versions) {
    target -= versionWeights[v]!;
    if (target < 0) return groups.get(v);
  }
  return groups.get(versions[versions.length - 1]!);
}
