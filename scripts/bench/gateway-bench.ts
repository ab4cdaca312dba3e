/**
 * `npm run bench -- --gateway` (issue #7): what the Flotilla gateway costs a
 * request. One HTTP backend process (node:http, 200 with a 14-byte body) is
 * registered as service `api` on a fresh 3-node Flotilla cluster; the gateway
 * runs in its own process (`flotilla gateway --route /api=api`), and nginx
 * from Debian's package (installed with apt-get when missing) runs beside it
 * as a reference proxy (one worker, keep-alive upstream pool to the backend,
 * no access log). This process is the load generator: keep-alive agents, a
 * closed loop at fixed concurrency, and the same GET `/api/hello` sent in
 * turn straight to the backend, through the gateway, and through nginx.
 *
 * Every process started here is stopped by pid (SIGTERM, then SIGKILL) and
 * every temp dir removed, at the end, on an error, and through
 * {@link stopGatewayProcesses} / {@link killGatewayProcessesSync} on Ctrl-C.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOTILLA_BIN, freePort } from '../../test/support/process-cluster.ts';
import type { FlotillaCluster } from './flotilla-system.ts';
import { closedLoop, type LoadResult } from './load.ts';
import { ensureNginx, nginxVersion } from './nginx-install.ts';
import { formatValue } from './report.ts';
import { CpuMeter } from './stats.ts';

/** Requests in flight at once, per target. */
export const GATEWAY_CONCURRENCY = 32;
export const GATEWAY_PATH = '/api/hello';
const BODY = 'hello from api';

/** The three ways a request reaches the backend. */
type Target = 'direct' | 'gateway' | 'nginx';
const TARGETS: readonly Target[] = ['direct', 'gateway', 'nginx'];

/** A child process started here. */
interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output: string;
  /** Further pids to kill with it (nginx's worker). */
  extraPids: number[];
}

