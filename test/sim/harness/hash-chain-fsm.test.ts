import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../raft/core/types.ts';
import { entryDigest, GENESIS_CHAIN, HashChainFsm } from '../../support/sim/hash-chain-fsm.ts';

const data = (index: number, term: number, text: string): Entry => ({
  type: 'normal',
  index,
  term,
  data: Buffer.from(text),
});

describe('HashChainFsm', () => {
  it('gives equal chains to equal applied prefixes and different ones otherwise', () => {
    const a = new HashChainFsm();
    const b = new HashChainFsm();
    const c = new HashChainFsm();
    for (const fsm of [a, b, c]) fsm.apply(data(1, 1, 'x'));
    a.apply(data(2, 1, 'y'));
    b.apply(data(2, 1, 'y'));
    c.apply(data(2, 2, 'y'));
    expect(a.state).toEqual(b.state);
    expect(c.state.chain).not.toBe(a.state.chain);
    expect(a.state.chain).not.toBe(GENESIS_CHAIN);
  });

  it('round-trips through a padded snapshot', () => {
    const a = new HashChainFsm(300);
    a.apply(data(1, 1, 'x'));
    a.apply({ type: 'conf', index: 2, term: 1, conf: { voters: ['n1'], learners: [], promoting: [] } });
    const bytes = a.snapshot();
    expect(bytes.length).toBeGreaterThan(300);
    const b = new HashChainFsm();
    b.restore(bytes);
    expect(b.state).toEqual(a.state);
  });

  it('refuses a torn or corrupted snapshot', () => {
    const a = new HashChainFsm(64);
    a.apply(data(1, 1, 'x'));
    const bytes = a.snapshot();
    expect(() => new HashChainFsm().restore(bytes.subarray(0, bytes.length - 1))).toThrow(/corrupt body/);
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 5] = 0x21;
    expect(() => new HashChainFsm().restore(flipped)).toThrow(/corrupt body/);
    expect(() => new HashChainFsm().restore(bytes.subarray(10))).toThrow(/header/);
  });

  it('names entries readably', () => {
    expect(entryDigest(data(1, 1, 'n1:7:'))).toBe('data(n1:7:)');
    expect(entryDigest({ type: 'normal', index: 1, term: 1, data: new Uint8Array() })).toBe('no-op');
  });
});
