/** Order statistics for the failover summary. */

/** Median: the middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in (0, 1]): with 10 values p90 is the 9th smallest. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export interface Summary {
  readonly runs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    runs: values.length,
    medianMs: Math.round(median(values)),
    p90Ms: Math.round(percentile(values, 0.9)),
    minMs: Math.round(Math.min(...values)),
    maxMs: Math.round(Math.max(...values)),
  };
}
