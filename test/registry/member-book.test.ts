/** The replicated address book of members: `member.put`, its validation, and its place in snapshots. */

import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import { decodeSnapshot } from '../../src/registry/snapshot-codec.ts';
import { Driver } from './helpers.ts';

const n4 = { id: 'n4', address: '10.0.0.4:7001' };
const n5 = { id: 'n5', address: '10.0.0.5:7001', peerAddress: 'proxy:9005' };

describe('member.put', () => {
  it('records and replaces addresses without moving the revision or making a watch event', () => {
    const d = new Driver();
    d.apply({ op: 'kv.put', args: { key: 'k', value: 1 } });
    const before = d.registry.revision;
    const version = d.registry.memberBookVersion;
    expect(d.apply({ op: 'member.put', args: { members: [n4, n5] } })).toEqual({
      ok: true,
      revision: before,
    });
    expect(d.registry.memberAddress('n4')).toEqual(n4);
    expect(d.registry.memberAddress('n5')).toEqual(n5);
    d.apply({ op: 'member.put', args: { members: [{ id: 'n4', address: '10.0.0.44:7001' }] } });
    expect(d.registry.memberAddress('n4')).toEqual({ id: 'n4', address: '10.0.0.44:7001' });
    expect(d.registry.memberBookVersion).toBe(version + 2);
    expect(d.registry.changesSince(before)).toMatchObject({ resync: false, events: [] });
  });

  const bad: [string, unknown, string][] = [
    ['a bad id', { members: [{ id: 'no spaces', address: 'h:1' }] }, 'members[0].id'],
    ['no port', { members: [{ id: 'n4', address: 'h' }] }, 'members[0].address'],
    ['a bad peer address', { members: [{ ...n4, peerAddress: 'h:0' }] }, 'members[0].peerAddress'],
    ['an id twice', { members: [n4, n4] }, 'members[1].id'],
    ['an unknown field', { members: [{ ...n4, voter: true }] }, 'members[0].voter'],
  ];
  for (const [what, args, field] of bad) {
    it(`refuses ${what} (INVALID_ARGUMENT ${field}) and changes nothing`, () => {
      const d = new Driver();
      const bytes = new Packr({ useRecords: false }).pack({ op: 'member.put', args, now: 1 });
      const r = d.applyBytes(new Uint8Array(bytes));
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } } });
      expect(d.registry.memberAddress('n4')).toBeUndefined();
    });
  }
});

describe('the address book in snapshots', () => {
  it('survives snapshot and restore, byte for byte', () => {
    const d = new Driver();
    d.apply({ op: 'member.put', args: { members: [n4, n5] } });
    const bytes = d.registry.snapshot();
    const copy = new Registry();
    copy.restore(bytes);
    expect(copy.memberAddress('n5')).toEqual(n5);
    // Buffer copies: msgpackr caches a `dataView` property on the bytes it decodes.
    expect(Buffer.from(copy.snapshot())).toEqual(Buffer.from(bytes));
  });

  it('restores a format-1 snapshot (before the book) with an empty book', () => {
    const d = new Driver();
    d.apply({ op: 'kv.put', args: { key: 'k', value: 'v' } });
    const packr = new Packr({ useRecords: false, moreTypes: false });
    const { members: _members, ...rest } = decodeSnapshot(d.registry.snapshot());
    const old = new Registry();
    old.restore(new Uint8Array(packr.pack({ ...rest, format: 1 })));
    expect(old.kvGet('k').value).toBe('v');
    expect(old.memberAddress('n4')).toBeUndefined();
  });
});
