/**
 * The end-of-run checks on the nodes themselves, once every fault has
 * healed and the clients have stopped: all nodes converge to the same
 * applied index and revision, hold the same contents (read `stale` from each
 * node, so each answers from its own state), and keep every acknowledged
 * ledger write while holding none that was refused.
 */

import type { FlotillaClient } from '../../../src/client/index.ts';
import type { NodeStatus } from '../../../src/protocol/client-protocol.ts';
import { waitUntilAsync } from '../wait-for.ts';
import type { ChaosCluster } from './chaos-cluster.ts';
import type { Ledger } from './recorded-ops.ts';
import { diff, type RegistryContents } from './watch-check.ts';
import { LEDGER_SERVICE } from './workload.ts';

/** Waits until every node answers with the same commit and applied index and revision; answers their statuses. */
export async function waitForConvergence(cluster: ChaosCluster, timeoutMs: number): Promise<NodeStatus[]> {
  let last: (NodeStatus | undefined)[] = [];
  try {
    await waitUntilAsync(
      'the nodes to converge',
      async () => {
        last = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
        const [first] = last;
        return (
          first !== undefined &&
          last.every(
            (s) =>
              s !== undefined &&
              s.appliedIndex === first.appliedIndex &&
              s.commitIndex === first.commitIndex &&
              s.revision === first.revision &&
              s.leaderId === first.leaderId &&
              s.leaderId !== '',
          )
        );
      },
      timeoutMs,
    );
  } catch {
    const view = last.map((s, i) =>
      s === undefined
        ? `${cluster.ids[i]}: no answer`
        : `${s.nodeId}: ${s.role} term ${s.term} leader ${s.leaderId || '-'} commit ${s.commitIndex} applied ${s.appliedIndex} revision ${s.revision}`,
    );
    throw new Error(`liveness: the nodes did not converge within ${timeoutMs} ms: ${view.join('; ')}`);
  }
  return last as NodeStatus[];
}

/** Everything a node holds (kv values, instance → service), read `stale`: its own state, at one revision. */
export async function readContents(client: FlotillaClient): Promise<RegistryContents> {
  const stale = { consistency: 'stale' } as const;
  const { keys, revision } = await client.kv.list('', stale);
  const kv: Record<string, unknown> = {};
  const revisions = new Set([revision]);
  await Promise.all(
    keys.map(async (key) => {
      const got = await client.kv.get(key, stale);
      revisions.add(got.revision);
      kv[key] = got.value;
    }),
  );
  const { services } = await client.services.list(stale);
  const instances: Record<string, string> = {};
  await Promise.all(
    services.map(async (s) => {
      const got = await client.services.discover(s.name, stale);
      revisions.add(got.revision);
      for (const i of got.instances) instances[i.id] = i.name;
    }),
  );
  // The run is quiet by now: one revision across all reads, or the node was still applying.
  if (revisions.size !== 1) throw new Error(`contents read across revisions ${[...revisions].join(', ')}`);
  return { revision, kv, instances };
}

/** Node contents that differ from the first node's. */
export function compareContents(ids: readonly string[], contents: readonly RegistryContents[]): string[] {
  const [first] = contents;
  if (first === undefined) return [];
  const out: string[] = [];
  contents.forEach((c, i) => {
    if (c.revision !== first.revision)
      out.push(`state: ${ids[i]} is at revision ${c.revision}, ${ids[0]} at ${first.revision}`);
    const d = diff(c, first);
    if (d !== 'the same contents') out.push(`state: ${ids[i]} differs from ${ids[0]}: ${d}`);
  });
  return out;
}

/** Acknowledged ledger writes missing, and refused ones present. */
export function checkLedger(ledger: Ledger, final: RegistryContents): string[] {
  const out: string[] = [];
  const check = (what: string, entries: Ledger['kv'], present: (name: string) => boolean) => {
    for (const e of entries) {
      if (e.status === 'ok' && !present(e.name))
        out.push(
          `lost write: the acknowledged ${what} ${e.name} (revision ${e.revision}) is missing at the end`,
        );
      if (e.status === 'fail' && present(e.name))
        out.push(
          `phantom write: the ${what} ${e.name} failed without maybeApplied, yet it is present at the end`,
        );
    }
  };
  check('kv put', ledger.kv, (name) => name in final.kv);
  check('registration', ledger.instances, (name) => final.instances[name] === LEDGER_SERVICE);
  return out.length <= 8 ? out : [...out.slice(0, 8), `lost write: … and ${out.length - 8} more`];
}
