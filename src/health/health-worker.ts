/**
 * The health checking of one node (issue #7 item 1). Every node runs the
 * checks of the instances it owns and writes only *transitions* through
 * Raft (an `instance.health` when the health its checks compute differs from
 * the registry's; a `service.deregister` once a check has been critical for
 * its `deregisterCriticalAfterMs`).
 *
 * Ownership: instances with a ttl check belong to the leader, which receives
 * the heartbeats (`instance.heartbeat` is routed to it); the others are
 * spread over the live nodes by rendezvous hashing, so when a node dies only
 * its instances move. A node's view of who is live is its own (its peer
 * links); two nodes may briefly both check an instance while views differ,
 * which costs a duplicate probe, never a wrong state: writes are idempotent
 * and each reflects a real observation.
 */

import type { Logger } from '../../raft/index.ts';
import { FlotillaError } from '../registry/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Health, Instance } from '../registry/types.ts';
import { checksSignature, InstanceChecks } from './instance-checks.ts';
import { ownerOf } from './rendezvous.ts';

/** How the worker changes the registry (through the leader). */
export interface HealthWriter {
  setHealth(id: string, health: Health): Promise<void>;
  deregister(id: string): Promise<void>;
}

export interface HealthWorkerOptions {
  readonly nodeId: string;
  readonly registry: Registry;
  /** This node and every peer it can reach now. */
  readonly liveNodes: () => readonly string[];
  readonly isLeader: () => boolean;
  readonly writer: HealthWriter;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** How often ownership is recomputed (also after every applied batch via `reconcile`). */
  readonly reconcileMs?: number;
}

export const DEFAULT_RECONCILE_MS = 500;
/** How long a written transition may take to reach this node's registry before it is written again. */
const CATCH_UP_MS = 5_000;

export class HealthWorker {
  private readonly running = new Map<string, InstanceChecks>();
  /** Instances with a write in flight: one transition at a time per instance. */
  private readonly writing = new Set<string>();
  /** The last health written per instance and when: not written again while this node's registry catches up. */
  private readonly written = new Map<string, { health: Health; at: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: HealthWorkerOptions) {
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => this.reconcile(), o.reconcileMs ?? DEFAULT_RECONCILE_MS);
    this.timer.unref();
  }

  /** Instances whose checks this node runs (for tests and status). */
  get owned(): string[] {
    return [...this.running.keys()].sort();
  }

  /** Starts and stops check runners to match the registry and the live set. Cheap; run often. */
  reconcile(): void {
    if (this.closed) return;
    const live = [...this.o.liveNodes()].sort();
    const leader = this.o.isLeader();
    const seen = new Set<string>();
    for (const instance of this.o.registry.instances()) {
      if (instance.checks.length === 0) continue;
      const ttl = instance.checks.some((c) => c.type === 'ttl');
      const mine = ttl ? leader : ownerOf(instance.id, live) === this.o.nodeId;
      if (!mine) continue;
      seen.add(instance.id);
      this.ensure(instance);
    }
    for (const [id, runner] of this.running) {
      if (seen.has(id)) continue;
      runner.stop();
      this.running.delete(id);
      this.written.delete(id);
    }
  }

  /**
   * A heartbeat for an instance's ttl checks. Throws NOT_FOUND for an unknown
   * instance and INVALID_ARGUMENT for one without a ttl check. Leader only
   * (the caller checks).
   */
  heartbeat(id: string): { id: string; health: Health; ttlMs: number } {
    const instance = this.o.registry.getInstance(id);
    if (instance === undefined) {
      throw new FlotillaError('NOT_FOUND', `instance ${id} is not registered`, { details: { field: 'id' } });
    }
    if (!instance.checks.some((c) => c.type === 'ttl')) {
      throw new FlotillaError('INVALID_ARGUMENT', `id: instance ${id} has no ttl check`, {
        details: { field: 'id' },
      });
    }
    const runner = this.ensure(instance);
    const ttlMs = runner.heartbeat()!;
    return { id, health: runner.health, ttlMs };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const runner of this.running.values()) runner.stop();
    this.running.clear();
  }

  private ensure(instance: Instance): InstanceChecks {
    const existing = this.running.get(instance.id);
    if (existing !== undefined && existing.signature === checksSignature(instance)) {
      existing.update(instance);
      this.evaluate(existing);
      return existing;
    }
    existing?.stop();
    const runner = new InstanceChecks(instance, {
      now: this.now,
      random: this.o.random ?? Math.random,
      onResult: (id) => {
        const r = this.running.get(id);
        if (r !== undefined) this.evaluate(r);
      },
    });
    this.running.set(instance.id, runner);
    return runner;
  }

  /** Writes what the checks say when the registry says otherwise. */
  private evaluate(runner: InstanceChecks): void {
    const id = runner.id;
    if (this.closed || this.writing.has(id)) return;
    const current = this.o.registry.getInstance(id);
    if (current === undefined) return;
    runner.update(current);
    if (runner.shouldDeregister(this.now())) {
      this.write(id, 'deregister', () => this.o.writer.deregister(id));
      return;
    }
    const health = runner.health;
    if (health === current.health) {
      this.written.delete(id);
      return;
    }
    const last = this.written.get(id);
    if (last !== undefined && last.health === health && this.now() - last.at < CATCH_UP_MS) return;
    this.write(id, `health ${health}`, async () => {
      await this.o.writer.setHealth(id, health);
      this.written.set(id, { health, at: this.now() });
    });
  }

  private write(id: string, what: string, run: () => Promise<void>): void {
    this.writing.add(id);
    run()
      .then(
        () => this.o.logger.info({ instance: id, change: what }, 'health transition written'),
        (err: unknown) =>
          this.o.logger.warn(
            { instance: id, change: what, err: (err as Error).message },
            'health write failed; will retry',
          ),
      )
      .finally(() => this.writing.delete(id));
  }
}
