/**
 * Finding a binary on PATH and installing a Debian package with apt-get when
 * it is missing (etcd-install.ts, nginx-install.ts).
 */

import { spawnSync } from 'node:child_process';

/** `command -v name`: the path of a binary on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/**
 * Runs `apt-get update` and `apt-get install -y --no-install-recommends PKG`
 * (as root, or through sudo when present), with `RUNLEVEL=1` so the package's
 * init script does not start a system service of its own (in a container
 * without an init system it could not anyway). `what` names the missing
 * binary in the errors.
 */
export function aptInstall(pkg: string, what: string, log: (line: string) => void): void {
  if (onPath('apt-get') === undefined) {
    throw new Error(`${what} is not installed and apt-get is unavailable: install Debian's ${pkg}`);
  }
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : onPath('sudo') !== undefined ? ['sudo', '-n'] : undefined;
  if (sudo === undefined) {
    throw new Error(`${what} is not installed and this user cannot run apt-get (not root, no sudo)`);
  }
  log(`${what} not found: installing Debian package ${pkg} with apt-get …`);
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
  run(['apt-get', 'install', '-y', '--no-install-recommends', pkg]);
}
