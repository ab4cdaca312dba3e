import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { nextSizeHint, packInParts } from '../../src/registry/packed-parts.ts';
import { fcParams } from './helpers.ts';

// The options of the registry's snapshot codec.
const packr = new Packr({ useRecords: false, moreTypes: false });

function same(value: unknown, depth: number, sizeHint?: number): Uint8Array {
  const whole = Buffer.from(packr.pack(value));
  const parts = packInParts(packr, value, depth, sizeHint);
  expect(Object.getPrototypeOf(parts)).toBe(Uint8Array.prototype);
  expect(Buffer.from(parts).equals(whole)).toBe(true);
  return parts;
}

describe('packInParts', () => {
  it('gives the bytes of one pack of the whole value, at any depth', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.array(fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.uint8Array()))),
      fc.dictionary(fc.string(), fc.array(fc.oneof(fc.jsonValue(), fc.uint8Array(), fc.constant(undefined)))),
    );
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 4 }), (v, depth) => {
        same(v, depth);
      }),
      fcParams(0x9a47),
    );
  });

  it('writes every array header size msgpack has (fixarray, array 16, array 32)', () => {
    for (const length of [0, 15, 16, 0xffff, 0x10000]) {
      same({ list: Array.from({ length }, (_, i) => i % 300) }, 2);
    }
  });

  it('grows past a short size hint, piece by piece or by one large piece', () => {
    same({ big: 'x'.repeat(200_000), bytes: new Uint8Array(150_000).fill(7), n: 1 }, 2, 1);
    same(
      Array.from({ length: 5_000 }, (_, i) => ({ id: `instance-${i}`, meta: { seq: String(i) } })),
      1,
    );
  });

  it('keeps at most an eighth of its buffer unused: a long hint ends in an exact copy', () => {
    const value = Array.from({ length: 20_000 }, (_, i) => `instance-${i}`);
    const size = packr.pack(value).byteLength;
    expect(same(value, 1, size).buffer.byteLength).toBe(size);
    expect(same(value, 1, size * 1.1).buffer.byteLength).toBe(Math.ceil(size * 1.1));
    expect(same(value, 1, size * 4).buffer.byteLength).toBe(size);
  });

  it('hints the next size of a series from the last size and its growth', () => {
    expect(nextSizeHint(0, 0)).toBe(64 * 1024);
    expect(nextSizeHint(1_000_000, 1_600_000)).toBe(1_600_000 + 600_000 + 100_000);
    expect(nextSizeHint(1_600_000, 1_600_000)).toBe(1_600_000 + 100_000);
  });

  it('leaves objects that are not plain (a Map, bytes) to msgpackr', () => {
    same({ m: new Map([['a', 1]]), b: new Uint8Array([1, 2, 3]), d: null }, 3);
  });
});
