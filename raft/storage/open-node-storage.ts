import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { LevelStorage } from './level-storage.ts';
import type { NodeStorage } from './types.ts';
import { WalStorage, type WalStorageOptions } from './wal-storage.ts';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * A node's storage in `dir`: the segment WAL, unless the directory was made
 * by a version that kept its log in LevelDB (`raft-log/` and no `wal/`),
 * which keeps working on LevelDB rather than being converted behind the
 * operator's back.
 */
export async function openNodeStorage(
  dir: string,
  options: { readonly logger?: Logger } & Pick<WalStorageOptions, 'segmentBytes'> = {},
): Promise<NodeStorage & { readonly warnings: readonly string[] }> {
  if ((await exists(join(dir, 'raft-log'))) && !(await exists(join(dir, 'wal')))) {
    options.logger?.warn({ dir }, 'data directory keeps its log in LevelDB (raft-log/), as before the WAL');
    return LevelStorage.open(dir, options);
  }
  return WalStorage.open(dir, options);
}