const running = new Set<Proc>();
const tempDirs = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startProc(name: string, command: string, args: readonly string[]): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    name,
    child,
    output: '',
    extraPids: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  const keep = (chunk: Buffer): void => {
    p.output = (p.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  running.add(p);
  return p;
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL (and SIGKILL to its extra pids). */
async function stopProc(p: Proc, graceMs = 5_000): Promise<void> {
  running.delete(p);
  const gone = (): boolean => p.child.exitCode !== null || p.child.signalCode !== null;
  if (!gone() && p.child.pid !== undefined) {
    p.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (!gone()) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  for (const pid of p.extraPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Stops every process this module started and removes its temp dirs. */
export async function stopGatewayProcesses(): Promise<void> {
  await Promise.allSettled([...running].map((p) => stopProc(p)));
  await Promise.allSettled([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
  tempDirs.clear();
}

/** Last resort on exit: SIGKILL by pid and remove the temp dirs, synchronously. */
export function killGatewayProcessesSync(): void {
  for (const p of running) {
    for (const pid of [p.child.pid, ...p.extraPids]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  running.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `line` to match a line the process printed; fails when it exits first or after `timeoutMs`. */
async function waitForOutput(p: Proc, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(p.output);
    if (m !== null) return m;
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`${p.name} exited before it was ready:\n${p.output.slice(-1_000)}`);
    if (performance.now() > deadline)
      throw new Error(`${p.name} not ready after ${timeoutMs} ms:\n${p.output.slice(-1_000)}`);
    await sleep(20);
  }
}

/** One GET; resolves with the status and headers once the body is read. */
function get(
  port: number,
  agent: Agent | undefined,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: GATEWAY_PATH, method: 'GET', agent }, (res) => {
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until a GET through `port` answers 200 (and, when given, carries `header`). */
async function waitServing(name: string, port: number, timeoutMs: number, header?: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const r = await get(port, undefined);
      if (r.status === 200 && (header === undefined || r.headers[header] !== undefined)) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (performance.now() > deadline) throw new Error(`${name} does not serve ${GATEWAY_PATH}: ${last}`);
    await sleep(50);
  }
}

/** The backend: node:http on a free loopback port, 200 + a small body for every request. */
const BACKEND_SOURCE = `
const http = require('node:http');
const body = Buffer.from(${JSON.stringify(BODY)});
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
server.listen(0, '127.0.0.1', () => console.log('backend listening on ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

function nginxConfig(dir: string, listenPort: number, backendPort: number): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 1000000;
  upstream api {
    server 127.0.0.1:${backendPort};
    keepalive ${GATEWAY_CONCURRENCY * 2};
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** The pids of a process's children (nginx's worker), from /proc. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

async function waitWorker(master: Proc, timeoutMs: number): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const pids = childPids(master.child.pid!);
    if (pids.length > 0) return pids[0];
    await sleep(20);
  }
  return undefined;
}

/** What the gateway benchmark needs from the runner. */
export interface GatewayBenchContext {
  readonly quick: boolean;
  readonly log: (line: string) => void;
  /** Starts a 3-node Flotilla cluster the runner stops on a signal. */
  startCluster(): Promise<FlotillaCluster>;
  stopCluster(cluster: FlotillaCluster): Promise<void>;
}

/** One target's measurement. */
interface TargetResult {
  readonly load: LoadResult;
  /** % of one core over the measured interval. */
  readonly cpu: { generator: number; backend: number | undefined; proxy: number | undefined };
}

/** What {@link runGatewayBench} returns: the tables and the versions. */
export interface GatewayBenchResult {
  readonly versions: Record<string, string>;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly results: Record<Target, TargetResult>;
  readonly table: string;
  readonly cpuTable: string;
  readonly notes: string[];
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '–';
}

function renderTables(r: Record<Target, TargetResult>): { table: string; cpuTable: string } {
  const head = '| figure | unit | direct | gateway | nginx | gateway/direct | gateway/nginx |';
  const sep = '| --- | --- | ---: | ---: | ---: | ---: | ---: |';
  const row = (label: string, unit: string, v: Record<Target, number | undefined>): string => {
    const g = v.gateway ?? Number.NaN;
    return `| ${label} | ${unit} | ${formatValue(v.direct)} | ${formatValue(v.gateway)} | ${formatValue(v.nginx)} | ${ratio(g, v.direct ?? Number.NaN)} | ${ratio(g, v.nginx ?? Number.NaN)} |`;
  };
  const of = (f: (t: TargetResult) => number | undefined): Record<Target, number | undefined> => ({
    direct: f(r.direct),
    gateway: f(r.gateway),
    nginx: f(r.nginx),
  });
  const added = (t: Target): number => r[t].load.p99 - r.direct.load.p99;
  const addedP50 = (t: Target): number => r[t].load.p50 - r.direct.load.p50;
  const table = [
    head,
    sep,
    row(
      'throughput',
      'req/s',
      of((t) => t.load.opsPerSecond),
    ),
    row(
      'p50',
      'ms',
      of((t) => t.load.p50),
    ),
    row(
      'p99',
      'ms',
      of((t) => t.load.p99),
    ),
    `| added p50 (− direct p50) | ms | – | ${formatValue(addedP50('gateway'))} | ${formatValue(addedP50('nginx'))} | – | – |`,
    `| added p99 (− direct p99) | ms | – | ${formatValue(added('gateway'))} | ${formatValue(added('nginx'))} | – | – |`,
    `| errors | count | ${r.direct.load.errors} | ${r.gateway.load.errors} | ${r.nginx.load.errors} | – | – |`,
  ].join('\n');
  const cpuHead = '| process | unit | direct | gateway | nginx |';
  const cpuSep = '| --- | --- | ---: | ---: | ---: |';
  const cpuRow = (label: string, v: Record<Target, number | undefined>): string =>
    `| ${label} | % of a core | ${formatValue(v.direct)} | ${formatValue(v.gateway)} | ${formatValue(v.nginx)} |`;
  const cpuTable = [
    cpuHead,
    cpuSep,
    cpuRow(
      'generator (this process)',
      of((t) => t.cpu.generator),
    ),
    cpuRow(
      'backend',
      of((t) => t.cpu.backend),
    ),
    cpuRow(
      'proxy (gateway process; nginx worker)',
      of((t) => t.cpu.proxy),
    ),
  ].join('\n');
  return { table, cpuTable };
}

/** Starts the cluster, backend, gateway and nginx, measures the three targets in turn, stops everything. */
export async function runGatewayBench(ctx: GatewayBenchContext): Promise<GatewayBenchResult> {
  const { log } = ctx;
  const concurrency = GATEWAY_CONCURRENCY;
  const warmupMs = ctx.quick ? 500 : 1_000;
  const durationMs = ctx.quick ? 3_000 : 10_000;
  const nginxBin = ensureNginx(log);
  const versions: Record<string, string> = { nginx: nginxVersion(nginxBin), node: process.version };

  log('gateway bench: starting a 3-node flotilla cluster');
  const cluster = await ctx.startCluster();
  versions.flotilla = cluster.version;
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-gateway-'));
  tempDirs.add(dir);
  const procs: Proc[] = [];
  try {
    // The backend, registered as service `api`.
    const backend = startProc('backend', process.execPath, ['-e', BACKEND_SOURCE]);
    procs.push(backend);
    const backendPort = Number((await waitForOutput(backend, /backend listening on (\d+)/, 10_000))[1]);
    const client = await cluster.connect({ concurrency: 1 });
    try {
      await client.register({ id: 'api-1', name: 'api', address: '127.0.0.1', port: backendPort, meta: {} });
    } finally {
      await client.close();
    }

    // The gateway, in its own process.
    const gatewayPort = await freePort();
    const gateway = startProc('gateway', process.execPath, [
      FLOTILLA_BIN,
      'gateway',
      '--listen',
      `127.0.0.1:${gatewayPort}`,
      '--route',
      '/api=api',
      '--endpoints',
      cluster.endpoints.join(','),
    ]);
    procs.push(gateway);
    await waitForOutput(gateway, /gateway listening on/, 30_000);
    await waitServing('gateway', gatewayPort, 20_000, 'x-flotilla-instance');

    // nginx, as the reference proxy.
    const nginxPort = await freePort();
    for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      await mkdir(join(dir, 'tmp', sub), { recursive: true });
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, nginxConfig(dir, nginxPort, backendPort));
    const nginx = startProc('nginx', nginxBin, ['-c', conf, '-p', `${dir}/`, '-e', join(dir, 'error.log')]);
    procs.push(nginx);
    const worker = await waitWorker(nginx, 10_000);
    if (worker === undefined) throw new Error(`nginx started no worker:\n${nginx.output}`);
    nginx.extraPids.push(worker);
    await waitServing('nginx', nginxPort, 10_000);

    const ports: Record<Target, number> = { direct: backendPort, gateway: gatewayPort, nginx: nginxPort };
    const proxyPid: Record<Target, number | undefined> = {
      direct: undefined,
      gateway: gateway.child.pid,
      nginx: worker,
    };
    const results = {} as Record<Target, TargetResult>;
    const notes: string[] = [];
    for (const target of TARGETS) {
      log(
        `gateway bench: ${target}: GET ${GATEWAY_PATH} at concurrency ${concurrency}, ${warmupMs} ms warm-up + ${durationMs} ms`,
      );
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
      const pids = [backend.child.pid!, ...(proxyPid[target] === undefined ? [] : [proxyPid[target]!])];
      let meter: CpuMeter | undefined;
      const load = await closedLoop(
        async () => {
          const r = await get(ports[target], agent);
          if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        },
        { concurrency, warmupMs, durationMs, onMeasureStart: () => (meter = new CpuMeter(pids)) },
      );
      const cpu = meter!.read();
      agent.destroy();
      const proxy = proxyPid[target];
      results[target] = {
        load,
        cpu: {
          generator: cpu.self,
          backend: cpu.pids.get(backend.child.pid!),
          proxy: proxy === undefined ? undefined : cpu.pids.get(proxy),
        },
      };
      log(
        `  ${Math.round(load.opsPerSecond)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, ${load.errors} errors`,
      );
      for (const e of load.errorSamples) notes.push(`${target}: ${e}`);
    }
    return { versions, concurrency, warmupMs, durationMs, results, ...renderTables(results), notes };
  } finally {
    await Promise.allSettled(procs.reverse().map((p) => stopProc(p)));
    await ctx.stopCluster(cluster);
    await rm(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}
