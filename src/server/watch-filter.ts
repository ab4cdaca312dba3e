/** Which changes a watch wants, checked like any other argument, and the state a resync sends. */

import type { ResyncState, WatchFilter } from '../protocol/client-protocol.ts';
import type { ChangeEvent } from '../registry/change-history.ts';
import type { Registry } from '../registry/registry.ts';
import { validateKvKey } from '../registry/validate-kv.ts';
import { has, list, name, oneOf, record } from '../registry/validate-primitives.ts';

const KINDS: readonly ChangeEvent['kind'][] = ['instance', 'kv', 'deployment', 'routing'];

export function validateWatchFilter(value: unknown): WatchFilter {
  if (value === undefined) return {};
  const r = record(value, 'filter', ['kinds', 'service', 'keyPrefix']);
  return {
    ...(has(r, 'kinds')
      ? {
          kinds: list(r.kinds, 'filter.kinds', KINDS.length).map((k, i) =>
            oneOf(k, `filter.kinds.${i}`, KINDS),
          ),
        }
      : {}),
    ...(has(r, 'service') ? { service: name(r.service, 'filter.service') } : {}),
    ...(has(r, 'keyPrefix') && r.keyPrefix !== ''
      ? { keyPrefix: validateKvKey(r.keyPrefix, 'filter.keyPrefix') }
      : {}),
  };
}

function serviceOf(e: ChangeEvent): string | undefined {
  switch (e.kind) {
    case 'instance':
      return e.instance.name;
    case 'deployment':
      return e.type === 'put' ? e.deployment.service : e.service;
    case 'routing':
      return e.service;
    default:
      return undefined;
  }
}

export function matches(filter: WatchFilter, e: ChangeEvent): boolean {
  if (filter.kinds !== undefined && !filter.kinds.includes(e.kind)) return false;
  if (e.kind === 'kv') return filter.keyPrefix === undefined || e.key.startsWith(filter.keyPrefix);
  return filter.service === undefined || serviceOf(e) === filter.service;
}

/** Everything the filter matches, now: what a watcher that fell off the history starts over from. */
export function resyncState(registry: Registry, filter: WatchFilter): ResyncState {
  const wants = (kind: ChangeEvent['kind']): boolean =>
    filter.kinds === undefined || filter.kinds.includes(kind);
  const services =
    filter.service === undefined ? registry.listServices().map((s) => s.name) : [filter.service];
  return {
    instances: wants('instance') ? services.flatMap((s) => registry.getService(s)) : [],
    kv: wants('kv')
      ? registry.kvKeys(filter.keyPrefix ?? '').map((key) => {
          const { value, modRevision } = registry.kvGet(key);
          return { key, value: value!, modRevision };
        })
      : [],
    deployments: wants('deployment') ? registry.listDeployments(filter.service) : [],
    routing: wants('routing')
      ? registry
          .listRoutingPolicies()
          .filter((r) => filter.service === undefined || r.service === filter.service)
      : [],
  };
}
