import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/client/index.ts';
import type { Instance } from '../../src/registry/types.ts';
import { type AckedChange, checkWatch, type RegistryContents } from '../support/chaos/watch-check.ts';

const put = (revision: number, key: string, value: string): WatchEvent => ({
  revision,
  kind: 'kv',
  type: 'put',
  key,
  value,
});
const instance = (id: string, name: string): Instance => ({
  id,
  name,
  version: null,
  address: '127.0.0.1',
  port: 1,
  tags: [],
  meta: {},
  weight: 1,
  zone: null,
  checks: [],
  state: 'active',
  health: 'passing',
  healthSince: 0,
  modRevision: 0,
});
const register = (revision: number, id: string): WatchEvent => ({
  revision,
  kind: 'instance',
  type: 'put',
  instance: instance(id, 'svc'),
});
const acked = (revision: number, name: string, value?: string): AckedChange => ({
  revision,
  kind: 'kv',
  type: 'put',
  name,
  ...(value === undefined ? {} : { value }),
});
const final = (revision: number, kv: Record<string, string>, instances: Record<string, string> = {}) =>
  ({ revision, kv, instances }) satisfies RegistryContents;

/** The watch check on hand-made event streams: what it must accept and what it must catch. */
describe('checkWatch', () => {
  it('accepts every change once, in order, matching the writes and the final state', () => {
    const events = [put(3, 'a', 'x'), register(4, 'i1'), put(7, 'a', 'y')];
    const ack = [acked(3, 'a', 'x'), acked(7, 'a', 'y')];
    expect(checkWatch(events, 0, ack, final(7, { a: 'y' }, { i1: 'svc' }))).toEqual([]);
  });

  it('catches a repeated event and one out of order', () => {
    const events = [put(3, 'a', 'x'), put(3, 'a', 'x'), put(5, 'a', 'y'), put(4, 'b', 'z')];
    const v = checkWatch(events, 0, [], final(5, { a: 'y' }));
    expect(v.filter((x) => x.includes('repeated or out of order'))).toHaveLength(2);
  });

  it('catches a missed acknowledged change, and its absence from the replayed state', () => {
    const v = checkWatch(
      [put(3, 'a', 'x')],
      0,
      [acked(3, 'a', 'x'), acked(5, 'b', 'q')],
      final(5, { a: 'x', b: 'q' }),
    );
    expect(v).toContain('watch: missed the acknowledged kv put of b at revision 5');
    expect(v).toContain('watch: ended at revision 3, the nodes at 5');
    expect(v.some((x) => x.startsWith('watch: replaying the events gives kv b: null instead of "q"'))).toBe(
      true,
    );
  });

  it('catches an event whose content is not what the write acknowledged', () => {
    const v = checkWatch([put(3, 'a', 'other')], 0, [acked(3, 'a', 'x')], final(3, { a: 'other' }));
    expect(v).toEqual(['watch: revision 3: the watcher saw a = "other", the write acknowledged "x"']);
  });

  it('allows a gap only where an explicit resync covers it, and takes the resync as the new state', () => {
    const resync: WatchEvent = {
      kind: 'resync',
      revision: 6,
      state: { instances: [], kv: [{ key: 'a', value: 'y', modRevision: 6 }], deployments: [], routing: [] },
    };
    const events = [put(3, 'a', 'x'), resync, put(8, 'b', 'z')];
    const ack = [acked(3, 'a', 'x'), acked(6, 'a', 'y'), acked(8, 'b', 'z')];
    expect(checkWatch(events, 0, ack, final(8, { a: 'y', b: 'z' }))).toEqual([]);
    const backwards = checkWatch([put(3, 'a', 'x'), { ...resync, revision: 2 }], 0, [], final(3, { a: 'x' }));
    expect(backwards[0]).toMatch(/a resync at revision 2 .* repeated or out of order/);
  });
});
