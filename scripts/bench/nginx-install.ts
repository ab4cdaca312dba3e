/**
 * Finds the `nginx` binary, installing Debian's `nginx` package with apt-get
 * when it is missing (the gateway benchmark's reference proxy). Fails with a
 * one-line reason when it cannot.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { aptInstall, onPath } from './apt.ts';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The version `nginx -v` prints on stderr (`nginx version: nginx/1.22.1`). */
export function nginxVersion(bin: string): string {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  const out = `${r.stderr}${r.stdout}`;
  return /nginx\/(\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
}

/** The path of an `nginx` binary (`NGINX_BIN` overrides); installs Debian's `nginx` when there is none. */
export function ensureNginx(log: (line: string) => void): string {
  const find = (): string | undefined => onPath('nginx') ?? CANDIDATES.find((p) => existsSync(p));
  const found = process.env.NGINX_BIN ?? find();
  if (found !== undefined) return found;
  aptInstall('nginx', 'nginx', log);
  const installed = find();
  if (installed === undefined) throw new Error('apt-get installed nginx but no nginx binary was found');
  return installed;
}
