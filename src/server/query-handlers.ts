/**
 * The read and control operations of the client protocol (everything but
 * writes and watches). Arguments are validated strictly, like writes:
 * unknown fields and malformed values answer INVALID_ARGUMENT naming the field.
 */

import type { QueryOp, QueryOps } from '../protocol/client-protocol.ts';
import { invalidArgument } from '../registry/errors.ts';
import { validateKvKey } from '../registry/validate-kv.ts';
import { has, int, list, name, record, str, VERSION_PATTERN } from '../registry/validate-primitives.ts';
import { transferLeadership } from './leader-transfer.ts';
import { type NodeContext, RequestFailed } from './node-context.ts';
import { nodeStatus } from './node-status.ts';
import { consistencyOf, readBarrier } from './read-path.ts';
import { notLeader } from './wire-errors.ts';

type Handled = Exclude<QueryOp, 'watch' | 'watch.cancel'>;
type Handler<K extends Handled> = (ctx: NodeContext, args: unknown) => Promise<QueryOps[K]['result']>;

const READ = ['consistency'];
/** Most (service, version) counts in one traffic report. */
const MAX_REPORTS = 1024;

export const QUERY_HANDLERS: { [K in Handled]: Handler<K> } = {
  'service.get': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'name', 'healthyOnly', 'includeWarning']);
    const service = name(r.name, 'name');
    for (const flag of ['healthyOnly', 'includeWarning']) {
      if (has(r, flag) && typeof r[flag] !== 'boolean') throw invalidArgument(flag, 'must be a boolean');
    }
    await readBarrier(ctx, consistencyOf(r.consistency));
    const instances = ctx.registry.getService(service, {
      healthyOnly: r.healthyOnly === true,
      includeWarning: r.includeWarning === true,
    });
    return { instances, revision: ctx.registry.revision, leaderId: ctx.raft.status().leader };
  },
  'service.list': async (ctx, args) => {
    const r = record(args ?? {}, '', READ);
    await readBarrier(ctx, consistencyOf(r.consistency));
    return {
      services: ctx.registry.listServices(),
      revision: ctx.registry.revision,
      leaderId: ctx.raft.status().leader,
    };
  },
  'kv.get': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'key']);
    const key = validateKvKey(r.key);
    await readBarrier(ctx, consistencyOf(r.consistency));
    return { ...ctx.registry.kvGet(key), leaderId: ctx.raft.status().leader };
  },
  'kv.list': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'prefix']);
    const prefix = has(r, 'prefix') && r.prefix !== '' ? validateKvKey(r.prefix, 'prefix') : '';
    await readBarrier(ctx, consistencyOf(r.consistency));
    return {
      keys: ctx.registry.kvKeys(prefix),
      revision: ctx.registry.revision,
      leaderId: ctx.raft.status().leader,
    };
  },
  'deployment.get': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'id']);
    const id = name(r.id, 'id');
    await readBarrier(ctx, consistencyOf(r.consistency));
    return { deployment: ctx.registry.getDeployment(id) ?? null, revision: ctx.registry.revision };
  },
  'deployment.list': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'service']);
    const service = has(r, 'service') ? name(r.service, 'service') : undefined;
    await readBarrier(ctx, consistencyOf(r.consistency));
    return { deployments: ctx.registry.listDeployments(service), revision: ctx.registry.revision };
  },
  'instance.get': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'id']);
    const id = name(r.id, 'id');
    await readBarrier(ctx, consistencyOf(r.consistency));
    return { instance: ctx.registry.getInstance(id) ?? null, revision: ctx.registry.revision };
  },
  'deployment.report': async (ctx, args) => {
    const r = record(args ?? {}, '', ['reports']);
    const reports = list(r.reports, 'reports', MAX_REPORTS).map((x, i) => {
      const f = `reports[${i}]`;
      const e = record(x, f, ['service', 'version', 'requests', 'errors']);
      const requests = int(e.requests, `${f}.requests`, 0, 1_000_000_000);
      return {
        service: name(e.service, `${f}.service`),
        version: str(e.version, `${f}.version`, 64, VERSION_PATTERN),
        requests,
        errors: int(e.errors, `${f}.errors`, 0, requests),
      };
    });
    const status = ctx.raft.status();
    if (status.role !== 'leader') throw new RequestFailed(notLeader(status.leader, ctx.addressOf));
    ctx.traffic.report(reports);
    return { accepted: reports.length };
  },
  'routing.get': async (ctx, args) => {
    const r = record(args ?? {}, '', [...READ, 'service']);
    const service = name(r.service, 'service');
    await readBarrier(ctx, consistencyOf(r.consistency));
    return { policy: ctx.registry.getRoutingPolicy(service) ?? null, revision: ctx.registry.revision };
  },
  'node.status': async (ctx, args) => {
    record(args ?? {}, '', []);
    return nodeStatus(ctx);
  },
  'instance.heartbeat': async (ctx, args) => {
    const id = name(record(args ?? {}, '', ['id']).id, 'id');
    const status = ctx.raft.status();
    if (status.role !== 'leader') throw new RequestFailed(notLeader(status.leader, ctx.addressOf));
    return ctx.health.heartbeat(id);
  },
  'leader.transfer': async (ctx, args) => {
    const r = record(args ?? {}, '', ['to']);
    return transferLeadership(ctx, has(r, 'to') ? str(r.to, 'to', 64) : undefined);
  },
  'member.list': (ctx, args) => ctx.membership.list(ctx, args),
  'member.add': (ctx, args) => ctx.membership.add(ctx, args),
  'member.remove': (ctx, args) => ctx.membership.remove(ctx, args),
};
