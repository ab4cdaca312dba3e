/**
 * Where a process's heap goes, from a V8 `.heapsnapshot` (the `state`
 * workload writes one per member with `FLOTILLA_BENCH_HEAP_DIR`):
 *
 *   npx tsx scripts/bench/heap-summary.ts FILE [--depth N] [--min-mb X]
 *
 * Prints the self size by node type and by constructor, the retained size by
 * constructor (objects not dominated by another object of the same
 * constructor, so nested ones are not counted twice), and the dominator tree
 * from the root down to `--depth` (default 6), every node retaining at least
 * `--min-mb` (default 1) MB, each named by the edge that holds it. Retained
 * sizes follow DevTools: the dominator tree of the graph from the root,
 * weak edges ignored.
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface RawSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

/** The graph in flat arrays, indexed by node ordinal. */
interface Graph {
  readonly count: number;
  readonly type: Uint8Array;
  readonly name: Uint32Array;
  readonly selfSize: Float64Array;
  /** Edges of node i are firstEdge[i] … firstEdge[i + 1] - 1. */
  readonly firstEdge: Uint32Array;
  readonly edgeType: Uint8Array;
  readonly edgeName: Uint32Array;
  readonly edgeTo: Uint32Array;
  readonly nodeTypes: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly strings: readonly string[];
}

function load(file: string): Graph {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const { meta } = raw.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const f = (fields: string[], n: string): number => {
    const i = fields.indexOf(n);
    if (i < 0) throw new Error(`heap snapshot: no ${n} field`);
    return i;
  };
  const [nType, nName, nSelf, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((n) =>
    f(meta.node_fields, n),
  ) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((n) => f(meta.edge_fields, n)) as [
    number,
    number,
    number,
  ];
  const count = raw.nodes.length / nf;
  const edgeCount = raw.edges.length / ef;
  const g: Graph = {
    count,
    type: new Uint8Array(count),
    name: new Uint32Array(count),
    selfSize: new Float64Array(count),
    firstEdge: new Uint32Array(count + 1),
    edgeType: new Uint8Array(edgeCount),
    edgeName: new Uint32Array(edgeCount),
    edgeTo: new Uint32Array(edgeCount),
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    strings: raw.strings,
  };
  let e = 0;
  for (let i = 0; i < count; i++) {
    const at = i * nf;
    g.type[i] = raw.nodes[at + nType]!;
    g.name[i] = raw.nodes[at + nName]!;
    g.selfSize[i] = raw.nodes[at + nSelf]!;
    g.firstEdge[i] = e;
    e += raw.nodes[at + nEdges]!;
  }
  g.firstEdge[count] = e;
  for (let j = 0; j < edgeCount; j++) {
    const at = j * ef;
    g.edgeType[j] = raw.edges[at + eType]!;
    g.edgeName[j] = raw.edges[at + eName]!;
    g.edgeTo[j] = raw.edges[at + eTo]! / nf;
  }
  return g;
}

/** Immediate dominators from node 0 (Cooper, Harvey and Kennedy), weak edges ignored; unreachable: -1. */
function dominators(g: Graph): { idom: Int32Array; order: Uint32Array } {
  const weak = g.edgeTypes.indexOf('weak');
  const followed = (j: number): boolean => g.edgeType[j] !== weak;
  // Postorder by an iterative DFS.
  const post = new Int32Array(g.count).fill(-1);
  const order: number[] = [];
  const stack: number[] = [0];
  const cursor = new Uint32Array(g.count);
  const seen = new Uint8Array(g.count);
  seen[0] = 1;
  for (let i = 0; i < g.count; i++) cursor[i] = g.firstEdge[i]!;
  while (stack.length > 0) {
    const v = stack[stack.length - 1]!;
    if (cursor[v]! < g.firstEdge[v + 1]!) {
      const j = cursor[v]!;
      cursor[v] = j + 1;
      const w = g.edgeTo[j]!;
      if (followed(j) && seen[w] === 0) {
        seen[w] = 1;
        stack.push(w);
      }
    } else {
      stack.pop();
      post[v] = order.length;
      order.push(v);
    }
  }
  // Predecessors of the reachable nodes.
  const predCount = new Uint32Array(g.count + 1);
  for (let v = 0; v < g.count; v++) {
    if (seen[v] === 0) continue;
    for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++)
      if (followed(j)) predCount[g.edgeTo[j]! + 1]!++;
  }
  for (let i = 0; i < g.count; i++) predCount[i + 1]! += predCount[i]!;
  const preds = new Uint32Array(predCount[g.count]!);
  const fill = predCount.slice();
  for (let v = 0; v < g.count; v++) {
    if (seen[v] === 0) continue;
    for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++)
      if (followed(j)) preds[fill[g.edgeTo[j]!]!++] = v;
  }
  const idom = new Int32Array(g.count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (post[x]! < post[y]!) x = idom[x]!;
      while (post[y]! < post[x]!) y = idom[y]!;
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k]!;
      let d = -1;
      for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
        const u = preds[p]!;
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  return { idom, order: Uint32Array.from(order) };
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => (bytes / MB).toFixed(1).padStart(8);

