/**
 * `--profile DIR`: a Flotilla cluster whose node processes run under
 * `node --cpu-prof`, the kv write workload at concurrency 64 (or another
 * workload), then a clean stop so each node writes its `.cpuprofile` into
 * DIR; prints where the leader's CPU went: self time by function, by
 * package/folder, and inclusive time of the project's functions. Open the
 * files in Chrome DevTools or speedscope for the whole picture.
 */

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The `.cpuprofile` node wrote for the main thread of `pid` in `dir` (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`). */
export async function findProfile(dir: string, pid: number): Promise<string | undefined> {
  const names = await readdir(dir);
  const name = names.find((n) => {
    const parts = n.split('.');
    return n.endsWith('.cpuprofile') && parts[3] === String(pid) && parts[4] === '0';
  });
  return name === undefined ? undefined : join(dir, name);
}

const ROOT = process.cwd();

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path;
}

/** Where a frame's code lives: a package, a project folder, node internals, or V8's pseudo-frames. */
function category(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return `npm:${pkg[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  const top = url.split('/').slice(0, 2).join('/');
  return top;
}

function frameName(frame: CallFrame): string {
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  const url = shortUrl(frame.url);
  if (url === '') return fn;
  // tsx compiles the project's TypeScript on load: its line numbers are not the source's.
  return url.endsWith('.ts') ? `${fn} ${url}` : `${fn} ${url}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, ms]) => `| ${k} | ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)}% |`);
}

/** A markdown summary of one profile: self time by function and category, inclusive time of project code. */
export async function summarizeProfile(file: string, count = 25): Promise<string> {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const cats = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, k) => {
    const ms = (p.timeDeltas[k] ?? 0) / 1000;
    total += ms;
    const node = byId.get(id)!;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    const cat = category(node.callFrame);
    cats.set(cat, (cats.get(cat) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      const url = shortUrl(f.url);
      if (!(url.startsWith('src/') || url.startsWith('raft/'))) continue;
      const key = frameName(f);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  });
  const idle = (self.get('(idle)') ?? 0) + 0;
  return [
    `Profile ${file}: ${(total / 1000).toFixed(1)} s sampled, ${(((total - idle) / total) * 100).toFixed(0)}% busy.`,
    '',
    '| self time by function | ms | share |',
    '| --- | ---: | ---: |',
    ...top(self, total, count),
    '',
    '| self time by package or folder | ms | share |',
    '| --- | ---: | ---: |',
    ...top(cats, total, 15),
    '',
    '| inclusive time, project functions | ms | share |',
    '| --- | ---: | ---: |',
    ...top(inclusive, total, count),
  ].join('\n');
}
