/**
 * What a chaos run leaves behind and prints. A failed run keeps its directory
 * (node logs in `logs/`, their data in `data/`) and gets `history.json` (the
 * schedule, every recorded op, the watcher's events, each node's final
 * contents, the violations) and `REPLAY.txt` (the seed and the command).
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchEvent } from '../../../src/client/index.ts';
import type { FaultRecord } from './fault-runner.ts';
import { formatSchedule, type Schedule } from './fault-schedule.ts';
import type { RegistryContents } from './watch-check.ts';
import type { Workload } from './workload.ts';

export interface Artifacts {
  readonly replay: string;
  readonly schedule: Schedule;
  readonly violations: readonly string[];
  readonly faults: readonly FaultRecord[];
  readonly workload: Workload | undefined;
  readonly watchEvents: readonly WatchEvent[];
  readonly contents: Readonly<Record<string, RegistryContents>>;
}

export async function saveArtifacts(dir: string, a: Artifacts): Promise<void> {
  const history = {
    replay: a.replay,
    schedule: a.schedule,
    violations: a.violations,
    faults: a.faults,
    kv: a.workload?.kv.history() ?? [],
    registry: a.workload?.services.history() ?? [],
    ledger: a.workload?.ledger ?? { kv: [], instances: [] },
    watchEvents: a.watchEvents,
    finalContents: a.contents,
  };
  await writeFile(join(dir, 'history.json'), `${JSON.stringify(history, null, 1)}\n`);
  const text = [
    `replay: ${a.replay}`,
    '',
    formatSchedule(a.schedule),
    '',
    'faults as run (ms since the run started):',
    ...a.faults.map(formatFaultRecord),
    '',
    'violations:',
    ...a.violations.map((v) => `- ${v}`),
    '',
    'history.json holds every op (invokeAt/completeAt on one clock, ms), logs/ each node, data/ their state.',
    '',
  ].join('\n');
  await writeFile(join(dir, 'REPLAY.txt'), text);
}

export function formatFaultRecord(f: FaultRecord): string {
  const failover =
    f.failoverMs !== undefined
      ? `, failover ${Math.round(f.failoverMs)} ms`
      : f.outlasted === true
        ? ', no write before the heal'
        : '';
  const notes = f.notes.length === 0 ? '' : ` [${f.notes.join('; ')}]`;
  return `  ${Math.round(f.startedAt)}–${Math.round(f.healedAt)}: ${f.description}${f.hit ? ` (hit ${f.hit})` : ''}${failover}${notes}`;
}

/** The value at quantile `q` (0..1) of `xs` (nearest rank); undefined when empty. */
export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** `median X ms, p99 Y ms (n)`, or `none measured`. */
export function formatLatencies(xs: readonly number[]): string {
  const median = quantile(xs, 0.5);
  const p99 = quantile(xs, 0.99);
  if (median === undefined || p99 === undefined) return 'none measured';
  return `median ${Math.round(median)} ms, p99 ${Math.round(p99)} ms (${xs.length} measured)`;
}
