/**
 * `flotilla cluster up`: every node of the cluster file as a child process on
 * this machine (`flotilla start --id …`), each logging to
 * `<dataDir>/<id>.log`. Waits for a leader, prints the members table, then
 * reports leader changes and nodes that exit, until Ctrl-C or SIGTERM stops
 * every node cleanly (SIGTERM, then SIGKILL after a grace period).
 *
 * A node that dies is not restarted behind the user's back: the line that
 * reports it gives the command that restarts it, so a newcomer can kill a
 * node, watch the cluster carry on, and bring it back.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../config/cluster-config.ts';
import { loadClusterConfig } from '../config/load-config.ts';
import type { NodeStatus } from '../protocol/client-protocol.ts';
import { splitAddress } from '../server/flotilla-node.ts';
import { CliError } from './cli-error.ts';
import { configPath } from './config-file.ts';
import { printJson, printLine, table } from './output.ts';

const BIN = fileURLToPath(new URL('../../bin/flotilla.js', import.meta.url));
const STOP_GRACE_MS = 10_000;
const LEADER_TIMEOUT_MS = 30_000;
const POLL_MS = 500;

interface Child {
  readonly id: string;
  readonly address: string;
  readonly log: string;
  readonly process: ChildProcess;
  exited: boolean;
}

export async function clusterUp(opts: { config?: string; json?: boolean }): Promise<void> {
  const file = configPath(opts.config);
  const config = await loadClusterConfig(file);
  mkdirSync(config.dataDir, { recursive: true });
  const children = config.nodes.map((n): Child => {
    const log = join(config.dataDir, `${n.id}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(process.execPath, [BIN, 'start', '--id', n.id, '-c', file], {
      stdio: ['ignore', fd, fd],
    });
    return { id: n.id, address: n.address, log, process: child, exited: false };
  });
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all(children.map(stopChild));
  };
  for (const c of children) {
    c.process.on('exit', (code, signal) => {
      c.exited = true;
      if (stopping) return;
      const how = signal === null ? `with code ${code}` : `by ${signal}`;
      printLine(`${c.id} (pid ${c.process.pid}) exited ${how}; see ${c.log}`);
      printLine(`  restart it with: npx flotilla start --id ${c.id} -c ${file}`);
    });
  }
  const onSignal = (): void => {
    printLine('stopping every node…');
    stopAll().then(
      () => {
        printLine('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const statuses = await waitForLeader(config, children);
  if (statuses === undefined) {
    await stopAll();
    const dead = children.filter((c) => c.exited).map((c) => `${c.id} (see ${c.log})`);
    throw new CliError(
      dead.length > 0
        ? `nodes exited during start-up: ${dead.join(', ')}`
        : `no leader elected within ${LEADER_TIMEOUT_MS / 1000} s; see the logs in ${config.dataDir}`,
    );
  }
  if (opts.json === true) {
    printJson({ file, dataDir: config.dataDir, members: membersOf(children, statuses) });
  } else {
    printLine(`cluster ${config.cluster} is up (${file}); data and logs in ${config.dataDir}`);
    printLine(
      table(
        ['ID', 'ADDRESS', 'PID', 'ROLE', 'TERM', 'LOG'],
        membersOf(children, statuses).map((m) => [m.id, m.address, m.pid, m.role, m.term, m.log]),
      ),
    );
    printLine('Ctrl-C stops every node.');
  }
  reportLeaderChanges(config, children, statuses, () => stopping);
}

function membersOf(children: readonly Child[], statuses: ReadonlyMap<string, NodeStatus>) {
  return children.map((c) => {
    const s = statuses.get(c.id);
    return {
      id: c.id,
      address: c.address,
      pid: c.process.pid,
      role: s?.role ?? 'down',
      term: s?.term ?? null,
      log: c.log,
    };
  });
}

/** GET /v1/status of one node (https with the cluster's CA when the file configures tls). */
function fetchStatus(config: ClusterConfig, address: string): Promise<NodeStatus | undefined> {
  const { host, port } = splitAddress(address);
  const options = { host, port, path: '/v1/status', timeout: POLL_MS * 2, agent: false as const };
  return new Promise((resolve) => {
    const onResponse = (res: IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as NodeStatus) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    };
    const req =
      config.tls === undefined
        ? http.get(options, onResponse)
        : https.get({ ...options, ca: readFileSync(config.tls.ca ?? config.tls.cert) }, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function statusesOf(
  config: ClusterConfig,
  children: readonly Child[],
): Promise<Map<string, NodeStatus>> {
  const answers = await Promise.all(
    children.map(async (c) => [c.id, await fetchStatus(config, c.address)] as const),
  );
  return new Map(answers.filter((a): a is readonly [string, NodeStatus] => a[1] !== undefined));
}

/** Polls until every running node reports the same leader; undefined on timeout or when every node died. */
async function waitForLeader(
  config: ClusterConfig,
  children: readonly Child[],
): Promise<Map<string, NodeStatus> | undefined> {
  const deadline = Date.now() + LEADER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (children.some((c) => c.exited)) return undefined;
    const statuses = await statusesOf(config, children);
    const leaders = new Set([...statuses.values()].map((s) => s.leaderId));
    if (statuses.size === children.length && leaders.size === 1 && !leaders.has('')) return statuses;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** Prints a line whenever the leader the nodes report changes (polling: the CLI is a client like any other). */
function reportLeaderChanges(
  config: ClusterConfig,
  children: readonly Child[],
  initial: ReadonlyMap<string, NodeStatus>,
  stopping: () => boolean,
): void {
  let leader = [...initial.values()][0]?.leaderId ?? '';
  const poll = async (): Promise<void> => {
    if (stopping()) return;
    const statuses = await statusesOf(
      config,
      children.filter((c) => !c.exited),
    );
    const best = [...statuses.values()].filter((s) => s.leaderId !== '').sort((a, b) => b.term - a.term)[0];
    if (best !== undefined && best.leaderId !== leader) {
      leader = best.leaderId;
      printLine(`leader is now ${leader} (term ${best.term})`);
    }
    setTimeout(() => void poll(), POLL_MS * 2).unref();
  };
  setTimeout(() => void poll(), POLL_MS * 2).unref();
  // Keep the process alive while children run (the poll timer alone is unref'd).
  setInterval(() => undefined, 60_000);
}

async function stopChild(c: Child): Promise<void> {
  if (c.exited || c.process.exitCode !== null || c.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.process.once('exit', () => resolve()));
  c.process.kill('SIGTERM');
  const timer = setTimeout(() => c.process.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
