import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../support/sim/event-queue.ts';

describe('EventQueue', () => {
  it('pops in time order, ties in insertion order', () => {
    const q = new EventQueue<string>();
    for (const [time, item] of [
      [5, 'e'],
      [1, 'a'],
      [3, 'c1'],
      [3, 'c2'],
      [2, 'b'],
      [3, 'c3'],
    ] as const) {
      q.push(time, item);
    }
    const out: string[] = [];
    for (let next = q.pop(); next !== undefined; next = q.pop()) out.push(`${next.time}:${next.item}`);
    expect(out).toEqual(['1:a', '2:b', '3:c1', '3:c2', '3:c3', '5:e']);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps order after removing items', () => {
    const q = new EventQueue<number>();
    for (let k = 0; k < 50; k++) q.push((k * 7) % 13, k);
    expect(q.removeWhere((k) => k % 3 === 0)).toBe(17);
    const out: { time: number; item: number }[] = [];
    for (let next = q.pop(); next !== undefined; next = q.pop()) out.push(next);
    expect(out).toHaveLength(33);
    for (let k = 1; k < out.length; k++) {
      const [a, b] = [out[k - 1]!, out[k]!];
      expect(a.time < b.time || (a.time === b.time && a.item < b.item)).toBe(true);
    }
  });
});
