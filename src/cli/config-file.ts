/**
 * Which cluster file a command reads, and which endpoints a client command
 * talks to: `--endpoints`, else FLOTILLA_ENDPOINTS, else the nodes of the file.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClusterConfig } from '../config/load-config.ts';
import { CliError } from './cli-error.ts';

export const DEFAULT_CONFIG_NAME = 'cluster.example.yaml';
/** The copy shipped with the package: the embedded default when the working directory has none. */
export const EMBEDDED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', DEFAULT_CONFIG_NAME);

export function configPath(option: string | undefined): string {
  if (option !== undefined) return resolve(option);
  const local = resolve(DEFAULT_CONFIG_NAME);
  return existsSync(local) ? local : EMBEDDED_CONFIG;
}

export interface EndpointOptions {
  readonly endpoints?: string;
  readonly config?: string;
}

const ENDPOINT = /^[^\s,/]+:\d{1,5}$/;

/**
 * The TLS settings a client needs for the cluster file's nodes: their CA (or
 * their certificate, when self-signed), when the file configures `tls`.
 * Read from `--config`, else the default file when there is one.
 */
export async function clientTlsOf(opts: EndpointOptions): Promise<{ ca: Buffer } | undefined> {
  const file = configPath(opts.config);
  if (opts.config === undefined && !existsSync(file)) return undefined;
  const config = await loadClusterConfig(file);
  if (config.tls === undefined) return undefined;
  return { ca: readFileSync(config.tls.ca ?? config.tls.cert) };
}

export async function endpointsOf(opts: EndpointOptions): Promise<string[]> {
  const listed = opts.endpoints ?? process.env.FLOTILLA_ENDPOINTS;
  if (listed !== undefined && listed.trim() !== '') {
    const endpoints = listed
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    for (const e of endpoints)
      if (!ENDPOINT.test(e)) throw new CliError(`endpoint ${JSON.stringify(e)} is not host:port`);
    return endpoints;
  }
  const config = await loadClusterConfig(configPath(opts.config));
  return config.nodes.map((n) => n.address);
}
