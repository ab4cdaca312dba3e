/**
 * The SDK clients a chaos run uses, all in the test process:
 * - one writer per worker, knowing every node (writes find the leader);
 * - one reader per node, knowing only that node: the SDK sends reads to the
 *   leader when it can, and a read that must come from a follower (or from a
 *   leader cut off from its peers) is exactly the one that can be stale;
 * - an admin client for probes, transfers and the final reads;
 * - a watcher client.
 * Deadlines are short: a fault should turn an op into fail/info quickly, not
 * stall a worker for the whole fault.
 */

import { connect, type FlotillaClient } from '../../../src/client/index.ts';

export interface ClientTimings {
  /** Deadline of one call. */
  readonly timeoutMs: number;
  /** How long one attempt may wait on a node that does not answer. */
  readonly attemptTimeoutMs: number;
}

export function clientTimings(electionMs: number): ClientTimings {
  return { timeoutMs: 6 * electionMs, attemptTimeoutMs: Math.round(1.5 * electionMs) };
}

export class ChaosClients {
  private constructor(
    readonly writers: readonly FlotillaClient[],
    /** By node index. */
    readonly readers: readonly FlotillaClient[],
    readonly admin: FlotillaClient,
    readonly watcher: FlotillaClient,
  ) {}

  static async connect(
    endpoints: readonly string[],
    workers: number,
    t: ClientTimings,
  ): Promise<ChaosClients> {
    const opened: FlotillaClient[] = [];
    const open = async (eps: readonly string[], id: string) => {
      const c = await connect({
        endpoints: eps,
        timeoutMs: t.timeoutMs,
        attemptTimeoutMs: t.attemptTimeoutMs,
        retry: { baseMs: 20, maxMs: 250 },
        clientId: id,
      });
      opened.push(c);
      return c;
    };
    try {
      const writers = [];
      for (let k = 0; k < workers; k++) writers.push(await open(endpoints, `chaos-w${k}`));
      const readers = [];
      for (const [i, e] of endpoints.entries()) readers.push(await open([e], `chaos-r${i}`));
      return new ChaosClients(
        writers,
        readers,
        await open(endpoints, 'chaos-admin'),
        await open(endpoints, 'chaos-watch'),
      );
    } catch (error) {
      await Promise.all(opened.map((c) => c.close()));
      throw error;
    }
  }

  async close(): Promise<void> {
    const all = [...this.writers, ...this.readers, this.admin, this.watcher];
    await Promise.allSettled(all.map((c) => c.close()));
  }
}
