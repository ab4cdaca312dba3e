/**
 * The commands that talk to a running cluster through the SDK: status,
 * service, kv, leader. Each opens one client, runs, prints a table (or JSON
 * with --json), and closes the client.
 */

import { connect, type FlotillaClient } from '../client/index.ts';
import type { CheckDefinition, Registration } from '../registry/types.ts';
import { CliError } from './cli-error.ts';
import { clientTlsOf, type EndpointOptions, endpointsOf } from './config-file.ts';
import { printJson, printLine, show, table } from './output.ts';

export interface CommonOptions extends EndpointOptions {
  readonly json?: boolean;
  readonly timeout?: string;
}

export async function withClient<T>(
  opts: CommonOptions,
  run: (client: FlotillaClient) => Promise<T>,
): Promise<T> {
  const timeoutMs = opts.timeout === undefined ? 5_000 : Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new CliError('--timeout must be a positive number of ms');
  const tls = await clientTlsOf(opts);
  const client = await connect({
    endpoints: await endpointsOf(opts),
    timeoutMs,
    ...(tls === undefined ? {} : { tls }),
  });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

export async function status(opts: CommonOptions): Promise<void> {
  const s = await withClient(opts, (c) => c.cluster.status());
  if (opts.json === true) return printJson(s);
  printLine(`leader: ${s.leaderId === '' ? '(none)' : s.leaderId}  term: ${s.term}`);
  printLine(
    table(
      ['ID', 'ADDRESS', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'REACHABLE'],
      s.members.map((m) => [
        m.id,
        m.address,
        m.role,
        m.term,
        m.commitIndex,
        m.appliedIndex,
        m.reachable ? 'yes' : 'no',
      ]),
    ),
  );
  if (s.leaderId === '') throw new CliError('no leader: the cluster cannot accept writes');
}

export interface RegisterOptions extends CommonOptions {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly port: string;
  readonly version?: string;
  readonly tag?: string[];
  readonly meta?: string[];
  readonly weight?: string;
  readonly zone?: string;
  readonly checkHttp?: string;
  readonly checkTcp?: boolean;
  readonly checkTtl?: string;
  readonly checkInterval?: string;
  readonly check?: string[];
}

/** The checks the flags declare; the node validates them (and names the bad field). */
function checksOf(o: RegisterOptions): CheckDefinition[] {
  const interval = o.checkInterval === undefined ? {} : { intervalMs: Number(o.checkInterval) };
  const checks: CheckDefinition[] = [];
  if (o.checkHttp !== undefined) checks.push({ type: 'http', path: o.checkHttp, ...interval });
  if (o.checkTcp === true) checks.push({ type: 'tcp', ...interval });
  if (o.checkTtl !== undefined) checks.push({ type: 'ttl', ttlMs: Number(o.checkTtl) });
  for (const text of o.check ?? []) {
    try {
      checks.push(JSON.parse(text) as CheckDefinition);
    } catch {
      throw new CliError(`--check ${JSON.stringify(text)}: not valid JSON`);
    }
  }
  return checks;
}

/** Builds a registration from flags; the node validates it (and names the bad field). */
export function registrationOf(o: RegisterOptions): Registration {
  const checks = checksOf(o);
  const meta: Record<string, string> = {};
  for (const kv of o.meta ?? []) {
    const at = kv.indexOf('=');
    if (at < 1) throw new CliError(`--meta ${JSON.stringify(kv)}: expected key=value`);
    meta[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return {
    id: o.id,
    name: o.name,
    address: o.address,
    port: Number(o.port),
    ...(o.version === undefined ? {} : { version: o.version }),
    ...(o.tag === undefined ? {} : { tags: o.tag }),
    ...(o.meta === undefined ? {} : { meta }),
    ...(o.weight === undefined ? {} : { weight: Number(o.weight) }),
    ...(o.zone === undefined ? {} : { zone: o.zone }),
    ...(checks.length === 0 ? {} : { checks }),
  };
}

export async function serviceRegister(opts: RegisterOptions): Promise<void> {
  const reg = registrationOf(opts);
  const r = await withClient(opts, (c) => c.services.register(reg));
  if (opts.json === true) return printJson({ ...r, id: reg.id });
  printLine(`registered ${reg.id} (${reg.name}) at revision ${r.revision}`);
}

export async function serviceDeregister(id: string, opts: CommonOptions): Promise<void> {
  const r = await withClient(opts, (c) => c.services.deregister(id));
  if (opts.json === true) return printJson({ ...r, id });
  if (r.deleted !== true) throw new CliError(`no instance ${id}`);
  printLine(`deregistered ${id} at revision ${r.revision}`);
}

export async function serviceHeartbeat(id: string, opts: CommonOptions): Promise<void> {
  const r = await withClient(opts, (c) => c.services.heartbeat(id));
  if (opts.json === true) return printJson(r);
  printLine(`${id} is ${r.health}; next heartbeat due within ${r.ttlMs} ms`);
}

export async function serviceDrain(
  id: string,
  opts: CommonOptions & { readonly drainTimeout?: string },
): Promise<void> {
  const timeoutMs = opts.drainTimeout === undefined ? undefined : Number(opts.drainTimeout);
  if (timeoutMs !== undefined && !Number.isInteger(timeoutMs))
    throw new CliError('--drain-timeout must be a number of ms');
  const r = await withClient(opts, (c) => c.services.drain(id, timeoutMs === undefined ? {} : { timeoutMs }));
  if (opts.json === true) return printJson({ ...r, id });
  printLine(`${id} is draining (revision ${r.revision}); deregistered after its drain timeout`);
}

export interface ListOptions extends CommonOptions {
  readonly stale?: boolean;
  readonly healthy?: boolean;
}

const consistencyOf = (o: ListOptions) =>
  (o.stale === true ? 'stale' : 'linearizable') as 'stale' | 'linearizable';

export async function serviceList(name: string | undefined, opts: ListOptions): Promise<void> {
  if (name === undefined) {
    const r = await withClient(opts, (c) => c.services.list({ consistency: consistencyOf(opts) }));
    if (opts.json === true) return printJson(r);
    printLine(
      table(
        ['SERVICE', 'INSTANCES', 'HEALTHY'],
        r.services.map((s) => [s.name, s.instances, s.healthy]),
      ),
    );
    return;
  }
  const r = await withClient(opts, (c) =>
    c.services.discover(name, { consistency: consistencyOf(opts), healthyOnly: opts.healthy === true }),
  );
  if (opts.json === true) return printJson(r);
  printLine(
    table(
      ['ID', 'ADDRESS', 'VERSION', 'HEALTH', 'STATE', 'WEIGHT', 'ZONE', 'TAGS'],
      r.instances.map((i) => [
        i.id,
        `${i.address}:${i.port}`,
        i.version,
        i.health,
        i.state,
        i.weight,
        i.zone,
        i.tags.join(','),
      ]),
    ),
  );
}

export async function serviceWatch(
  name: string | undefined,
  opts: CommonOptions & { from?: string },
): Promise<void> {
  const fromRevision = opts.from === undefined ? undefined : Number(opts.from);
  if (fromRevision !== undefined && (!Number.isInteger(fromRevision) || fromRevision < 0))
    throw new CliError('--from must be a revision (a non-negative integer)');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  await withClient(opts, async (c) => {
    const options = { signal: controller.signal, ...(fromRevision === undefined ? {} : { fromRevision }) };
    for await (const e of c.services.watch(name, options)) {
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(e)}\n`);
      } else if (e.kind === 'resync') {
        printLine(`${e.revision}  resync  ${e.state.instances.length} instances`);
      } else if (e.kind === 'instance') {
        const i = e.instance;
        printLine(
          `${e.revision}  ${e.type.padEnd(6)}  ${i.id}  ${i.name}  ${i.address}:${i.port}  ${i.health}  ${i.state}`,
        );
      }
    }
  });
}

export async function kvPut(
  key: string,
  value: string,
  opts: CommonOptions & { jsonValue?: boolean },
): Promise<void> {
  let parsed: unknown = value;
  if (opts.jsonValue === true) {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new CliError('--json-value: the value is not valid JSON');
    }
  }
  const r = await withClient(opts, (c) => c.kv.put(key, parsed as string));
  if (opts.json === true) return printJson(r);
  printLine(`put ${key} at revision ${r.revision}`);
}

export async function kvGet(key: string, opts: ListOptions): Promise<void> {
  const r = await withClient(opts, (c) => c.kv.get(key, { consistency: consistencyOf(opts) }));
  if (opts.json === true) return printJson(r);
  if (r.value === null) throw new CliError(`no key ${key}`);
  printLine(show(r.value));
}

export async function kvDelete(key: string, opts: CommonOptions): Promise<void> {
  const r = await withClient(opts, (c) => c.kv.delete(key));
  if (opts.json === true) return printJson(r);
  if (r.deleted !== true) throw new CliError(`no key ${key}`);
  printLine(`deleted ${key} at revision ${r.revision}`);
}

export async function kvList(prefix: string | undefined, opts: ListOptions): Promise<void> {
  const r = await withClient(opts, (c) => c.kv.list(prefix, { consistency: consistencyOf(opts) }));
  if (opts.json === true) return printJson(r);
  for (const key of r.keys) printLine(key);
}

export async function leaderTransfer(opts: CommonOptions & { to?: string }): Promise<void> {
  const r = await withClient(opts, (c) => c.cluster.transferLeader(opts.to));
  if (opts.json === true) return printJson(r);
  printLine(`leadership moved from ${r.from} to ${r.to} (term ${r.term})`);
}
