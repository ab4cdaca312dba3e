/** Applying `member.put`: the address book of the cluster's members. */

import type { Outcome, RegistryState } from './registry-state.ts';
import type { MemberAddress } from './types.ts';

/**
 * Records (or replaces) where each member is reached. Not a watched change:
 * it emits no event and leaves the revision alone. Entries are never
 * deleted: who is a member is the Raft configuration's business, and a
 * stale entry is only read for an id the configuration names again.
 */
export function applyMemberPut(s: RegistryState, members: readonly MemberAddress[]): Outcome {
  for (const m of members) s.members.set(m.id, m);
  return {};
}
