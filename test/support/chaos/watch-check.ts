/**
 * Judges what a watcher saw through the faults: every change once, in
 * revision order (a resync only as an explicit resync event, moving forward),
 * every acknowledged change among them (or inside a span a resync covered),
 * each with the content its write gave it, and, replayed, the same state the
 * nodes ended with. Pure: the run collects the inputs, this only reads them.
 */

import type { WatchEvent } from '../../../src/client/index.ts';
import type { Operation } from '../lincheck/history.ts';
import { canonicalJson } from '../lincheck/json.ts';
import type { Ledger } from './recorded-ops.ts';

/** The registry contents a run compares: kv values and instance → service. */
export interface RegistryContents {
  readonly revision: number;
  readonly kv: Readonly<Record<string, unknown>>;
  readonly instances: Readonly<Record<string, string>>;
}

/** A change an acknowledged write made, as its answer says. */
export interface AckedChange {
  readonly revision: number;
  readonly kind: 'kv' | 'instance';
  readonly type: 'put' | 'delete';
  /** kv key or instance id. */
  readonly name: string;
  /** kv put: the value written (undefined: not checked). */
  readonly value?: unknown;
}

/** The changes acknowledged writes made, from the recorded histories and the ledger. */
export function ackedChanges(
  kv: readonly Operation[],
  services: readonly Operation[],
  ledger: Ledger,
): AckedChange[] {
  const out: AckedChange[] = [];
  const rev = (o: Operation) => (o.output as { revision: number }).revision;
  for (const o of kv) {
    if (o.status !== 'ok') continue;
    const r = o.output as { succeeded?: boolean; deleted?: boolean };
    if (o.op === 'put') out.push({ revision: rev(o), kind: 'kv', type: 'put', name: o.key, value: o.input });
    if (o.op === 'cas' && r.succeeded === true) {
      const value = (o.input as { value: unknown }).value;
      out.push({ revision: rev(o), kind: 'kv', type: 'put', name: o.key, value });
    }
    if (o.op === 'delete' && r.deleted === true)
      out.push({ revision: rev(o), kind: 'kv', type: 'delete', name: o.key });
  }
  for (const o of services) {
    if (o.status !== 'ok') continue;
    const id = o.input as string;
    if (o.op === 'register') out.push({ revision: rev(o), kind: 'instance', type: 'put', name: id });
    if (o.op === 'deregister' && (o.output as { deleted?: boolean }).deleted === true)
      out.push({ revision: rev(o), kind: 'instance', type: 'delete', name: id });
  }
  for (const e of ledger.kv)
    if (e.status === 'ok') out.push({ revision: e.revision, kind: 'kv', type: 'put', name: e.name });
  for (const e of ledger.instances)
    if (e.status === 'ok') out.push({ revision: e.revision, kind: 'instance', type: 'put', name: e.name });
  return out;
}

