/**
 * Finds the `etcd` binary, installing Debian's `etcd-server` (etcd 3.4) with
 * apt-get when it is missing. Fails with a one-line reason when it cannot.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { aptInstall, onPath } from './apt.ts';

const CANDIDATES = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

/** The version line `etcd --version` prints first (`etcd Version: 3.4.23`). */
export function etcdVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
}

/**
 * The path of an `etcd` binary. When there is none, installs Debian's
 * `etcd-server` with apt-get (see {@link aptInstall}).
 */
export function ensureEtcd(log: (line: string) => void): string {
  const found = process.env.ETCD_BIN ?? onPath('etcd') ?? CANDIDATES.find((p) => existsSync(p));
  if (found !== undefined) return found;
  aptInstall('etcd-server', 'etcd', log);
  const installed = onPath('etcd') ?? CANDIDATES.find((p) => existsSync(p));
  if (installed === undefined) throw new Error('apt-get installed etcd-server but no etcd binary was found');
  return installed;
}
