import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach } from 'vitest';
import type { Entry, HardState, Ready, Snapshot } from '../../../raft/core/types.ts';

/** A normal entry whose data names its index. */
export const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  type: 'normal',
  index,
  term,
  data: new TextEncoder().encode(text),
});

/** A Ready that only persists: what storage tests hand to `persistReady`. */
export const ready = (entries: Entry[], hardState?: HardState, snapshot?: Snapshot): Ready => ({
  entries,
  messages: [],
  committed: [],
  readStates: [],
  droppedReads: [],
  ...(hardState === undefined ? {} : { hardState }),
  ...(snapshot === undefined ? {} : { snapshot }),
});

/** Opens a closed node's LevelDB directly, to damage it the way a disk or a crash would. */
export async function withRawLog(
  dir: string,
  fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>,
): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(join(dir, 'raft-log'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Fresh temp directories for one test file, all removed after each test.
 * Call at the top level of the file; the result makes one directory per call.
 */
export function useTempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
