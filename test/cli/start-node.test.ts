/**
 * `flotilla start`: SIGTERM stops the node cleanly (exit 0), also when it
 * comes while the node is starting; a node the file does not name is refused.
 */

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOTILLA_BIN, ProcessCluster } from '../support/process-cluster.ts';
import { waitUntil } from '../support/wait-for.ts';

describe('flotilla start', () => {
  let files: ProcessCluster | undefined;
  afterAll(async () => {
    await files?.close();
  });

  it('exits 0 on a SIGTERM sent as soon as its data directory appears (while it starts)', async () => {
    files = await ProcessCluster.create({ size: 1 });
    const child = spawn(process.execPath, [FLOTILLA_BIN, 'start', '--id', 'n1', '-c', files.file], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil('the data directory', () => existsSync(join(files!.dir, 'data', 'n1')), 20_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a node the cluster file does not name, even with --join, in one line', async () => {
    files ??= await ProcessCluster.create({ size: 1 });
    const file = files.file;
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [FLOTILLA_BIN, 'start', '--id', 'n9', '--join', '-c', file],
        (error, _out, stderr) =>
          resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^flotilla: INVALID_ARGUMENT: node id n9 is not in the cluster file .*join: true.*\n$/,
    );
  });
});
