/**
 * The etcd adapter: three `etcd` 3.4 members on loopback (default heartbeat
 * 100 ms and election 1000 ms unless told otherwise, data in a temp dir, fsync
 * on every commit batch as etcd always does) and `etcd3` npm clients.
 *
 * A service registration is a put of its JSON under
 * `services/<name>/<id>`, the way a registry on etcd stores one.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExponentialBackoff, handleType, noop, retry } from 'cockatiel';
import { Etcd3, GRPCUnavailableError, type IOptions, type Watcher } from 'etcd3';
import { freePort } from '../../test/support/process-cluster.ts';
import { waitUntilAsync } from '../../test/support/wait-for.ts';
import { ensureEtcd, etcdVersion } from './etcd-install.ts';
import type {
  AddedMember,
  BenchClient,
  BenchClientOptions,
  BenchCluster,
  BenchLoader,
  BenchRegistration,
  EtcdFaultHandling,
  FsyncStats,
  ReadMode,
  StartOptions,
} from './system.ts';
import { adoptProcess, type MemberProcess, scrapeHistogram } from './system.ts';

/** Per-call deadline, as Flotilla's SDK default (`DEFAULT_TIMEOUT_MS`), so neither waits longer. */
export const ETCD_CALL_DEADLINE_MS = 5_000;

interface Member extends MemberProcess {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** etcd's member id (decimal string), learnt from its first status answer (or from `member add`). */
  id?: string;
  /** Added by {@link EtcdCluster.addMember}: started with `--initial-cluster-state existing`. */
  readonly join?: boolean;
}

/**
 * The etcd3 fault handling for `connection-only`: no circuit breaker per host,
 * and a retry (on the next host of the client's shuffle) only when the call
 * failed to reach a server — gRPC UNAVAILABLE not sent by etcd itself
 * (etcd's own UNAVAILABLE answers, "etcdserver: leader changed", "no leader",
 * "request timed out", start with `etcdserver:` and are not retried).
 */
function connectionOnlyFaultHandling(): NonNullable<IOptions['faultHandling']> {
  const connectionFailure = handleType(GRPCUnavailableError, (e) => !e.message.includes('etcdserver:'));
  return {
    host: () => noop,
    global: retry(connectionFailure, {
      maxAttempts: 40,
      backoff: new ExponentialBackoff({ initialDelay: 10, maxDelay: 250 }),
    }),
  };
}

function deadline(): NonNullable<IOptions['defaultCallOptions']> {
  return (context) => (context.isStream ? {} : { deadline: Date.now() + ETCD_CALL_DEADLINE_MS });
}

class EtcdBenchClient implements BenchClient {
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly client: Etcd3) {}

  async put(key: string, value: string): Promise<void> {
    await this.client.put(key).value(value).exec();
  }

  async register(r: BenchRegistration): Promise<void> {
    await this.client.put(`services/${r.name}/${r.id}`).value(JSON.stringify(r)).exec();
  }

  async get(key: string, mode: ReadMode): Promise<void> {
    await this.client
      .get(key)
      .serializable(mode === 'stale')
      .exec();
  }

  async watchService(name: string, onChange: (seq: number) => void): Promise<() => void> {
    const watcher = await this.client.watch().prefix(`services/${name}/`).create();
    this.watchers.add(watcher);
    watcher.on('put', (kv) => {
      const r = JSON.parse(kv.value.toString()) as BenchRegistration;
      onChange(Number(r.meta.seq));
    });
    watcher.on('error', () => undefined);
    return () => {
      this.watchers.delete(watcher);
      void watcher.cancel().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers].map((w) => w.cancel().catch(() => undefined)));
    this.watchers.clear();
    this.client.close();
  }
}

/** Puts in flight of {@link EtcdCluster.connectLoader} (one gRPC channel multiplexes them). */
const LOADER_CONCURRENCY = 1_024;

/** Puts through the etcd3 client bound to the leader only (no proxying through a follower). */
class EtcdLoader implements BenchLoader {
  readonly concurrency = LOADER_CONCURRENCY;
  readonly description = 'etcd3 client, one gRPC channel to the leader';

  constructor(private readonly client: Etcd3) {}

