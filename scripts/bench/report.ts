/**
 * Pairs the figures of the systems by key, takes the median over runs, and
 * prints the comparison tables (markdown, ready for docs/benchmarks.md).
 */

import { median } from './stats.ts';
import type { SystemName } from './system.ts';
import type { Measured } from './workload.ts';

/** Every figure one system produced for one workload in one run. */
export interface RunRecord {
  readonly workload: string;
  readonly system: SystemName;
  readonly run: number;
  readonly measured: readonly Measured[];
  readonly notes: readonly string[];
}

/** One row of the comparison: the median of each system's runs. */
export interface Row {
  readonly workload: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly resource: boolean;
  readonly flotilla: number | undefined;
  readonly etcd: number | undefined;
  /** flotilla / etcd, when both ran. */
  readonly ratio: number | undefined;
  /** Every run's value, per system, in run order. */
  readonly runs: { readonly flotilla: number[]; readonly etcd: number[] };
}

/** The etcd-variant key `k[variant]` compares with Flotilla's `k`. */
function baseKey(key: string): string {
  return key.replace(/\[[^\]]*\]$/, '');
}

/** Builds the rows, in the order figures first appeared (etcd variants after their base). */
export function buildRows(records: readonly RunRecord[]): Row[] {
  const order: { workload: string; key: string; m: Measured }[] = [];
  const values = new Map<string, { flotilla: number[]; etcd: number[] }>();
  const id = (workload: string, key: string): string => `${workload}\u0000${key}`;
  for (const r of records) {
    for (const m of r.measured) {
      const k = id(r.workload, m.key);
      if (!values.has(k)) {
        values.set(k, { flotilla: [], etcd: [] });
        order.push({ workload: r.workload, key: m.key, m });
      }
      values.get(k)![r.system].push(m.value);
    }
  }
  return order.map(({ workload, key, m }) => {
    const v = values.get(id(workload, key))!;
    const flotillaValues =
      v.flotilla.length > 0 ? v.flotilla : (values.get(id(workload, baseKey(key)))?.flotilla ?? []);
    const flotilla = flotillaValues.length > 0 ? median(flotillaValues) : undefined;
    const etcd = v.etcd.length > 0 ? median(v.etcd) : undefined;
    const ratio = flotilla !== undefined && etcd !== undefined && etcd !== 0 ? flotilla / etcd : undefined;
    return {
      workload,
      label: m.label,
      unit: m.unit,
      better: m.better,
      resource: m.resource === true,
      flotilla,
      etcd,
      ratio,
      runs: { flotilla: flotillaValues, etcd: v.etcd },
    };
  });
}

/** A figure for a table: integers with thousands separators, small values with 2 significant decimals. */
export function formatValue(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function formatRatio(r: number | undefined): string {
  return r === undefined || Number.isNaN(r) || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}x`;
}

/** The markdown table of the rows (resource rows or the others), for the systems that ran. */
export function renderTable(rows: readonly Row[], systems: readonly SystemName[], resource: boolean): string {
  const both = systems.includes('flotilla') && systems.includes('etcd');
  const head = ['workload', 'figure', 'unit', ...systems, ...(both ? ['flotilla/etcd', 'better'] : [])];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const r of rows.filter((x) => x.resource === resource)) {
    const cells = [r.workload, r.label, r.unit, ...systems.map((s) => formatValue(r[s]))];
    if (both) cells.push(formatRatio(r.ratio), r.better === 'higher' ? 'higher' : 'lower');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
