/**
 * Latency samples and the figures taken from them, and the resource use of
 * processes (CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status) and of
 * the load generator itself (`process.cpuUsage()`).
 */

import { readFileSync } from 'node:fs';

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median of numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const s = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A growable list of latencies in ms. */
export class Samples {
  private data = new Float64Array(4096);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** p50, p99 and max, in ms. */
  summary(): { p50: number; p99: number; max: number } {
    const sorted = this.data.slice(0, this.n).sort();
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[this.n - 1] ?? Number.NaN,
    };
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process in ms, or undefined when it is gone (or not Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** VmRSS of a process in bytes, or undefined when it is gone. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU use, as % of one core, of the generator and of given processes over an interval. */
export class CpuMeter {
  private readonly t0 = performance.now();
  private readonly self0 = process.cpuUsage();
  private readonly others0: Map<number, number | undefined>;

  constructor(pids: readonly number[]) {
    this.others0 = new Map(pids.map((pid) => [pid, processCpuMs(pid)]));
  }

  /** % of one core since construction: `self` (this process) and each pid (undefined when it vanished). */
  read(): { self: number; pids: Map<number, number | undefined> } {
    const wall = performance.now() - this.t0;
    const d = process.cpuUsage(this.self0);
    const self = ((d.user + d.system) / 1000 / wall) * 100;
    const pids = new Map<number, number | undefined>();
    for (const [pid, before] of this.others0) {
      const now = processCpuMs(pid);
      pids.set(pid, before === undefined || now === undefined ? undefined : ((now - before) / wall) * 100);
    }
    return { self, pids };
  }
}
