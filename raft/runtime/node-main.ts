import { StorageCorruptionError } from '../storage/corruption-error.ts';

/** The exit code of a node that refuses to start because its data is corrupt. */
export const EXIT_CORRUPT_DATA = 2;

/**
 * Runs a node process's start-up. Corrupt data must stop the node loudly,
 * never be "repaired" by serving less than it acknowledged: the error's
 * message (directory, index, what is wrong) goes to stderr and the process
 * exits with EXIT_CORRUPT_DATA. Other errors propagate.
 */
export async function startOrExit<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof StorageCorruptionError)) throw error;
    process.stderr.write(`flotilla: refusing to start: ${error.message}\n`);
    process.exit(EXIT_CORRUPT_DATA);
  }
}
