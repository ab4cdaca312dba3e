/** A cluster file that cannot be used: names the file, the key and what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG' as const;

  constructor(
    readonly file: string,
    /** Dotted path of the offending key, e.g. `nodes[1].address` ('' for the whole file). */
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}${key === '' ? '' : `: ${key}`}: ${problem}`);
  }
}
