/**
 * Where each member is reached, as this node knows it: the replicated
 * address book (the registry's `member.put` entries) first, else the
 * cluster file. Founding members are known from the file alone until the
 * first membership change, which copies them into the book so that a node
 * whose file does not list them (a later joiner) still learns them.
 */

import type { NodeConfig } from '../config/cluster-config.ts';
import type { Registry } from '../registry/registry.ts';
import type { MemberAddress } from '../registry/types.ts';

export class MemberBook {
  private readonly file: ReadonlyMap<string, MemberAddress>;

  constructor(
    private readonly registry: Registry,
    fileNodes: readonly NodeConfig[],
  ) {
    this.file = new Map(
      fileNodes.map((n) => [
        n.id,
        n.peerAddress === undefined
          ? { id: n.id, address: n.address }
          : { id: n.id, address: n.address, peerAddress: n.peerAddress },
      ]),
    );
  }

  /** Member `id`'s addresses, when known. */
  get(id: string): MemberAddress | undefined {
    return this.registry.memberAddress(id) ?? this.file.get(id);
  }

  /** Where clients reach `id` (NOT_LEADER redirects, status). */
  clientAddress(id: string): string | undefined {
    return this.get(id)?.address;
  }

  /** Where peers dial `id`. */
  peerAddress(id: string): string | undefined {
    const m = this.get(id);
    return m?.peerAddress ?? m?.address;
  }

  /** Entries of `ids` this node knows from its file only: to be copied into the replicated book. */
  fileOnly(ids: readonly string[]): MemberAddress[] {
    return ids.flatMap((id) => {
      const m = this.file.get(id);
      return m === undefined || this.registry.memberAddress(id) !== undefined ? [] : [m];
    });
  }
}