/** Checks a watcher's events (from `fromRevision` on) against the acknowledged changes and the final contents. */
export function checkWatch(
  events: readonly WatchEvent[],
  fromRevision: number,
  acked: readonly AckedChange[],
  final: RegistryContents,
): string[] {
  const violations: string[] = [];
  const seen = new Map<number, WatchEvent>();
  /** (after, upTo]: spans whose events a resync replaced. */
  const resynced: [number, number][] = [];
  const kv = new Map<string, unknown>();
  const instances = new Map<string, string>();
  let last = fromRevision;
  for (const [i, e] of events.entries()) {
    if (e.revision <= last) {
      const what = e.kind === 'resync' ? 'a resync' : 'an event';
      violations.push(
        `watch: ${what} at revision ${e.revision} (#${i}) after revision ${last}: repeated or out of order`,
      );
      continue;
    }
    if (e.kind === 'resync') {
      resynced.push([last, e.revision]);
      kv.clear();
      instances.clear();
      for (const entry of e.state.kv) kv.set(entry.key, entry.value);
      for (const inst of e.state.instances) instances.set(inst.id, inst.name);
    } else {
      seen.set(e.revision, e);
      if (e.kind === 'kv') {
        if (e.type === 'put') kv.set(e.key, e.value);
        else kv.delete(e.key);
      } else if (e.kind === 'instance') {
        if (e.type === 'put') instances.set(e.instance.id, e.instance.name);
        else instances.delete(e.instance.id);
      }
    }
    last = e.revision;
  }
  if (last !== final.revision)
    violations.push(`watch: ended at revision ${last}, the nodes at ${final.revision}`);
  const replayed = { kv: Object.fromEntries(kv), instances: Object.fromEntries(instances) };
  const expected = { kv: final.kv, instances: final.instances };
  if (canonicalJson(replayed) !== canonicalJson(expected))
    violations.push(`watch: replaying the events gives ${diff(replayed, expected)}`);
  for (const c of [...acked].sort((a, b) => a.revision - b.revision)) {
    const e = seen.get(c.revision);
    if (e === undefined) {
      if (!resynced.some(([after, upTo]) => c.revision > after && c.revision <= upTo))
        violations.push(
          `watch: missed the acknowledged ${c.kind} ${c.type} of ${c.name} at revision ${c.revision}`,
        );
      continue;
    }
    const mismatch = describeMismatch(e, c);
    if (mismatch !== undefined) violations.push(`watch: revision ${c.revision}: ${mismatch}`);
  }
  if (violations.length <= LIST_AT_MOST) return violations;
  return [...violations.slice(0, LIST_AT_MOST), `watch: … and ${violations.length - LIST_AT_MOST} more`];
}

/** Most violations of one kind listed; the rest are counted (one broken node can miss hundreds). */
const LIST_AT_MOST = 8;

/** An event in a few words: `kv put k1 = "w2.5"`, `instance delete svc0-i1`. */
export function describeEvent(e: WatchEvent): string {
  switch (e.kind) {
    case 'kv':
      return e.type === 'put' ? `kv put ${e.key} = ${canonicalJson(e.value)}` : `kv delete ${e.key}`;
    case 'instance':
      return `instance ${e.type} ${e.instance.id} (${e.instance.name})`;
    case 'resync':
      return `resync at ${e.revision}`;
    default:
      return `${e.kind} ${e.type}`;
  }
}

function describeMismatch(e: WatchEvent, c: AckedChange): string | undefined {
  if (e.kind !== c.kind || !('type' in e) || e.type !== c.type)
    return `the watcher saw ${describeEvent(e)}, the write acknowledged a ${c.kind} ${c.type} of ${c.name}`;
  const name = e.kind === 'kv' ? e.key : e.kind === 'instance' ? e.instance.id : undefined;
  if (name !== c.name) return `the watcher saw a change of ${String(name)}, the write acknowledged ${c.name}`;
  if (
    c.value !== undefined &&
    e.kind === 'kv' &&
    e.type === 'put' &&
    canonicalJson(e.value) !== canonicalJson(c.value)
  )
    return `the watcher saw ${c.name} = ${canonicalJson(e.value)}, the write acknowledged ${canonicalJson(c.value)}`;
  return undefined;
}

/** The first few entries that differ between two contents, for a readable violation. */
export function diff(
  got: Omit<RegistryContents, 'revision'>,
  want: Omit<RegistryContents, 'revision'>,
): string {
  const lines: string[] = [];
  for (const part of ['kv', 'instances'] as const) {
    const names = new Set([...Object.keys(got[part]), ...Object.keys(want[part])]);
    for (const n of [...names].sort()) {
      const a = canonicalJson(got[part][n] ?? null);
      const b = canonicalJson(want[part][n] ?? null);
      if (a !== b) lines.push(`${part} ${n}: ${a} instead of ${b}`);
    }
  }
  return lines.length === 0
    ? 'the same contents'
    : lines.slice(0, 5).join('; ') + (lines.length > 5 ? ` (+${lines.length - 5} more)` : '');
}
