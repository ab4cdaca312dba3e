/**
 * How a node writes to the cluster on its own behalf (health transitions):
 * through the SDK, like any client, so it follows the leader, retries and
 * applies each write once. Connected lazily: at start-up the node is not
 * listening yet, and a node that never owns a check never connects.
 */

import { type ClientTlsOptions, connect, type FlotillaClient } from '../client/index.ts';
import type { ControllerOp, DeployWriter } from '../deploy/deploy-controller.ts';
import type { HealthWriter } from '../health/health-worker.ts';
import type { CommandArgs } from '../registry/commands.ts';
import type { Health } from '../registry/types.ts';

export class InternalClient implements HealthWriter, DeployWriter {
  private client: Promise<FlotillaClient> | undefined;
  private closed = false;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly tls?: ClientTlsOptions,
  ) {}

  private get(): Promise<FlotillaClient> {
    if (this.closed) return Promise.reject(new Error('node is closing'));
    this.client ??= connect({
      endpoints: [...this.endpoints],
      timeoutMs: 5_000,
      ...(this.tls === undefined ? {} : { tls: this.tls }),
    }).catch((err: unknown) => {
      this.client = undefined; // try again on the next write
      throw err;
    });
    return this.client;
  }

  async setHealth(id: string, health: Health): Promise<void> {
    await (await this.get()).services.setHealth(id, health);
  }

  async deregister(id: string): Promise<void> {
    await (await this.get()).services.deregister(id);
  }

  async transition<K extends ControllerOp>(op: K, args: CommandArgs[K]): Promise<void> {
    await (await this.get()).request(op, args as never);
  }

  async deregisterIf(id: string, expectedRevision: number): Promise<void> {
    await (await this.get()).request('service.deregister', { id, expectedRevision });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    await client?.close();
  }
}
