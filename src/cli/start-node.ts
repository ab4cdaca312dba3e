/**
 * `flotilla start --id ID [--join]`: runs one node in this process until SIGTERM or
 * SIGINT, then closes it cleanly (the write in progress finishes, storage
 * closes) and exits 0. Corrupt data exits 2 with the place named; a fatal
 * storage error while running exits 1.
 */

import { pino } from 'pino';
import { startOrExit } from '../../raft/index.ts';
import { loadClusterConfig } from '../config/load-config.ts';
import { FlotillaNode } from '../server/flotilla-node.ts';
import { configPath } from './config-file.ts';

export async function startNode(opts: { id: string; config?: string; join?: boolean }): Promise<void> {
  const config = await loadClusterConfig(configPath(opts.config));
  const logger = pino({ level: config.log.level, base: { cluster: config.cluster } });
  // Handlers go in before the node starts: a stop asked for during start-up (a rolling restart
  // that comes early) waits for the start to finish, then closes cleanly and exits 0.
  let node: FlotillaNode | undefined;
  let stopping: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) return;
    stopping = signal;
    if (node === undefined) return; // started below, then stopped
    logger.info({ signal }, 'stopping');
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'closing failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  node = await startOrExit(() =>
    FlotillaNode.start({ config, nodeId: opts.id, logger, ...(opts.join === true ? { join: true } : {}) }),
  );
  node.on('fatal', (err) => {
    logger.fatal({ err }, 'node stopped after a storage or state machine failure');
    process.exit(1);
  });
  if (stopping !== undefined) {
    const signal = stopping;
    stopping = undefined;
    stop(signal);
  }
}
