/**
 * `flotilla service policy NAME [--strategy S] [--hash-key K]
 * [--max-concurrent N] [--queue N] [--queue-timeout-ms MS]
 * [--version-weight V=W ...] [--replace | --delete]`: shows or sets the
 * replicated routing policy of a service. Flags change the stored policy
 * field by field (`--replace` starts from an empty one instead); without
 * flags the command prints the current policy. The node validates the result
 * and names any bad field.
 */

import type { RoutingPolicy, RoutingStrategy } from '../registry/types.ts';
import { CliError } from './cli-error.ts';
import { type CommonOptions, withClient } from './client-commands.ts';
import { printJson, printLine, table } from './output.ts';

export interface PolicyOptions extends CommonOptions {
  readonly strategy?: string;
  readonly hashKey?: string;
  readonly maxConcurrent?: string;
  readonly queue?: string;
  readonly queueTimeoutMs?: string;
  readonly versionWeight?: string[];
  readonly replace?: boolean;
  readonly delete?: boolean;
}

type MutablePolicy = { -readonly [K in keyof RoutingPolicy]?: RoutingPolicy[K] };

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new CliError(`${flag} must be an integer`);
  return n;
}

function versionWeights(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    if (at < 1) throw new CliError(`--version-weight ${JSON.stringify(spec)}: expected VERSION=WEIGHT`);
    out[spec.slice(0, at)] = integer(spec.slice(at + 1), '--version-weight');
  }
  return out;
}

/** Whether any flag asks for a change. */
export function changesPolicy(o: PolicyOptions): boolean {
  return [o.strategy, o.hashKey, o.maxConcurrent, o.queue, o.queueTimeoutMs, o.versionWeight].some(
    (v) => v !== undefined,
  );
}

/** The policy `o`'s flags make of `current` (pure; the node validates the result). */
export function policyOf(current: RoutingPolicy | null, o: PolicyOptions): RoutingPolicy {
  const p: MutablePolicy = o.replace === true || current === null ? {} : { ...current };
  if (o.strategy !== undefined) {
    p.strategy = o.strategy as RoutingStrategy;
    // A hash key only means something to consistent-hash; keeping it would make the policy invalid.
    if (p.strategy !== 'consistent-hash' && o.hashKey === undefined) delete p.hashKey;
  }
  if (o.hashKey !== undefined) p.hashKey = o.hashKey;
  if (o.maxConcurrent !== undefined) p.maxConcurrent = integer(o.maxConcurrent, '--max-concurrent');
  if (o.queue !== undefined) p.queue = integer(o.queue, '--queue');
  if (o.queueTimeoutMs !== undefined) p.queueTimeoutMs = integer(o.queueTimeoutMs, '--queue-timeout-ms');
  if (o.versionWeight !== undefined) p.versionWeights = versionWeights(o.versionWeight);
  return { ...p, strategy: p.strategy ?? 'round-robin' };
}

function show(name: string, policy: RoutingPolicy | null): void {
  if (policy === null) {
    printLine(`${name} has no routing policy (round-robin over healthy instances)`);
    return;
  }
  const weights = policy.versionWeights;
  printLine(
    table(
      ['FIELD', 'VALUE'],
      [
        ['strategy', policy.strategy],
        ['hashKey', policy.hashKey],
        ['maxConcurrent', policy.maxConcurrent],
        ['queue', policy.queue],
        ['queueTimeoutMs', policy.queueTimeoutMs],
        [
          'versionWeights',
          weights === undefined
            ? undefined
            : Object.entries(weights)
                .map(([v, w]) => `${v}=${w}`)
                .join(','),
        ],
      ],
    ),
  );
}

export async function servicePolicy(name: string, opts: PolicyOptions): Promise<void> {
  if (opts.delete === true) {
    if (changesPolicy(opts)) throw new CliError('--delete takes no other policy flags');
    const r = await withClient(opts, (c) => c.services.deletePolicy(name));
    if (opts.json === true) return printJson(null);
    printLine(`routing policy of ${name} deleted at revision ${r.revision}`);
    return;
  }
  await withClient(opts, async (c) => {
    const current = await c.services.getPolicy(name);
    if (!changesPolicy(opts) && opts.replace !== true) {
      if (opts.json === true) return printJson(current);
      return show(name, current);
    }
    const next = policyOf(current, opts);
    const r = await c.services.setPolicy(name, next);
    if (opts.json === true) return printJson(next);
    printLine(`routing policy of ${name} set at revision ${r.revision}`);
    show(name, next);
  });
}
