import fc from 'fast-check';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { closeReason } from '../../../raft/transport/inbound-server.ts';
import { decodeMessage, encodeMessage } from '../../../raft/transport/message-codec.ts';
import { binaries, everyMessage } from './support.ts';

const fcParams = {
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
};

describe('message codec', () => {
  it('round-trips every message type, binary fields as plain Uint8Array', () => {
    for (const m of everyMessage('n1', 'n2')) {
      const decoded = decodeMessage(encodeMessage(m));
      expect(decoded).toStrictEqual({ ok: true, message: m });
      if (!decoded.ok) continue;
      for (const b of binaries(decoded.message)) {
        expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
        expect(Buffer.isBuffer(b)).toBe(false);
      }
    }
  });

  it('copies bytes out of the frame: mutating the frame later does not change the message', () => {
    const m = everyMessage('n1', 'n2').find((x) => x.type === 'snapshot')!;
    const frame = Buffer.from(encodeMessage(m));
    const decoded = decodeMessage(frame);
    frame.fill(0);
    expect(decoded.ok && decoded.message).toStrictEqual(m);
  });

  it('keeps only declared fields', () => {
    const decoded = decodeMessage(pack({ type: 'timeout-now', from: 'a', to: 'b', term: 1, extra: 'x' }));
    expect(decoded).toStrictEqual({
      ok: true,
      message: { type: 'timeout-now', from: 'a', to: 'b', term: 1 },
    });
  });

  it.each([
    ['not a map', pack([1, 2, 3])],
    ['unknown type', pack({ type: 'nope', from: 'a', to: 'b', term: 1 })],
    ['inherited key as type', pack({ type: 'toString', from: 'a', to: 'b', term: 1 })],
    ['negative term', pack({ type: 'timeout-now', from: 'a', to: 'b', term: -1 })],
    ['fractional index', pack({ type: 'heartbeat-resp', from: 'a', to: 'b', term: 1.5, ctx: '' })],
    ['missing field', pack({ type: 'vote-resp', from: 'a', to: 'b', term: 1 })],
    [
      'entries not a list',
      pack({ type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: 5 }),
    ],
    [
      'entry data not binary',
      pack({
        type: 'append',
        from: 'a',
        to: 'b',
        term: 1,
        prevIndex: 0,
        prevTerm: 0,
        commit: 0,
        entries: [{ type: 'normal', index: 1, term: 1, data: 'text' }],
      }),
    ],
    ['a date for a number', pack({ type: 'timeout-now', from: 'a', to: 'b', term: new Date(0) })],
    ['truncated', encodeMessage(everyMessage('a', 'b')[4]!).subarray(0, 20)],
    ['trailing bytes', Buffer.concat([encodeMessage(everyMessage('a', 'b')[0]!), Buffer.from([1])])],
    ['empty', new Uint8Array(0)],
  ])('rejects %s without throwing', (_name, frame) => {
    expect(decodeMessage(frame).ok).toBe(false);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decodeMessage(bytes);
      }),
      { ...fcParams, numRuns: 5_000 },
    );
  });

  it('never throws on mutated valid frames, and accepts only well-formed results', () => {
    const frames = everyMessage('n1', 'n2').map(encodeMessage);
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (frame, flips) => {
          const mutated = Uint8Array.from(frame);
          for (const [at, byte] of flips) mutated[at % mutated.length] = byte;
          const decoded = decodeMessage(mutated);
          if (decoded.ok) expect(decodeMessage(encodeMessage(decoded.message))).toStrictEqual(decoded);
        },
      ),
      { ...fcParams, numRuns: 5_000 },
    );
  });
});

describe('close reasons', () => {
  it('fit the 123-byte limit of RFC 6455 whatever the input characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (reason) => {
        const cut = closeReason(reason);
        expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(123);
        if (Buffer.byteLength(reason, 'utf8') <= 123) expect(cut).toBe(reason);
      }),
      { seed: Number(process.env.FC_SEED ?? 123), numRuns: 2000 },
    );
  });
});
