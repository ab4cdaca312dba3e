/** Why a search stopped without a verdict. */
export type ExhaustedBy = 'timeout' | 'max-steps';

/**
 * The search's allowance, shared by all keys of one check: linearizability
 * checking is NP-complete, so a pathological history must answer "unknown"
 * rather than hang the test run.
 */
export class Budget {
  steps = 0;
  exhaustedBy: ExhaustedBy | undefined;
  readonly #deadline: number;
  readonly #maxSteps: number;
  readonly #now: () => number;

  constructor(deadline: number, maxSteps: number, now: () => number) {
    this.#deadline = deadline;
    this.#maxSteps = maxSteps;
    this.#now = now;
  }

  /** Takes one step; false once exhausted (and from then on). Reads the clock every 1024 steps. */
  spend(): boolean {
    if (this.exhaustedBy !== undefined) return false;
    if (this.steps >= this.#maxSteps) this.exhaustedBy = 'max-steps';
    else if ((this.steps & 1023) === 0 && this.#now() >= this.#deadline) this.exhaustedBy = 'timeout';
    else {
      this.steps++;
      return true;
    }
    return false;
  }
}
