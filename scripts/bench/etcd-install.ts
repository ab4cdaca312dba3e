/**
 * Finds the `etcd` binary, installing Debian's `etcd-server` (etcd 3.4) with
 * apt-get when it is missing. Fails with a one-line reason when it cannot.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/** The version line `etcd --version` prints first (`etcd Version: 3.4.23`). */
export function etcdVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
}

/**
 * The path of an `etcd` binary. When there is none, runs `apt-get update` and
 * `apt-get install -y etcd-server` (as root, or through sudo when present),
 * with `RUNLEVEL=1` so the package's init script does not start a system etcd
 * of its own (in a container without an init system it could not anyway).
 */
export function ensureEtcd(log: (line: string) => void): string {
  const found = process.env.ETCD_BIN ?? onPath('etcd') ?? CANDIDATES.find((p) => existsSync(p));
  if (found !== undefined) return found;
  if (onPath('apt-get') === undefined) {
    throw new Error('etcd is not installed and apt-get is unavailable: install etcd 3.4 and set ETCD_BIN');
  }
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : onPath('sudo') !== undefined ? ['sudo', '-n'] : undefined;
  if (sudo === undefined) {
    throw new Error('etcd is not installed and this user cannot run apt-get (not root, no sudo)');
  }
  log('etcd not found: installing Debian package etcd-server with apt-get …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const run = (args: string[]): void => {
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd!, rest, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(
        `\`${args.join(' ')}\` failed (exit ${r.status}): ${r.stderr.trim().split('\n').at(-1)}`,
      );
    }
  };
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', 'etcd-server']);
  const installed = onPath('etcd') ?? CANDIDATES.find((p) => existsSync(p));
  if (installed === undefined) throw new Error('apt-get installed etcd-server but no etcd binary was found');
  return installed;
}
