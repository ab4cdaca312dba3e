/**
 * Validation of member addresses: the arguments of `member.add` and of the
 * registry's `member.put`. Node ids follow the cluster file's rule, which
 * also fits the peer transport's handshake header.
 */

import { invalidArgument } from './errors.ts';
import type { MemberAddress } from './types.ts';
import { has, hostPort, list, record, str } from './validate-primitives.ts';

/** Node ids: a letter or digit, then up to 63 letters, digits, `.`, `_` or `-`. */
export const NODE_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
/** Most entries in one `member.put` (the new member plus founders not yet in the book). */
export const MAX_MEMBERS_PER_PUT = 64;

/** A node id ({@link NODE_ID_PATTERN}). */
export function nodeId(value: unknown, field: string): string {
  return str(value, field, 64, NODE_ID_PATTERN);
}

/** `{ id, address, peerAddress? }`; `field` prefixes the names of bad fields ('' at the top). */
export function validateMemberAddress(value: unknown, field = ''): MemberAddress {
  const at = (key: string): string => (field === '' ? key : `${field}.${key}`);
  const r = record(value, field, ['id', 'address', 'peerAddress']);
  const id = nodeId(r.id, at('id'));
  const address = hostPort(r.address, at('address'));
  if (!has(r, 'peerAddress')) return { id, address };
  return { id, address, peerAddress: hostPort(r.peerAddress, at('peerAddress')) };
}

/** The arguments of `member.put`: `{ members: MemberAddress[] }`, ids distinct. */
export function validateMemberPut(args: unknown): { members: MemberAddress[] } {
  const r = record(args, '', ['members']);
  const members = list(r.members, 'members', MAX_MEMBERS_PER_PUT).map((m, i) =>
    validateMemberAddress(m, `members[${i}]`),
  );
  const ids = new Set<string>();
  for (const [i, m] of members.entries()) {
    if (ids.has(m.id)) throw invalidArgument(`members[${i}].id`, `names ${m.id} twice`);
    ids.add(m.id);
  }
  return { members };
}
