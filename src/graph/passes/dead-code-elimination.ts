import type { Tensor } from '../tensor.js';
import type { GraphPass } from './types.js';

/** Drops nodes and initializers that no graph output depends on. */
export const deadCodeElimination: GraphPass = {
  name: 'dead-code-elimination',
  run(graph) {
    const live = new Set(graph.outputs.map((o) => o.name));
    const keep = new Array<boolean>(graph.nodes.length).fill(false);
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const n = graph.nodes[i]!;
      if (n.outputs.some((o) => live.has(o))) {
        keep[i] = true;
        for (const x of n.inputs) if (x !== '') live.add(x);
      }
    }
    const initializers = new Map<string, Tensor>();
    for (const [k, v] of graph.initializers) if (live.has(k)) initializers.set(k, v);
    return { ...graph, nodes: graph.nodes.filter((_, i) => keep[i]), initializers };
  },
};
