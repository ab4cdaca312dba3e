/** A failure the CLI reports as one line and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The one-line reason for any error: the code first when it has one (FlotillaError, ConfigError). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const first = error.message.split('\n')[0] ?? '';
    return typeof code === 'string' && !first.startsWith(code) && /^[A-Z_]+$/.test(code)
      ? `${code}: ${first}`
      : first;
  }
  return String(error);
}
