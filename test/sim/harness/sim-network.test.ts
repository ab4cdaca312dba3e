import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../raft/core/rng.ts';
import type { Message } from '../../../raft/core/types.ts';
import { SimNetwork } from '../../support/sim/sim-network.ts';

function heartbeat(from: string, to: string, commit = 0): Message {
  return { type: 'heartbeat', from, to, term: 1, commit, ctx: '' };
}

function drain(net: SimNetwork): { time: number; message: Message | undefined }[] {
  const out: { time: number; message: Message | undefined }[] = [];
  for (let next = net.deliverNext(); next !== undefined; next = net.deliverNext()) out.push(next);
  return out;
}

describe('SimNetwork', () => {
  it('delivers within the latency bounds and reorders messages', () => {
    const net = new SimNetwork(seededRng(1), {
      dropRate: 0,
      dupRate: 0,
      minLatency: 1,
      maxLatency: 20,
      reorder: true,
    });
    net.send(
      100,
      Array.from({ length: 50 }, (_, k) => heartbeat('a', 'b', k)),
    );
    const out = drain(net);
    expect(out).toHaveLength(50);
    for (const d of out) expect(d.time).toBeGreaterThanOrEqual(101);
    for (const d of out) expect(d.time).toBeLessThanOrEqual(120);
    const commits = out.map((d) => (d.message?.type === 'heartbeat' ? d.message.commit : -1));
    expect(commits).not.toEqual([...commits].sort((x, y) => x - y));
  });

  it('keeps a link FIFO unless reordering is on', () => {
    const net = new SimNetwork(seededRng(1), {
      dropRate: 0,
      dupRate: 0.3,
      minLatency: 1,
      maxLatency: 20,
      reorder: false,
    });
    net.send(
      0,
      Array.from({ length: 30 }, (_, k) => heartbeat('a', 'b', k)),
    );
    net.send(
      5,
      Array.from({ length: 30 }, (_, k) => heartbeat('a', 'b', 30 + k)),
    );
    net.send(0, [heartbeat('c', 'b', 99)]);
    const commits = drain(net)
      .map((d) => (d.message?.type === 'heartbeat' && d.message.from === 'a' ? d.message.commit : -1))
      .filter((c) => c >= 0);
    expect(commits).toEqual([...commits].sort((x, y) => x - y));
    expect(new Set(commits).size).toBe(60);
  });

  it('is a pure function of its seed', () => {
    const run = () => {
      const net = new SimNetwork(seededRng(42), {
        dropRate: 0.2,
        dupRate: 0.2,
        minLatency: 1,
        maxLatency: 9,
        reorder: true,
      });
      net.send(
        0,
        Array.from({ length: 100 }, (_, k) => heartbeat('a', 'b', k)),
      );
      return drain(net).map((d) => `${d.time}:${d.message?.type === 'heartbeat' ? d.message.commit : '-'}`);
    };
    expect(run()).toEqual(run());
  });

  it('drops and duplicates at roughly the configured rates', () => {
    const net = new SimNetwork(seededRng(7), {
      dropRate: 0.25,
      dupRate: 0.1,
      minLatency: 1,
      maxLatency: 3,
      reorder: true,
    });
    net.send(
      0,
      Array.from({ length: 4000 }, () => heartbeat('a', 'b')),
    );
    expect(net.stats.dropped / 4000).toBeCloseTo(0.25, 1);
    expect(net.stats.duplicated / 3000).toBeCloseTo(0.1, 1);
    expect(drain(net)).toHaveLength(4000 - net.stats.dropped + net.stats.duplicated);
  });

  it('blocks one direction only', () => {
    const net = new SimNetwork(seededRng(3));
    net.block('a', 'b');
    net.send(0, [heartbeat('a', 'b'), heartbeat('b', 'a')]);
    const out = drain(net);
    expect(out.map((d) => d.message?.from)).toEqual(['b']);
    expect(net.stats.blocked).toBe(1);
  });

  it('partitions symmetrically, leaves links inside a group open, and swallows what was in flight', () => {
    const net = new SimNetwork(seededRng(3), {
      dropRate: 0,
      dupRate: 0,
      minLatency: 5,
      maxLatency: 5,
      reorder: false,
    });
    net.send(0, [heartbeat('a', 'c'), heartbeat('a', 'b')]);
    net.partition([['a', 'b'], ['c']]);
    expect(net.isBlocked('a', 'c') && net.isBlocked('c', 'a')).toBe(true);
    expect(net.isBlocked('a', 'b') || net.isBlocked('b', 'a')).toBe(false);
    const out = drain(net);
    expect(out.map((d) => d.message?.to)).toEqual([undefined, 'b']);
  });

  it('isolates a node and bridges two halves through a third', () => {
    const net = new SimNetwork(seededRng(3));
    net.isolate('a', ['a', 'b', 'c']);
    expect(['b', 'c'].every((x) => net.isBlocked('a', x) && net.isBlocked(x, 'a'))).toBe(true);
    expect(net.isBlocked('b', 'c')).toBe(false);
    net.heal();
    net.bridge(['a', 'b'], ['d']);
    expect(net.isBlocked('a', 'd') && net.isBlocked('d', 'b')).toBe(true);
    expect(['a', 'b', 'd'].some((x) => net.isBlocked(x, 'c') || net.isBlocked('c', x))).toBe(false);
  });

  it('adds link delays, heals, and forgets messages to a crashed node', () => {
    const net = new SimNetwork(seededRng(3), {
      dropRate: 0,
      dupRate: 0,
      minLatency: 1,
      maxLatency: 1,
      reorder: false,
    });
    net.delayLink('a', 'b', 50);
    net.send(0, [heartbeat('a', 'b'), heartbeat('b', 'a'), heartbeat('c', 'a')]);
    expect(drain(net).map((d) => `${d.time}:${d.message?.to}`)).toEqual(['1:a', '1:a', '51:b']);
    net.heal();
    net.send(0, [heartbeat('a', 'b'), heartbeat('b', 'a')]);
    net.dropTo('b');
    expect(drain(net).map((d) => `${d.time}:${d.message?.to}`)).toEqual(['1:a']);
  });

  it('gives every copy in flight its own envelope', () => {
    const net = new SimNetwork(seededRng(3), {
      dropRate: 0,
      dupRate: 0.99,
      minLatency: 1,
      maxLatency: 1,
      reorder: false,
    });
    const sent: Message = {
      type: 'append',
      from: 'a',
      to: 'b',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: [],
      commit: 0,
    };
    net.send(0, [sent]);
    const [first, second] = drain(net);
    expect(first?.message).toEqual(sent);
    expect(first?.message).not.toBe(sent);
    expect(first?.message).not.toBe(second?.message);
  });
});
