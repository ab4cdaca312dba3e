import type { Entry } from '../../../raft/core/types.ts';

/** The genesis link of every chain: what a node that applied nothing holds. */
export const GENESIS_CHAIN = '0000000000000000';

/** A comparable, readable identity of an entry's content (term and index excluded). */
export function entryDigest(entry: Entry): string {
  if (entry.type === 'conf') {
    const { voters, learners, promoting } = entry.conf;
    return `conf(voters=${voters.join(',')} learners=${learners.join(',')} promoting=${promoting.join(',')})`;
  }
  return entry.data.length === 0 ? 'no-op' : `data(${Buffer.from(entry.data).toString('latin1')})`;
}

/** Extends `chain` by one entry: two independent 32-bit lanes (FNV-1a and a murmur-style mix), as 16 hex digits. */
export function extendChain(chain: string, index: number, term: number, digest: string): string {
  const text = `${chain}|${index}|${term}|${digest}`;
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return hex32(a) + hex32(b);
}

function hex32(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}

/** What a snapshot of the chain holds. */
export interface ChainState {
  readonly index: number;
  readonly term: number;
  readonly chain: string;
}

/**
 * The simulator's state machine: a running hash chain over every applied
 * entry (index, term, content), so two nodes at the same applied index are
 * compared in O(1) and equal chains mean equal applied prefixes. Snapshots
 * carry `padding` filler bytes derived from the chain, so chunked
 * InstallSnapshot transfers are exercised and a torn or reordered chunk is
 * detected on restore.
 */
export class HashChainFsm {
  #state: ChainState = { index: 0, term: 0, chain: GENESIS_CHAIN };
  readonly #padding: number;

  constructor(padding = 0) {
    this.#padding = padding;
  }

  get appliedIndex(): number {
    return this.#state.index;
  }

  get state(): ChainState {
    return this.#state;
  }

  /** Applies the next entry; the caller checks contiguity before calling. */
  apply(entry: Entry): void {
    this.#state = {
      index: entry.index,
      term: entry.term,
      chain: extendChain(this.#state.chain, entry.index, entry.term, entryDigest(entry)),
    };
  }

  snapshot(): Uint8Array {
    return encodeChainSnapshot(this.#state, this.#padding);
  }

  /** Replaces the state with a snapshot's; throws when the bytes are not a snapshot this class wrote. */
  restore(data: Uint8Array): void {
    this.#state = decodeChainSnapshot(data);
  }
}

export function encodeChainSnapshot(state: ChainState, padding: number): Uint8Array {
  const header = JSON.stringify({ index: state.index, term: state.term, chain: state.chain, padding });
  return Buffer.from(`${header}\n${filler(state.chain, padding)}`, 'latin1');
}

export function decodeChainSnapshot(data: Uint8Array): ChainState {
  const text = Buffer.from(data).toString('latin1');
  const newline = text.indexOf('\n');
  if (newline < 0) throw new Error(`snapshot of ${data.length} bytes has no header line`);
  let state: ChainState & { padding: number };
  try {
    state = JSON.parse(text.slice(0, newline)) as ChainState & { padding: number };
  } catch (cause) {
    throw new Error(`snapshot header is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause });
  }
  const { index, term, chain, padding } = state;
  if (
    typeof index !== 'number' ||
    typeof term !== 'number' ||
    typeof chain !== 'string' ||
    typeof padding !== 'number'
  ) {
    throw new Error(`snapshot header is malformed: ${text.slice(0, newline)}`);
  }
  const body = text.slice(newline + 1);
  if (body !== filler(chain, padding)) {
    throw new Error(
      `snapshot at index ${index} has a corrupt body (${body.length} bytes, expected ${padding})`,
    );
  }
  return { index, term, chain };
}

function filler(chain: string, length: number): string {
  return chain.repeat(Math.ceil(length / chain.length)).slice(0, length);
}
