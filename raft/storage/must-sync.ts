import type { Ready } from '../core/types.ts';

/**
 * etcd's MustSync, one step further: only entries, a snapshot, or a new term
 * or vote must be durable before a Ready's messages leave. A Ready that only
 * moves the commit index is not written at all; the commit index rides with
 * the next write (or close()). Raft treats it as volatile — a restarted node
 * learns it from the leader — and it never passes the entries written with it.
 *
 * `storesSnapshot`: the Ready's snapshot is newer than the stored one (an
 * older or equal one changes nothing). `durable`: the term and vote last
 * written.
 */
export function mustSync(
  ready: Ready,
  storesSnapshot: boolean,
  durable: { readonly term: number; readonly vote: string } | undefined,
): boolean {
  const hs = ready.hardState;
  return (
    storesSnapshot ||
    ready.entries.length > 0 ||
    (hs !== undefined && (hs.term !== durable?.term || hs.vote !== durable?.vote))
  );
}
