/**
 * `flotilla gateway --listen HOST:PORT --route PREFIX=SERVICE [--route ...]`:
 * runs the HTTP gateway in this process until SIGINT or SIGTERM, then lets
 * requests in flight finish and exits. Cluster reachability changes are
 * reported on stderr; the gateway keeps routing on its last table meanwhile.
 */

import { Gateway, HEALTH_PATH } from '../gateway/gateway.ts';
import { DEFAULT_LISTEN } from '../gateway/gateway-options.ts';
import { CliError } from './cli-error.ts';
import { type EndpointOptions, endpointsOf } from './config-file.ts';
import { printJson, printLine } from './output.ts';

export interface GatewayCommandOptions extends EndpointOptions {
  readonly listen?: string;
  readonly route?: string[];
  readonly timeout?: string;
  readonly json?: boolean;
}

export async function gateway(opts: GatewayCommandOptions): Promise<void> {
  const routes = opts.route ?? [];
  if (routes.length === 0)
    throw new CliError('give at least one --route PREFIX=SERVICE, e.g. --route /api=api');
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 10))
    throw new CliError('--timeout must be a number of ms (at least 10)');
  const endpoints = await endpointsOf(opts);
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const g = await Gateway.start({
    listen: opts.listen ?? DEFAULT_LISTEN,
    routes,
    endpoints,
    ...(timeoutMs === undefined ? {} : { clusterTimeoutMs: timeoutMs }),
    log: (line) => process.stderr.write(`flotilla gateway: ${line}\n`),
  });
  const info = { url: g.url, health: `${g.url}${HEALTH_PATH}`, routes: g.routes.list(), endpoints };
  if (opts.json === true) printJson(info);
  else {
    printLine(`gateway listening on ${g.url} (health: ${info.health})`);
    for (const r of g.routes.list()) printLine(`  ${r.prefix} → ${r.service}`);
  }
  const signal = await stop;
  process.stderr.write(`flotilla gateway: ${signal}: finishing requests in flight\n`);
  await g.close();
}
