import type { Tensor } from '../tensor.js';
import type { GraphPass } from './types.js';

/**
 * Replaces every node whose outputs are known before running (see infer.ts) with initializers.
 * Graph outputs are never folded away, so a model always has at least one computed output.
 */
export const constantFolding: GraphPass = {
  name: 'constant-folding',
  run(graph, { inferred }) {
    const outputs = new Set(graph.outputs.map((o) => o.name));
    const initializers = new Map<string, Tensor>(graph.initializers);
    const nodes = graph.nodes.filter((n) => {
      const foldable = n.outputs.every((o) => o === '' || (inferred.values.has(o) && !outputs.has(o)));
      if (!foldable) return true;
      for (const o of n.outputs) if (o !== '') initializers.set(o, inferred.values.get(o)!);
      return false;
    });
    return { ...graph, nodes, initializers };
  },
};
