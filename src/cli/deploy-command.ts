/**
 * `flotilla deploy canary|blue-green|promote|rollback|switch|status`: the
 * SDK's `client.deployments` on the command line. Every command prints the
 * deployment record (its `id` included) with `--json`, else a summary line
 * and, for `status ID`, the history.
 */

import type { CanaryOptions, RolloutOptions } from '../client/deployments-api.ts';
import type { Deployment, DeploymentStep } from '../registry/types.ts';
import { CliError } from './cli-error.ts';
import { type CommonOptions, withClient } from './client-commands.ts';
import { printJson, printLine, table } from './output.ts';

export interface RolloutFlags extends CommonOptions {
  readonly to: string;
  readonly from?: string;
  readonly id?: string;
  readonly autoRollback?: boolean;
  readonly maxErrorPercent?: string;
  readonly minRequests?: string;
  readonly progressDeadline?: string;
}

export interface CanaryFlags extends RolloutFlags {
  readonly percent?: string;
  readonly steps?: string;
  readonly autoPromote?: boolean;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new CliError(`${flag} must be an integer`);
  return n;
}

/** `5:30000,25:30000,50` → steps (weight, optional pause in ms). */
export function parseSteps(text: string): DeploymentStep[] {
  return text.split(',').map((part) => {
    const [w, p, extra] = part.split(':');
    if (extra !== undefined || w === undefined)
      throw new CliError(`--steps ${JSON.stringify(part)}: expected WEIGHT[:PAUSE_MS]`);
    const weight = integer(w, '--steps weight')!;
    const pauseMs = integer(p, '--steps pause');
    return pauseMs === undefined ? { weight } : { weight, pauseMs };
  });
}

function rolloutOf(service: string, o: RolloutFlags): RolloutOptions {
  const out: { -readonly [K in keyof RolloutOptions]: RolloutOptions[K] } = { service, to: o.to };
  if (o.from !== undefined) out.from = o.from;
  if (o.id !== undefined) out.id = o.id;
  if (o.autoRollback === false) out.autoRollback = false;
  const maxErrorPercent = integer(o.maxErrorPercent, '--max-error-percent');
  if (maxErrorPercent !== undefined) out.maxErrorPercent = maxErrorPercent;
  const minRequests = integer(o.minRequests, '--min-requests');
  if (minRequests !== undefined) out.minRequests = minRequests;
  const deadline = integer(o.progressDeadline, '--progress-deadline');
  if (deadline !== undefined) out.progressDeadlineMs = deadline;
  return out;
}

/** One line: id, status, split. */
export function summary(d: Deployment): string {
  const split = Object.entries(d.weights)
    .map(([v, w]) => `${v}=${w}%`)
    .join(' ');
  return `${d.id}  ${d.strategy}  ${d.service}  ${d.from} → ${d.to}  ${d.status}  ${split}`;
}

function show(d: Deployment, o: CommonOptions): void {
  if (o.json === true) printJson(d);
  else printLine(summary(d));
}

export async function deployCanary(service: string, o: CanaryFlags): Promise<void> {
  const options: { -readonly [K in keyof CanaryOptions]: CanaryOptions[K] } = rolloutOf(service, o);
  const percent = integer(o.percent, '--percent');
  if (percent !== undefined) options.percent = percent;
  if (o.steps !== undefined) options.steps = parseSteps(o.steps);
  if (percent === undefined && o.steps === undefined) throw new CliError('give --percent or --steps');
  if (o.autoPromote === true) options.autoPromote = true;
  show(await withClient(o, (c) => c.deployments.canary(options)), o);
}

export async function deployBlueGreen(service: string, o: RolloutFlags): Promise<void> {
  show(await withClient(o, (c) => c.deployments.blueGreen(rolloutOf(service, o))), o);
}

export async function deployPromote(
  id: string,
  o: CommonOptions & { readonly percent?: string },
): Promise<void> {
  const percent = integer(o.percent, '--percent');
  show(await withClient(o, (c) => c.deployments.promote(id, percent)), o);
}

export async function deployRollback(
  id: string,
  o: CommonOptions & { readonly reason?: string },
): Promise<void> {
  show(await withClient(o, (c) => c.deployments.rollback(id, o.reason)), o);
}

export async function deploySwitch(id: string, o: CommonOptions): Promise<void> {
  show(await withClient(o, (c) => c.deployments.switch(id)), o);
}

export async function deployStatus(
  id: string | undefined,
  o: CommonOptions & { readonly service?: string },
): Promise<void> {
  if (id !== undefined) {
    const d = await withClient(o, (c) => c.deployments.get(id));
    if (d === null) throw new CliError(`NOT_FOUND: deployment ${id} does not exist`);
    if (o.json === true) return printJson(d);
    printLine(summary(d));
    printLine(
      table(
        ['AT', 'REVISION', 'STATUS', 'STEP', 'WEIGHT', 'REASON'],
        d.history.map((h) => [
          new Date(h.at).toISOString(),
          h.revision,
          h.status,
          h.step,
          h.weight,
          h.reason,
        ]),
      ),
    );
    return;
  }
  const r = await withClient(o, (c) => c.deployments.list(o.service));
  if (o.json === true) return printJson(r.deployments);
  printLine(
    table(
      ['ID', 'SERVICE', 'STRATEGY', 'FROM', 'TO', 'STATUS', 'WEIGHTS'],
      r.deployments.map((d) => [
        d.id,
        d.service,
        d.strategy,
        d.from,
        d.to,
        d.status,
        Object.entries(d.weights)
          .map(([v, w]) => `${v}=${w}`)
          .join(' '),
      ]),
    ),
  );
}
