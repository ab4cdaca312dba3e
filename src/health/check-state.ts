/**
 * The rise/fall thresholds of one check (Consul's `success_before_passing`
 * and `failures_before_critical`): a failing check turns critical only after
 * `failuresBeforeCritical` failed probes in a row, and a critical one passes
 * again only after `successesBeforePassing` good probes in a row, so a
 * flapping backend crosses a threshold — and writes a transition — at most
 * once per run of results, never once per probe. Pure: no clock, no I/O.
 */

import type { CheckDefinition, Health } from '../registry/types.ts';

export class CheckState {
  private successes = 0;
  private failures = 0;
  private readonly rise: number;
  private readonly fall: number;

  constructor(
    definition: CheckDefinition,
    /** Where the check starts: the instance's health as the registry holds it. */
    private current: Health,
  ) {
    this.rise = definition.successesBeforePassing ?? 1;
    this.fall = definition.failuresBeforeCritical ?? 1;
  }

  get status(): Health {
    return this.current;
  }

  /** Feeds one probe result; answers the check's status after it. */
  observe(result: Health): Health {
    if (result === 'critical') {
      this.successes = 0;
      this.failures++;
      if (this.current !== 'critical' && this.failures >= this.fall) this.current = 'critical';
      return this.current;
    }
    this.failures = 0;
    this.successes++;
    // passing ↔ warning is a change of degree, not a recovery: no threshold.
    if (this.current !== 'critical' || this.successes >= this.rise) this.current = result;
    return this.current;
  }
}

const RANK: Record<Health, number> = { passing: 0, warning: 1, critical: 2 };

/** An instance is as healthy as its worst check. */
export function worst(statuses: readonly Health[]): Health {
  let out: Health = 'passing';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}
