import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { type ClusterConfig, resolveClusterConfig } from './cluster-config.ts';
import { ConfigError } from './config-error.ts';

/**
 * Reads and validates a cluster file. Relative `dataDir` and TLS paths are
 * resolved against the file's directory, so the file means the same thing
 * wherever the command runs from.
 */
export async function loadClusterConfig(file: string): Promise<ClusterConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      file,
      '',
      `cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
    );
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (cause) {
    const where = cause instanceof YAMLParseError && cause.linePos ? ` at line ${cause.linePos[0].line}` : '';
    throw new ConfigError(file, '', `is not valid YAML${where}: ${(cause as Error).message.split('\n')[0]}`);
  }
  const config = resolveClusterConfig(raw, file);
  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    ...(config.tls === undefined
      ? {}
      : {
          tls: {
            cert: abs(config.tls.cert),
            key: abs(config.tls.key),
            ...(config.tls.ca === undefined ? {} : { ca: abs(config.tls.ca) }),
          },
        }),
  };
}