function label(g: Graph, v: number): string {
  const type = g.nodeTypes[g.type[v]!]!;
  const name = g.strings[g.name[v]!]!;
  if (type === 'object' || type === 'native' || type === 'synthetic' || type === 'closure')
    return `${type === 'object' ? '' : `${type} `}${name.slice(0, 60)}`;
  if (type === 'hidden' || type === 'array' || type === 'code') return `(${type}) ${name.slice(0, 40)}`;
  return `(${type})`;
}

/** The name of an edge from `from` to `to` (property, element index, …). */
function edgeLabel(g: Graph, from: number, to: number): string {
  for (let j = g.firstEdge[from]!; j < g.firstEdge[from + 1]!; j++) {
    if (g.edgeTo[j] !== to) continue;
    const t = g.edgeTypes[g.edgeType[j]!]!;
    const n = g.edgeName[j]!;
    return t === 'element' || t === 'hidden' ? `[${n}]` : `.${g.strings[n]}`;
  }
  return '(dominated)';
}

/** A shortest retaining path from the root to a node, as text (weak edges ignored). */
function shortestPaths(g: Graph): (v: number) => string {
  const weak = g.edgeTypes.indexOf('weak');
  const parent = new Int32Array(g.count).fill(-1);
  parent[0] = 0;
  const queue = new Uint32Array(g.count);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  while (head < tail) {
    const v = queue[head++]!;
    for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++) {
      const w = g.edgeTo[j]!;
      if (g.edgeType[j] === weak || parent[w] !== -1) continue;
      parent[w] = v;
      queue[tail++] = w;
    }
  }
  return (v) => {
    const steps: string[] = [];
    for (let x = v; x !== 0 && steps.length < 12; x = parent[x]!) {
      steps.push(`${label(g, parent[x]!)}${edgeLabel(g, parent[x]!, x)}`);
    }
    return steps.reverse().join(' → ');
  };
}

function top(map: Map<string, { count: number; bytes: number }>, n: number, title: string): void {
  console.log(`\n${title}\n${'MB'.padStart(8)} ${'count'.padStart(9)}  what`);
  const rows = [...map].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, n);
  for (const [k, v] of rows) console.log(`${mb(v.bytes)} ${String(v.count).padStart(9)}  ${k}`);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { depth: { type: 'string', default: '6' }, 'min-mb': { type: 'string', default: '1' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: heap-summary.ts FILE [--depth N] [--min-mb X]');
  const g = load(file);
  const { idom, order } = dominators(g);
  const retained = Float64Array.from(g.selfSize);
  for (const v of order) if (v !== 0) retained[idom[v]!]! += retained[v]!;
  let total = 0;
  const byType = new Map<string, { count: number; bytes: number }>();
  const byCtor = new Map<string, { count: number; bytes: number }>();
  const retainedByCtor = new Map<string, { count: number; bytes: number }>();
  const add = (m: Map<string, { count: number; bytes: number }>, k: string, bytes: number): void => {
    const row = m.get(k) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += bytes;
    m.set(k, row);
  };
  for (const v of order) {
    total += g.selfSize[v]!;
    add(byType, g.nodeTypes[g.type[v]!]!, g.selfSize[v]!);
    const l = label(g, v);
    add(byCtor, l, g.selfSize[v]!);
    // Count an object's retained size under its label unless an ancestor in the dominator tree has the same label.
    let nested = false;
    for (let d = idom[v]!; d !== 0 && !nested; d = idom[d]!) nested = label(g, d) === l;
    if (!nested && v !== 0) add(retainedByCtor, l, retained[v]!);
  }
  console.log(
    `${file}\n${g.count} nodes, ${order.length} reachable, ${mb(total).trim()} MB reachable self size`,
  );
  top(byType, 20, 'self size by node type');
  top(byCtor, 30, 'self size by constructor / type');
  top(retainedByCtor, 30, 'retained size by constructor (outermost only)');
  const children = new Map<number, number[]>();
  for (const v of order) {
    if (v === 0) continue;
    const d = idom[v]!;
    const list = children.get(d) ?? [];
    list.push(v);
    children.set(d, list);
  }
  const path = shortestPaths(g);
  const depth = Number(values.depth);
  const min = Number(values['min-mb']) * MB;
  console.log(`\ndominator tree (retained MB, self MB), nodes retaining ≥ ${values['min-mb']} MB`);
  const walk = (v: number, level: number): void => {
    const kids = (children.get(v) ?? []).filter((c) => retained[c]! >= min);
    kids.sort((a, b) => retained[b]! - retained[a]!);
    for (const c of kids) {
      const small = (children.get(c) ?? []).length;
      console.log(
        `${mb(retained[c]!)} ${mb(g.selfSize[c]!)}  ${'  '.repeat(level)}${edgeLabel(g, v, c)} ${label(g, c)} (${small} dominated)`,
      );
      if (level === 0) console.log(`${' '.repeat(20)}held by: ${path(c)}`);
      if (level + 1 < depth) walk(c, level + 1);
    }
  };
  walk(0, 0);
}

main();
