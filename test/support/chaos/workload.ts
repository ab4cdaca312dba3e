/**
 * The clients' side of a chaos run: workers that issue kv put/get/cas/delete
 * on a handful of keys and register/deregister/discover on a few services,
 * recording each op (invoke, then ok / fail / info) on one monotonic clock;
 * plus "ledger" writes, each to a fresh key or instance that is never
 * touched again, so "no acknowledged write is lost" is a plain set check.
 * Every choice comes from the schedule's workload seed.
 */

import type { FlotillaClient } from '../../../src/client/index.ts';
import { HistoryRecorder } from '../lincheck/recorder.ts';
import { deriveRng, type SimRng } from '../sim/sim-rng.ts';
import type { ChaosClients } from './chaos-clients.ts';
import { classify, type Ledger, recordKv, recordService } from './recorded-ops.ts';
import { sleep } from './sleep.ts';

export interface WorkloadShape {
  readonly workers: number;
  readonly kvKeys: number;
  readonly services: number;
  readonly instancesPerService: number;
  /** Pause between one worker's ops, uniform in [min, max] ms: sets the load. */
  readonly thinkMs: readonly [number, number];
}

export const DEFAULT_WORKLOAD: WorkloadShape = {
  workers: 8,
  kvKeys: 3,
  services: 2,
  instancesPerService: 4,
  thinkMs: [0, 10],
};

/** Names the workload uses: kv keys, service names, instance ids. */
export const kvKey = (i: number): string => `k${i}`;
export const serviceName = (i: number): string => `svc${i}`;
export const instanceId = (s: number, i: number): string => `svc${s}-i${i}`;
export const PROBE_KEY = 'probe';
export const LEDGER_SERVICE = 'ledger';

export class Workload {
  readonly kv: HistoryRecorder;
  readonly services: HistoryRecorder;
  readonly ledger: Ledger = { kv: [], instances: [] };
  #stopping = false;
  #running: Promise<void>[] = [];
  #probes = 0;

  constructor(
    private readonly clients: ChaosClients,
    private readonly shape: WorkloadShape,
    private readonly seed: number,
    readonly now: () => number,
  ) {
    this.kv = new HistoryRecorder({ now });
    this.services = new HistoryRecorder({ now });
  }

  /** Starts the workers; they run until `stop()`. */
  start(): void {
    for (let k = 0; k < this.shape.workers; k++) this.#running.push(this.#worker(k));
  }

  /** Stops the workers and waits for the ops in flight (each has a deadline). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#running);
  }

  async #worker(k: number): Promise<void> {
    const rng = deriveRng(this.seed, `worker ${k}`);
    const writer = this.clients.writers[k]!;
    /** The last value this worker saw per key: what its cas expects. */
    const seen = new Map<string, string | null>();
    let generation = 0;
    let n = 0;
    while (!this.#stopping) {
      // After an op of unknown outcome the "process" is a new one, as in Jepsen: the old op may still be pending.
      const process = generation === 0 ? `w${k}` : `w${k}.${generation}`;
      const status = await this.#oneOp(rng, k, n++, process, writer, seen);
      if (status === 'info') generation++;
      const [lo, hi] = this.shape.thinkMs;
      await sleep(lo + rng.int(hi - lo + 1));
    }
  }

  async #oneOp(
    rng: SimRng,
    k: number,
    n: number,
    process: string,
    writer: FlotillaClient,
    seen: Map<string, string | null>,
  ): Promise<'ok' | 'fail' | 'info'> {
    const node = rng.int(this.clients.readers.length);
    const reader = this.clients.readers[node]!;
    // Reads name the node that answered: a stale read is that node's fault.
    const via = `${process}@n${node + 1}`;
    const key = kvKey(rng.int(this.shape.kvKeys));
    const s = rng.int(this.shape.services);
    const service = serviceName(s);
    const instance = instanceId(s, rng.int(this.shape.instancesPerService));
    const value = `w${k}.${n}`;
    // The mix: 22% get, 18% put, 15% cas, 5% delete, 11% register, 8% deregister, 11% discover, 10% ledger.
    const dice = rng.int(100);
    if (dice < 22) {
      const r = await recordKv(this.kv, via, key, 'get', null, () => reader.kv.get(key));
      if (r.status === 'ok') seen.set(key, r.output.value as string | null);
      return r.status;
    }
    if (dice < 40) {
      const r = await recordKv(this.kv, process, key, 'put', value, () => writer.kv.put(key, value));
      if (r.status === 'ok') seen.set(key, value);
      return r.status;
    }
    if (dice < 55) {
      const expected = rng.int(4) === 0 ? null : (seen.get(key) ?? null);
      const input = { expected, value };
      const r = await recordKv(this.kv, process, key, 'cas', input, () =>
        writer.kv.cas(key, expected, value),
      );
      if (r.status === 'ok' && r.output.succeeded === true) seen.set(key, value);
      return r.status;
    }
    if (dice < 60) {
      return (await recordKv(this.kv, process, key, 'delete', null, () => writer.kv.delete(key))).status;
    }
    if (dice < 71) {
      const reg = { id: instance, name: service, address: '127.0.0.1', port: 10_000 + n };
      return (
        await recordService(this.services, process, service, 'register', instance, () =>
          writer.services.register(reg),
        )
      ).status;
    }
    if (dice < 79) {
      const call = () => writer.services.deregister(instance);
      return (await recordService(this.services, process, service, 'deregister', instance, call)).status;
    }
    if (dice < 90) {
      const call = () => reader.services.discover(service);
      return (await recordService(this.services, via, service, 'discover', null, call)).status;
    }
    return this.#ledgerWrite(writer, k, n, dice % 2 === 0);
  }

  /** A write to a fresh name, never touched again: acknowledged ⇒ present at the end, fail ⇒ absent. */
  async #ledgerWrite(
    writer: FlotillaClient,
    k: number,
    n: number,
    asKv: boolean,
  ): Promise<'ok' | 'fail' | 'info'> {
    const name = `ledger-w${k}-${n}`;
    const write = asKv
      ? () => writer.kv.put(`ledger/${name}`, n)
      : () => writer.services.register({ id: name, name: LEDGER_SERVICE, address: '127.0.0.1', port: 1 });
    const entry = {
      name: asKv ? `ledger/${name}` : name,
      status: 'info' as 'ok' | 'fail' | 'info',
      revision: 0,
    };
    (asKv ? this.ledger.kv : this.ledger.instances).push(entry);
    try {
      entry.revision = (await write()).revision;
      entry.status = 'ok';
    } catch (error) {
      entry.status = classify(error);
    }
    return entry.status;
  }

  /** Puts to the probe key until one is accepted: resolves with the ms it took, or undefined once `signal` aborts. */
  async probe(signal: AbortSignal): Promise<number | undefined> {
    const started = this.now();
    const process = `probe${this.#probes++}`;
    for (let i = 0; !signal.aborted; i++) {
      const value = `${process}.${i}`;
      const call = () => this.clients.admin.kv.put(PROBE_KEY, value, { timeoutMs: 1_000 });
      const r = await recordKv(this.kv, `${process}.${i}`, PROBE_KEY, 'put', value, call);
      if (r.status === 'ok') return signal.aborted ? undefined : this.now() - started;
      await sleep(10, signal);
    }
    return undefined;
  }

  /** Ops recorded so far. */
  get opCount(): number {
    return (
      this.kv.history().length +
      this.services.history().length +
      this.ledger.kv.length +
      this.ledger.instances.length
    );
  }
}
