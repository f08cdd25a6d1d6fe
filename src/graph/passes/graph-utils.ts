/** Lookups the rewrite passes share: who produces a value, who reads it, which values are constants. */
import type { Graph, Node } from '../ir.js';
import type { FloatTensor } from '../tensor.js';

export interface GraphIndex {
  readonly producer: ReadonlyMap<string, Node>;
  readonly consumers: ReadonlyMap<string, readonly Node[]>;
  readonly outputs: ReadonlySet<string>;
}

export function indexGraph(g: Graph): GraphIndex {
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const x of new Set(n.inputs)) if (x !== '') consumers.set(x, [...(consumers.get(x) ?? []), n]);
  }
  return { producer, consumers, outputs: new Set(g.outputs.map((o) => o.name)) };
}

/** The value feeds exactly these nodes and is not a graph output: safe to fuse away. */
export function onlyReadBy(ix: GraphIndex, value: string, readers: readonly Node[]): boolean {
  if (ix.outputs.has(value)) return false;
  const c = ix.consumers.get(value) ?? [];
  return c.length === readers.length && c.every((n) => readers.includes(n));
}

export function constFloat(g: Graph, name: string | undefined): FloatTensor | undefined {
  const t = name === undefined || name === '' ? undefined : g.initializers.get(name);
  return t?.dtype === 'float32' ? t : undefined;
}

/** A name not yet used by any value of the graph. */
export function freshName(g: Graph, taken: Set<string>, base: string): string {
  let n = base;
  for (let i = 1; g.initializers.has(n) || taken.has(n); i++) n = `${base}_${i}`;
  taken.add(n);
  return n;
}

/** The graph's nodes with each replaced one swapped in, or dropped where its replacement is null. */
export function applyReplacements(nodes: readonly Node[], replaced: ReadonlyMap<Node, Node | null>): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    const r = replaced.get(n);
    if (r === undefined) out.push(n);
    else if (r !== null) out.push(r);
  }
  return out;
}
