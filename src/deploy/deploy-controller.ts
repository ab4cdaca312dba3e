/**
 * The deployment controller (issue #8): a reconciler that runs on every
 * node and acts only on the leader. Each pass reads the replicated
 * deployments and instances, asks `decide` what is due on the leader's
 * clock, and proposes it through the SDK guarded by the record's
 * modRevision (`expectedRevision`). It keeps no state of its own that
 * matters: a new leader reads the same records (step, step start, status)
 * and carries on from there; a transition the old leader proposed either
 * committed (the record moved: the new leader sees it) or did not (the new
 * leader decides it again), and the guard makes a duplicate a CONFLICT,
 * never a second step.
 *
 * It also ends drains: a draining instance is deregistered once its drain
 * timeout has passed since `drainingSince` (leader time), guarded by the
 * instance's modRevision so a re-registration in between is not removed.
 */

import type { Logger } from '../../raft/index.ts';
import type { CommandArgs } from '../registry/commands.ts';
import { FlotillaError } from '../registry/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Deployment } from '../registry/types.ts';
import { type Decision, decide } from './decide.ts';
import { isTerminal } from './deployment-model.ts';
import { type TrafficReport, TrafficWindow } from './traffic-window.ts';

/** The rollout commands the controller proposes. */
export type ControllerOp = Decision['op'];

/** How the controller writes (through the leader, like any client). */
export interface DeployWriter {
  transition<K extends ControllerOp>(op: K, args: CommandArgs[K]): Promise<void>;
  /** Removes the instance if its modRevision is still `expectedRevision`. */
  deregisterIf(id: string, expectedRevision: number): Promise<void>;
}

export interface DeployControllerOptions {
  readonly registry: Registry;
  readonly isLeader: () => boolean;
  readonly writer: DeployWriter;
  readonly logger: Logger;
  /** How often a pass runs (also after every applied batch). */
  readonly intervalMs?: number;
  /** The error-rate window. */
  readonly windowMs?: number;
  /** Drain timeout of instances drained without one. */
  readonly drainTimeoutMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_CONTROLLER_INTERVAL_MS = 500;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** A proposal for the same observed revision is not repeated within this (the local registry may lag). */
const RETRY_SAME_REVISION_MS = 1_000;

export class DeployController {
  readonly traffic: TrafficWindow;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  /** Keys (deployment id, `drain:<instance>`) with a proposal in flight. */
  private readonly inFlight = new Set<string>();
  /** The revision each key's last proposal was decided on, and when. */
  private readonly tried = new Map<string, { revision: number; at: number }>();
  private wasLeader = false;
  private scheduled = false;
  private closed = false;

  constructor(private readonly o: DeployControllerOptions) {
    this.now = o.now ?? Date.now;
    this.traffic = new TrafficWindow(o.windowMs);
    this.timer = setInterval(() => this.reconcile(true), o.intervalMs ?? DEFAULT_CONTROLLER_INTERVAL_MS);
    this.timer.unref();
  }

  /** Leader only (the caller checks): a gateway's counts for the error gate. */
  report(reports: readonly TrafficReport[]): void {
    this.traffic.record(reports, this.now());
  }

  /** Runs a pass soon (coalesced): after an applied batch, a health change may have failed a gate. */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reconcile(false);
    });
  }

  /** One pass. `drains`: also end drains that timed out (on the timer only: it scans every instance). */
  reconcile(drains: boolean): void {
    if (this.closed) return;
    const leader = this.o.isLeader();
    if (leader && !this.wasLeader) this.traffic.reset();
    this.wasLeader = leader;
    if (!leader) return;
    const now = this.now();
    for (const d of this.o.registry.listDeployments()) {
      if (isTerminal(d.status)) continue;
      const instances = this.o.registry.getService(d.service);
      const traffic = this.traffic.totals(d.service, d.to, d.stepStartedAt, now);
      const decision = decide(d, instances, traffic, now);
      if (decision !== undefined) this.propose(d, decision);
    }
    if (drains) this.endDrains(now);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private propose(d: Deployment, decision: Decision): void {
    const args =
      decision.op === 'deployment.rollback'
        ? { id: d.id, expectedRevision: d.modRevision, reason: decision.reason, fail: decision.fail }
        : { id: d.id, expectedRevision: d.modRevision, reason: decision.reason };
    this.run(d.id, d.modRevision, `${decision.op} ${d.id}: ${decision.reason}`, () =>
      this.o.writer.transition(decision.op, args),
    );
  }

  private endDrains(now: number): void {
    for (const i of this.o.registry.instances()) {
      if (i.state !== 'draining' || i.drainingSince === undefined) continue;
      const timeout = i.drainTimeoutMs ?? this.o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
      if (now < i.drainingSince + timeout) continue;
      this.run(`drain:${i.id}`, i.modRevision, `deregister ${i.id}: drained for ${timeout} ms`, () =>
        this.o.writer.deregisterIf(i.id, i.modRevision),
      );
    }
  }

  /** One proposal per key at a time, and not again for the same revision while this registry catches up. */
  private run(key: string, revision: number, what: string, write: () => Promise<void>): void {
    if (this.inFlight.has(key)) return;
    const last = this.tried.get(key);
    if (last !== undefined && last.revision === revision && this.now() - last.at < RETRY_SAME_REVISION_MS)
      return;
    this.inFlight.add(key);
    this.tried.set(key, { revision, at: this.now() });
    write()
      .then(
        () => this.o.logger.info({ change: what }, 'deployment controller: applied'),
        (err: unknown) => {
          // CONFLICT: the record moved since it was read (another leader, a person); the next pass re-reads it.
          const conflict = err instanceof FlotillaError && err.code === 'CONFLICT';
          this.o.logger[conflict ? 'info' : 'warn'](
            { change: what, err: (err as Error).message },
            conflict
              ? 'deployment controller: superseded'
              : 'deployment controller: write failed; will retry',
          );
        },
      )
      .finally(() => {
        this.inFlight.delete(key);
        if (this.tried.size > 1024) this.tried.clear();
      });
  }
}
