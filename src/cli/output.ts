/** How commands print: aligned tables for people, JSON for machines, one-line reasons on failure. */

export type Cell = string | number | boolean | null | undefined;

/** An aligned text table with a header row. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (c: Cell): string => (c === null || c === undefined ? '-' : String(c));
  const cells = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonBytes, 2)}\n`);
}

/** Bytes print as base64 in JSON (they have no JSON form). */
function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { base64: Buffer.from(value).toString('base64') } : value;
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A value for a table cell or a line: JSON text for objects, base64 for bytes. */
export function show(value: unknown): string {
  if (value instanceof Uint8Array) return `base64:${Buffer.from(value).toString('base64')}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
