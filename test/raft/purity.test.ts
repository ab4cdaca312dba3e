import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(source: string): string[] {
  return [
    ...source.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/g),
  ].map((m) => m[1] ?? m[2] ?? '');
}

/** Source text without comments, so prose about timers does not count as using them. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

describe('layering', () => {
  it('raft/ imports nothing from src/', () => {
    const offenders = sourceFiles(join(root, 'raft')).filter((f) =>
      importsOf(readFileSync(f, 'utf8')).some(
        (spec) => spec.includes('/src/') || spec.startsWith('../../src'),
      ),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('src/ reaches raft/ only through raft/index.ts', () => {
    const offenders = sourceFiles(join(root, 'src')).filter((f) =>
      importsOf(readFileSync(f, 'utf8')).some(
        (spec) => /(^|\/)raft\//.test(spec) && !spec.endsWith('raft/index.ts'),
      ),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('raft/core is pure: no timers, clocks, randomness, sockets or files', () => {
    const forbidden = [
      /\bMath\.random\b/,
      /\bDate\b/,
      /\bperformance\.now\b/,
      /\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/,
      /\bprocess\./,
      /\bawait\b|\basync\b/,
    ];
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'raft', 'core'))) {
      const text = readFileSync(file, 'utf8');
      for (const spec of importsOf(text))
        if (!spec.startsWith('./')) offenders.push(`${relative(root, file)} imports ${spec}`);
      for (const pattern of forbidden)
        if (pattern.test(code(text))) offenders.push(`${relative(root, file)} uses ${pattern}`);
    }
    expect(offenders).toEqual([]);
  });
});
