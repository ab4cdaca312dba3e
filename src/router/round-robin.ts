/**
 * Round-robin: each pick takes the next candidate in id order. The counter
 * is shared across candidate lists, so when the eligible set changes the
 * rotation simply continues over the new list.
 */

import type { Instance } from '../registry/types.ts';
import type { Strategy } from './strategy.ts';

export class RoundRobin implements Strategy {
  private next = 0;

  pick(candidates: readonly Instance[]): Instance {
    const chosen = candidates[this.next % candidates.length]!;
    // Wrap well before 2^53 so the modulo stays exact.
    this.next = (this.next + 1) % 0x40000000;
    return chosen;
  }

  retain(): void {}
}
