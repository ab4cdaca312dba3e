/**
 * The linearizability side of a run: a final linearizable read of every key
 * and service once the faults have healed (recorded like any op, so a lost
 * acknowledged write shows up as a read no linearization explains), then the
 * WGL checker on the kv history (register per key) and the registry history
 * (instance set per service).
 */

import { type CheckResult, checkHistory } from '../lincheck/check-history.ts';
import { kvRegisterModel } from '../lincheck/kv-model.ts';
import { serviceSetModel } from '../lincheck/set-model.ts';
import type { ChaosClients } from './chaos-clients.ts';
import { recordKv, recordService } from './recorded-ops.ts';
import { sleep } from './sleep.ts';
import { kvKey, PROBE_KEY, serviceName, type Workload, type WorkloadShape } from './workload.ts';

/** Reads every key and service once more, linearizably, retrying until each answers (or `timeoutMs`). */
export async function finalReads(
  workload: Workload,
  clients: ChaosClients,
  shape: WorkloadShape,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const keys = [...Array.from({ length: shape.kvKeys }, (_, i) => kvKey(i)), PROBE_KEY];
  const services = Array.from({ length: shape.services }, (_, i) => serviceName(i));
  const untilOk = async (read: (attempt: number) => Promise<'ok' | 'fail' | 'info'>, what: string) => {
    for (let attempt = 0; ; attempt++) {
      if ((await read(attempt)) === 'ok') return;
      if (performance.now() > deadline)
        throw new Error(
          `liveness: no linearizable read of ${what} succeeded within ${timeoutMs} ms of the heal`,
        );
      await sleep(50);
    }
  };
  await Promise.all([
    ...keys.map((key) =>
      untilOk(
        async (a) =>
          (await recordKv(workload.kv, `final.${a}`, key, 'get', null, () => clients.admin.kv.get(key)))
            .status,
        `kv ${key}`,
      ),
    ),
    ...services.map((name) =>
      untilOk(
        async (a) =>
          (
            await recordService(workload.services, `final.${a}`, name, 'discover', null, () =>
              clients.admin.services.discover(name),
            )
          ).status,
        `service ${name}`,
      ),
    ),
  ]);
}

export interface LinearizabilityVerdict {
  readonly violations: string[];
  /** Keys whose search ran out of budget: no verdict (reported, and counted as a failure). */
  readonly unknown: string[];
  readonly steps: number;
}

/** Runs the checker on both histories. */
export function checkLinearizability(workload: Workload, timeoutMs: number): LinearizabilityVerdict {
  const verdict: LinearizabilityVerdict = { violations: [], unknown: [], steps: 0 };
  const add = (what: string, r: CheckResult) => {
    if (r.ok === true) (verdict as { steps: number }).steps += r.steps;
    else if (r.ok === false) verdict.violations.push(`linearizability (${what}): ${r.explanation}`);
    else verdict.unknown.push(`${what} ${r.key}: search stopped by ${r.exhaustedBy} after ${r.steps} steps`);
  };
  add('kv', checkHistory(workload.kv.history(), kvRegisterModel, { timeoutMs }));
  add('registry', checkHistory(workload.services.history(), serviceSetModel, { timeoutMs }));
  return verdict;
}
