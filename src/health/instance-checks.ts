/**
 * The checks of one instance, run by the node that owns it: a probe loop per
 * http/tcp check, a TTL clock per ttl check, the threshold state of each,
 * and the instance's resulting health (the worst check). It reports when
 * that health differs from what the registry holds; the worker writes it.
 */

import type { CheckDefinition, Health, Instance } from '../registry/types.ts';
import { CheckState, worst } from './check-state.ts';
import { DEFAULT_INTERVAL_MS, probe } from './probes.ts';

export interface InstanceChecksDeps {
  readonly now: () => number;
  /** Called after every observation with the instance's health by its checks. */
  readonly onResult: (id: string, health: Health) => void;
  readonly random: () => number;
}

/** What identifies a set of checks: re-registering with other checks or another address restarts them. */
export function checksSignature(i: Instance): string {
  return JSON.stringify([i.address, i.port, i.checks]);
}

export class InstanceChecks {
  readonly signature: string;
  private readonly states: CheckState[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lastBeat: number[];
  private stopped = false;

  constructor(
    private instance: Instance,
    private readonly deps: InstanceChecksDeps,
  ) {
    this.signature = checksSignature(instance);
    this.states = instance.checks.map((c) => new CheckState(c, instance.health));
    const now = deps.now();
    // A new owner gives every ttl check a full period of grace: the heartbeats went to the old one.
    this.lastBeat = instance.checks.map(() => now);
    instance.checks.forEach((check, k) => {
      if (check.type === 'ttl') this.scheduleTtl(check, k);
      else this.scheduleProbe(check, k, deps.random() * (check.intervalMs ?? DEFAULT_INTERVAL_MS));
    });
  }

  get id(): string {
    return this.instance.id;
  }

  get hasTtl(): boolean {
    return this.instance.checks.some((c) => c.type === 'ttl');
  }

  /** The registry's latest view of the instance (health, healthSince), for deregistration decisions. */
  update(instance: Instance): void {
    this.instance = instance;
  }

  /** The health the checks say now. */
  get health(): Health {
    return worst(this.states.map((s) => s.status));
  }

  /** Checks that want the instance gone: critical for longer than their deregisterCriticalAfterMs. */
  shouldDeregister(now: number): boolean {
    if (this.instance.health !== 'critical') return false;
    return this.instance.checks.some((c, k) => {
      const after = c.deregisterCriticalAfterMs;
      return (
        after !== undefined &&
        this.states[k]!.status === 'critical' &&
        now - this.instance.healthSince >= after
      );
    });
  }

  /** A heartbeat for the ttl checks; answers their ttlMs (the shortest), or undefined when there are none. */
  heartbeat(): number | undefined {
    let ttl: number | undefined;
    const now = this.deps.now();
    this.instance.checks.forEach((c, k) => {
      if (c.type !== 'ttl') return;
      this.lastBeat[k] = now;
      this.states[k]!.observe('passing');
      ttl = Math.min(ttl ?? Number.POSITIVE_INFINITY, c.ttlMs!);
    });
    if (ttl !== undefined) this.deps.onResult(this.instance.id, this.health);
    return ttl;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, run: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private scheduleProbe(check: CheckDefinition, k: number, delayMs: number): void {
    this.later(delayMs, () => {
      probe(check, this.instance).then((result) => {
        if (this.stopped) return;
        this.states[k]!.observe(result);
        this.deps.onResult(this.instance.id, this.health);
        this.scheduleProbe(check, k, check.intervalMs ?? DEFAULT_INTERVAL_MS);
      });
    });
  }

  /** Each ttl period without a heartbeat is one failed observation (so failuresBeforeCritical counts periods). */
  private scheduleTtl(check: CheckDefinition, k: number): void {
    const ttl = check.ttlMs!;
    const due = this.lastBeat[k]! + ttl - this.deps.now();
    this.later(Math.max(due, 0), () => {
      if (this.deps.now() - this.lastBeat[k]! >= ttl) {
        this.states[k]!.observe('critical');
        this.lastBeat[k] = this.deps.now(); // the next missed period counts from here
        this.deps.onResult(this.instance.id, this.health);
      }
      this.scheduleTtl(check, k);
    });
  }
}