  async put(key: string, value: string): Promise<void> {
    await this.client.put(key).value(value).exec();
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** A running 3-member etcd cluster of real processes. */
export class EtcdCluster implements BenchCluster {
  readonly system = 'etcd';
  private readonly admins = new Map<string, Etcd3>();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly bin: string,
    readonly version: string,
    readonly tempDir: string,
    private readonly list: Member[],
    private readonly options: StartOptions,
    private readonly token: string,
  ) {}

  /** Installs etcd when missing, starts three members, waits for a leader. */
  static async start(options: StartOptions, log: (line: string) => void): Promise<EtcdCluster> {
    const bin = ensureEtcd(log);
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-etcd-'));
    const list: Member[] = [];
    for (let i = 1; i <= 3; i++) {
      list.push({
        name: `m${i}`,
        clientUrl: `http://127.0.0.1:${await freePort()}`,
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        dataDir: join(dir, `m${i}`),
        output: '',
      });
    }
    const token = `bench-${process.pid}-${Date.now()}`;
    const self = new EtcdCluster(bin, etcdVersion(bin), dir, list, options, token);
    try {
      for (const m of list) self.restart(m.name);
      await self.leader(30_000);
    } catch (err) {
      await self.close();
      throw err;
    }
    return self;
  }

  get members(): readonly string[] {
    return this.list.map((m) => m.name);
  }

  private member(name: string): Member {
    const m = this.list.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no etcd member ${name}`);
    return m;
  }

  /** A client bound to one member, no retries, 1 s deadline: for status polls. */
  private admin(name: string): Etcd3 {
    let c = this.admins.get(name);
    if (c === undefined) {
      c = new Etcd3({
        hosts: [this.member(name).clientUrl],
        faultHandling: { host: () => noop, global: noop },
        defaultCallOptions: () => ({ deadline: Date.now() + 1_000 }),
      });
      this.admins.set(name, c);
    }
    return c;
  }

  private async status(
    name: string,
  ): Promise<{ id: string; leader: string; raftIndex: number; applied: number } | undefined> {
    try {
      const s = await this.admin(name).maintenance.status();
      this.member(name).id = s.header.member_id;
      return {
        id: s.header.member_id,
        leader: s.leader,
        raftIndex: Number(s.raftIndex),
        applied: Number(s.raftAppliedIndex),
      };
    } catch {
      // A failed call leaves the channel broken for a while: start afresh next time.
      this.admins.get(name)?.close();
      this.admins.delete(name);
      return undefined;
    }
  }

  async leader(timeoutMs = 20_000): Promise<string> {
    const deadlineAt = performance.now() + timeoutMs;
    for (;;) {
      const running = this.list.filter((m) => m.process !== undefined);
      const statuses = await Promise.all(running.map((m) => this.status(m.name)));
      const leaders = new Set(statuses.map((s) => s?.leader));
      const leaderId = statuses[0]?.leader;
      const leader = this.list.find((m) => m.id !== undefined && m.id === leaderId);
      if (leaders.size === 1 && leader?.process !== undefined && leaderId !== '0') return leader.name;
      if (performance.now() > deadlineAt) {
        const tails = running.map((m) => `${m.name}: ${m.output.slice(-500)}`).join('\n');
        throw new Error(`etcd: no agreed leader after ${timeoutMs} ms\n${tails}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  pid(member: string): number | undefined {
    return this.member(member).process?.pid;
  }

  dataDir(member: string): string {
    return this.member(member).dataDir;
  }

  /** etcd ships its whole bbolt database as the snapshot a follower installs: `member/snap/db`. */
  async snapshotFile(member: string): Promise<{ path: string; bytes: number } | undefined> {
    const path = join(this.dataDir(member), 'member', 'snap', 'db');
    const s = await stat(path).catch(() => undefined);
    return s === undefined ? undefined : { path, bytes: s.size };
  }

  async kill(member: string): Promise<void> {
    const m = this.member(member);
    if (m.process === undefined) return;
    m.process.kill('SIGKILL');
    await m.exited;
    m.process = undefined;
    this.admins.get(member)?.close();
    this.admins.delete(member);
  }

  restart(member: string): void {
    const m = this.member(member);
    if (m.process !== undefined) throw new Error(`etcd ${member} is running`);
    const cluster = this.list.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--advertise-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      m.peerUrl,
      '--initial-advertise-peer-urls',
      m.peerUrl,
      '--initial-cluster',
      cluster,
      '--initial-cluster-token',
      this.token,
      '--initial-cluster-state',
      m.join === true ? 'existing' : 'new',
      '--heartbeat-interval',
      String(this.options.heartbeatMs),
      '--election-timeout',
      String(this.options.electionMs),
      ...(this.options.snapshotEntries === undefined
        ? []
        : ['--snapshot-count', String(this.options.snapshotEntries)]),
      '--logger',
      'zap',
      '--log-level',
      this.options.logLevel ?? 'warn',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    adoptProcess(m, child);
  }

  /**
   * `Cluster.MemberAdd` of a voter with the new member's peer URL, sent to
   * the leader (what `etcdctl member add` does). etcd 3.4 refuses a voter
   * ("unhealthy cluster") until every voter has been connected to the leader
   * for 5 s (`--strict-reconfig-check`, its default): such a refusal is
   * retried every 250 ms for up to 30 s, and counted.
   */
  async addMember(): Promise<AddedMember> {
    const name = `m${this.list.length + 1}`;
    const m: Member = {
      name,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(this.tempDir, name),
      output: '',
      join: true,
    };
    const leader = this.member(await this.leader());
    const client = new Etcd3({
      hosts: [leader.clientUrl],
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
    });
    const giveUpAt = performance.now() + 30_000;
    let refused = 0;
    let addMs: number;
    try {
      for (;;) {
        const t0 = performance.now();
        try {
          const r = await client.cluster.memberAdd({ peerURLs: [m.peerUrl] });
          addMs = performance.now() - t0;
          m.id = r.member.ID;
          break;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (!message.includes('unhealthy cluster') || performance.now() > giveUpAt) throw err;
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      client.close();
    }
    this.list.push(m);
    return { id: name, addMs, refused };
  }

  async isVoter(member: string): Promise<boolean | undefined> {
    const id = this.member(member).id;
    for (const m of this.list.filter((x) => x.process !== undefined && x.name !== member)) {
      try {
        const { members } = await this.admin(m.name).cluster.memberList({});
        return members.some((x) => x.ID === id && !x.isLearner);
      } catch {
        // Try the next member.
      }
    }
    return undefined;
  }

  fsyncStats(member: string): Promise<FsyncStats | undefined> {
    return scrapeHistogram(this.metricsUrl(member), 'etcd_disk_wal_fsync_duration_seconds');
  }

  async commitIndex(member: string): Promise<number | undefined> {
    return (await this.status(member))?.raftIndex;
  }

  waitApplied(member: string, index: number, timeoutMs: number): Promise<void> {
    return waitUntilAsync(
      `etcd ${member} to apply index ${index}`,
      async () => ((await this.status(member))?.applied ?? -1) >= index,
      timeoutMs,
    );
  }

  async appliedIndex(member: string): Promise<number | undefined> {
    return (await this.status(member))?.applied;
  }

  async raftSnapshotIndex(member: string): Promise<number | undefined> {
    const names = await readdir(join(this.dataDir(member), 'member', 'snap')).catch(() => [] as string[]);
    // <term>-<index>.snap, both 16 hex digits.
    const indexes = names.flatMap((n) => {
      const m = /^[0-9a-f]{16}-([0-9a-f]{16})\.snap$/.exec(n);
      return m === null ? [] : [Number.parseInt(m[1]!, 16)];
    });
    return indexes.length === 0 ? undefined : Math.max(...indexes);
  }

  async readAt(member: string, key: string, timeoutMs: number): Promise<void> {
    const client = new Etcd3({
      hosts: [this.member(member).clientUrl],
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
    });
    try {
      await client.get(key).exec();
    } finally {
      client.close();
    }
  }

  metricsUrl(member: string): string {
    return `${this.member(member).clientUrl}/metrics`;
  }

  output(member: string): string {
    return this.member(member).output;
  }

  async connectLoader(): Promise<BenchLoader> {
    const leader = this.member(await this.leader());
    return new EtcdLoader(
      new Etcd3({
        hosts: [leader.clientUrl],
        defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
      }),
    );
  }

  async connect(options: BenchClientOptions): Promise<BenchClient> {
    const mode: EtcdFaultHandling = options.faultHandling ?? 'default';
    const client = new Etcd3({
      hosts: this.list.map((m) => m.clientUrl),
      defaultCallOptions: deadline(),
      ...(mode === 'connection-only' ? { faultHandling: connectionOnlyFaultHandling() } : {}),
    });
    return new EtcdBenchClient(client);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const c of this.admins.values()) c.close();
      this.admins.clear();
      await Promise.all(this.list.map((m) => this.kill(m.name)));
      await rm(this.tempDir, { recursive: true, force: true });
    })();
    return this.closed;
  }
}
