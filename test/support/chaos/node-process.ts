/**
 * One node process started through the CLI (`flotilla start --id … -c …`),
 * its output appended to a log file that outlives restarts, and the signals
 * the chaos suite sends it by PID: SIGKILL, SIGTERM, SIGSTOP, SIGCONT.
 *
 * Every PID spawned here is also remembered module-wide and killed when the
 * test process exits, whatever happened: a failing or crashing test must
 * never leave a node behind.
 */

import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { FLOTILLA_BIN } from '../process-cluster.ts';

const live = new Set<number>();
process.once('exit', killAllNodes);

/**
 * SIGKILLs every node process still alive. Runs on exit by itself; a script
 * that may be interrupted calls it from its SIGINT/SIGTERM handler, as a
 * signal ends a process without its 'exit' handlers.
 */
export function killAllNodes(): void {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running node process; start a new one to restart. */
export class NodeProcess {
  #paused = false;
  #exit: Exit | undefined;
  /** Set once this harness signalled it to end: any other exit is a crash. */
  #ending = false;

  private constructor(
    readonly id: string,
    readonly pid: number,
    /** Settles when the process has exited (never rejects). */
    readonly exited: Promise<Exit>,
  ) {
    void exited.then((e) => {
      this.#exit = e;
    });
  }

  /** How the process ended when nobody asked it to (a crash, a fatal error); undefined otherwise. */
  get crashed(): Exit | undefined {
    return this.#ending ? undefined : this.#exit;
  }

  /** Spawns `flotilla start --id <id> -c <configFile>`, appending stdout and stderr to `logFile`. */
  static spawn(id: string, configFile: string, logFile: string): NodeProcess {
    appendFileSync(logFile, `--- chaos: starting ${id} at ${new Date().toISOString()}\n`);
    // The child writes straight into the file: nothing to drain here, even while this process is busy.
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [FLOTILLA_BIN, 'start', '--id', id, '-c', configFile], {
        stdio: ['ignore', fd, fd],
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error(`could not spawn node ${id}`);
      live.add(pid);
      const exited = new Promise<Exit>((resolve) => {
        child.once('exit', (code, signal) => {
          live.delete(pid);
          resolve({ code, signal });
        });
        child.once('error', () => {
          live.delete(pid);
          resolve({ code: null, signal: null });
        });
      });
      return new NodeProcess(id, pid, exited);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get paused(): boolean {
    return this.#paused && this.running;
  }

  /** `kill -9`: no flush, no close. Resolves once the process is gone. */
  kill(): Promise<Exit> {
    return this.#signal('SIGKILL');
  }

  /** A clean stop (SIGTERM, after SIGCONT if paused); resolves with how it exited. */
  async stop(): Promise<Exit> {
    if (this.#paused) this.resume();
    return this.#signal('SIGTERM');
  }

  /** SIGSTOP: the process keeps its sockets but runs nothing (a GC pause, a VM migration). */
  pause(): void {
    if (!this.running) return;
    process.kill(this.pid, 'SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    if (!this.running || !this.#paused) return;
    process.kill(this.pid, 'SIGCONT');
    this.#paused = false;
  }

  async #signal(signal: NodeJS.Signals): Promise<Exit> {
    this.#ending = true;
    if (this.running) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // It exited between the check and the signal; `exited` settles anyway.
      }
    }
    return this.exited;
  }
}

/** PIDs spawned and not yet exited (for the no-leak test). */
export function livePids(): number[] {
  return [...live];
}
