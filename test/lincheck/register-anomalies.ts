import type { Operation } from '../support/lincheck/history.ts';
import { jsonEqual } from '../support/lincheck/json.ts';
import type { Simulated } from './register-simulation.ts';

/**
 * The single anomaly injected into a linearizable simulated history. Each is
 * chosen where the history's real-time order alone PROVES the result is not
 * linearizable (writes have unique values), so a checker that accepts it is wrong.
 */
export type AnomalyKind = 'never-written' | 'stale-read' | 'lost-write';

export const ANOMALY_KINDS: readonly AnomalyKind[] = ['never-written', 'stale-read', 'lost-write'];

/** The mutated history, the key it broke, and the kind actually injected. */
export interface Injected {
  readonly history: readonly Operation[];
  readonly key: string;
  readonly kind: AnomalyKind;
}

/** Injects `kind` at the `pick`-th place it applies; undefined when it applies nowhere. */
export function injectAnomaly(sim: Simulated, kind: AnomalyKind, pick: number): Injected | undefined {
  const h = sim.history;
  const candidates = {
    'never-written': () => reads(h).map((g) => [[g], 'never-written'] as const),
    'stale-read': () => staleReads(h),
    'lost-write': () => lostWrites(sim),
  }[kind]();
  if (candidates.length === 0) return undefined;
  const [target, output] = candidates[pick % candidates.length]!;
  const changed = new Map(target.map((g) => [g, output]));
  return {
    history: h.map((r, i) => (changed.has(i) ? { ...r, output: changed.get(i) } : r)),
    key: h[target[0]!]!.key,
    kind,
  };
}

/** Indices of ok reads. */
function reads(h: readonly Operation[]): number[] {
  return h.flatMap((r, i) => (r.status === 'ok' && r.op === 'get' ? [i] : []));
}

/** The value an acknowledged op certainly wrote (put, or a cas that succeeded), if any. */
function certainlyWrote(r: Operation): { value: unknown } | undefined {
  if (r.status !== 'ok') return undefined;
  if (r.op === 'put') return { value: r.input };
  if (r.op === 'cas' && jsonEqual(r.output, { succeeded: true }))
    return { value: (r.input as { value: unknown }).value };
  return undefined;
}

/** Whether an op may have changed the state: anything but a read or a failure (conservative for cas). */
function mayWrite(r: Operation): boolean {
  return r.status !== 'fail' && r.op !== 'get';
}

/** An info op's completion counts as +infinity, like the checker's. */
const end = (r: Operation) => (r.status === 'ok' ? r.completeAt! : Number.POSITIVE_INFINITY);

/**
 * A read g made to return v, where v's only writer p completed before some
 * certain overwrite w (put, delete, successful cas) was invoked, and w
 * completed before g was invoked: p < w < g in every linearization.
 */
function staleReads(h: readonly Operation[]): (readonly [number[], unknown])[] {
  const out: (readonly [number[], unknown])[] = [];
  for (const g of reads(h)) {
    const read = h[g]!;
    // The latest invocation of an overwrite that completed before g: any v written before it is stale.
    let latest = Number.NEGATIVE_INFINITY;
    for (const w of h) {
      const overwrites = w.status === 'ok' && (w.op === 'delete' || certainlyWrote(w) !== undefined);
      if (overwrites && w.key === read.key && end(w) < read.invokeAt) latest = Math.max(latest, w.invokeAt);
    }
    for (const p of h) {
      const wrote = certainlyWrote(p);
      if (wrote !== undefined && p.key === read.key && end(p) < latest) out.push([[g], wrote.value]);
    }
  }
  return out;
}

/**
 * An acknowledged put p whose effect is dropped: every read invoked after p
 * completed, and completed before any other op that may write the key and
 * had not completed before p began was invoked, must see p's value; they
 * are changed to see the value from before p instead.
 */
function lostWrites(sim: Simulated): (readonly [number[], unknown])[] {
  const h = sim.history;
  const out: (readonly [number[], unknown])[] = [];
  h.forEach((p, pi) => {
    if (p.status !== 'ok' || p.op !== 'put') return;
    // The first invocation of another possible write not entirely before p: reads must end before it.
    let horizon = Number.POSITIVE_INFINITY;
    h.forEach((w, wi) => {
      if (wi !== pi && w.key === p.key && mayWrite(w) && !(end(w) < p.invokeAt)) {
        horizon = Math.min(horizon, w.invokeAt);
      }
    });
    const gs = reads(h).filter((g) => {
      const read = h[g]!;
      return read.key === p.key && p.completeAt! < read.invokeAt && read.completeAt! < horizon;
    });
    if (gs.length > 0) out.push([gs, sim.before[pi]]);
  });
  return out;
}
