/** Structural checks and topological ordering, run on every imported or built graph. */
import { fail } from '../errors.js';
import type { Graph, Node } from './ir.js';
import { OP_DEFS } from './ops/index.js';

/** Kahn's algorithm; keeps the original order among ready nodes so output is stable. */
export function topoSort(nodes: readonly Node[], available: ReadonlySet<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const indeg = nodes.map((n) => new Set(n.inputs.filter((x) => x !== '' && !available.has(x) && producer.has(x))).size);
  const users = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => {
    for (const x of new Set(n.inputs)) {
      const p = x === '' || available.has(x) ? undefined : producer.get(x);
      if (p !== undefined) users[p]!.push(i);
    }
  });
  const ready: number[] = [];
  indeg.forEach((d, i) => d === 0 && ready.push(i));
  const out: Node[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    out.push(nodes[i]!);
    for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((n) => !out.includes(n)).map((n) => `'${n.name}'`);
    fail('INVALID_MODEL', `the graph has a cycle through nodes ${stuck.slice(0, 5).join(', ')}`);
  }
  return out;
}

/** Every value defined once, defined before use, every output produced, arities respected. */
export function validateGraph(graph: Graph): void {
  const defined = new Set<string>();
  const define = (name: string, by: string) => {
    if (defined.has(name)) fail('INVALID_MODEL', `value '${name}' is defined twice (again by ${by})`);
    defined.add(name);
  };
  for (const name of graph.initializers.keys()) define(name, 'an initializer');
  for (const vi of graph.inputs) if (!graph.initializers.has(vi.name)) define(vi.name, 'a graph input');
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (names.has(node.name)) fail('INVALID_MODEL', `two nodes are named '${node.name}'`);
    names.add(node.name);
    const def = OP_DEFS[node.op];
    const nin = node.inputs.length;
    if (nin < def.inputs[0] || nin > def.inputs[1]) fail('INVALID_MODEL', `node '${node.name}' (${node.op}) has ${nin} inputs, expected ${def.inputs[0]}..${def.inputs[1]}`);
    const nout = node.outputs.filter((o) => o !== '').length;
    if (nout < def.outputs[0] || node.outputs.length > def.outputs[1]) fail('UNSUPPORTED', `node '${node.name}' (${node.op}) has ${node.outputs.length} outputs; only ${def.outputs[1]} supported`);
    for (const x of node.inputs) {
      if (x !== '' && !defined.has(x)) fail('INVALID_MODEL', `node '${node.name}' (${node.op}) reads '${x}' before anything defines it`);
    }
    for (const o of node.outputs) if (o !== '') define(o, `node '${node.name}'`);
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) fail('INVALID_MODEL', `graph output '${o.name}' is never produced`);
  if (graph.inputs.filter((i) => !graph.initializers.has(i.name)).length === 0) fail('INVALID_MODEL', 'the graph has no inputs');
  if (graph.outputs.length === 0) fail('INVALID_MODEL', 'the graph has no outputs');
}
