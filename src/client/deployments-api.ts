/**
 * `client.deployments` (issue #8): progressive deployments of a service —
 * a canary by percentage (optionally stepped, promoted by hand or by the
 * leader's controller once its gates pass) and blue-green with an atomic
 * switch — plus reading and watching the records. Every call answers the
 * deployment record (its `id` included) as a linearizable read sees it
 * right after the change.
 */

import { FlotillaError } from '../registry/errors.ts';
import type { Deployment, DeploymentCreate, DeploymentStep } from '../registry/types.ts';
import { type CallOptions, defined, type Requester } from './requester.ts';
import type { ReadOptions } from './services-api.ts';

/** Gates and limits common to both strategies (defaults: src/deploy/deployment-model.ts `DEFAULT_GATES`). */
export interface RolloutOptions {
  readonly service: string;
  /** The new version (instances match it by their `version`). */
  readonly to: string;
  /** The version to move from (default: the one other version the service runs). */
  readonly from?: string;
  /** Default: `<service>-<revision>`. */
  readonly id?: string;
  /** Roll back by itself when a gate fails (default true). */
  readonly autoRollback?: boolean;
  /** Error gate: share (0–100) of the new version's requests answered 5xx that fails it (default 5). */
  readonly maxErrorPercent?: number;
  /** Error gate: requests seen before the rate counts (default 20). */
  readonly minRequests?: number;
  /** Fail a deployment that waits on the controller this long without progress (default 10 min). */
  readonly progressDeadlineMs?: number;
}

/** `deployments.canary`. */
export interface CanaryOptions extends RolloutOptions {
  /** Share of traffic (0–100) of the first step; the only step without `steps`. */
  readonly percent?: number;
  /** Increasing shares below 100, each held `pauseMs`; after the last, 100 and succeeded. */
  readonly steps?: readonly DeploymentStep[];
  /** Promote step by step by itself once each step's pause is over and the gates pass (default false). */
  readonly autoPromote?: boolean;
}

/** `deployments.list` answer. */
export interface DeploymentList {
  readonly deployments: Deployment[];
  readonly revision: number;
}

export class DeploymentsApi {
  constructor(private readonly c: Requester) {}

  /** Starts a canary: `percent` of the traffic to `to` (CONFLICT when the service has an active deployment). */
  async canary(options: CanaryOptions, call?: CallOptions): Promise<Deployment> {
    const args = defined({ ...options, strategy: 'canary' as const }) as DeploymentCreate;
    const r = await this.c.request('deployment.create', args, call);
    return this.require(r.id!, call);
  }

  /** Starts a blue-green deployment: `to` gets no traffic until `switch`. */
  async blueGreen(options: RolloutOptions, call?: CallOptions): Promise<Deployment> {
    const args = defined({ ...options, strategy: 'blue-green' as const }) as DeploymentCreate;
    const r = await this.c.request('deployment.create', args, call);
    return this.require(r.id!, call);
  }

  /** Canary: the next step, or `percent` (100: done). Blue-green, once switched: done. */
  async promote(id: string, percent?: number, call?: CallOptions): Promise<Deployment> {
    await this.c.request(
      'deployment.promote',
      defined({ id, percent, reason: 'promoted by a client' }),
      call,
    );
    return this.require(id, call);
  }

  /** All traffic back to `from` at once; the deployment ends `rolled-back`. */
  async rollback(id: string, reason = 'rolled back by a client', call?: CallOptions): Promise<Deployment> {
    await this.c.request('deployment.rollback', { id, reason }, call);
    return this.require(id, call);
  }

  /** Blue-green: all traffic to the other version, in one replicated write. */
  async switch(id: string, call?: CallOptions): Promise<Deployment> {
    await this.c.request('deployment.switch', { id }, call);
    return this.require(id, call);
  }

  /** A deployment record, or `null` when there is none with this id. */
  async get(id: string, options: ReadOptions = {}): Promise<Deployment | null> {
    const { consistency, ...call } = options;
    return (await this.c.request('deployment.get', defined({ id, consistency }), call)).deployment;
  }

  /** Every deployment record (of one service when given), sorted by id. */
  async list(service?: string, options: ReadOptions = {}): Promise<DeploymentList> {
    const { consistency, ...call } = options;
    const r = await this.c.request('deployment.list', defined({ service, consistency }), call);
    return { deployments: r.deployments, revision: r.revision };
  }

  /**
   * The record now, then again after each change, until it ends (a terminal
   * status), is deleted, or the caller stops iterating. NOT_FOUND when absent.
   */
  async *watch(id: string, options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<Deployment> {
    const r = await this.c.request('deployment.get', { id });
    if (r.deployment === null)
      throw new FlotillaError('NOT_FOUND', `deployment ${id} does not exist`, { details: { field: 'id' } });
    yield r.deployment;
    if (isDone(r.deployment)) return;
    const stream = this.c.watch(
      { kinds: ['deployment'], service: r.deployment.service },
      defined({ fromRevision: r.revision, signal: options.signal }),
    );
    try {
      for await (const e of stream) {
        if (e.kind === 'resync') {
          const d = e.state.deployments.find((x) => x.id === id);
          if (d === undefined) return;
          yield d;
          if (isDone(d)) return;
        } else if (e.kind === 'deployment') {
          if (e.type === 'delete') {
            if (e.id === id) return;
            continue;
          }
          if (e.deployment.id !== id) continue;
          yield e.deployment;
          if (isDone(e.deployment)) return;
        }
      }
    } finally {
      stream.cancel();
    }
  }

  private async require(id: string, call?: CallOptions): Promise<Deployment> {
    const d = await this.get(id, call);
    if (d === null)
      throw new FlotillaError('NOT_FOUND', `deployment ${id} does not exist`, { details: { field: 'id' } });
    return d;
  }
}

function isDone(d: Deployment): boolean {
  return d.status === 'succeeded' || d.status === 'rolled-back' || d.status === 'failed';
}
