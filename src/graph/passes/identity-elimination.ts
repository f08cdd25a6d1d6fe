import type { Node } from '../ir.js';
import type { GraphPass } from './types.js';

/** Removes Identity and inference-time Dropout by renaming their consumers' inputs. */
export const identityElimination: GraphPass = {
  name: 'identity-elimination',
  run(graph) {
    const outputs = new Set(graph.outputs.map((o) => o.name));
    const alias = new Map<string, string>();
    const resolve = (x: string): string => alias.get(x) ?? x;
    const kept: Node[] = [];
    for (const n of graph.nodes) {
      // A node that produces a graph output keeps its name for the user: leave it.
      if ((n.op === 'Identity' || n.op === 'Dropout') && !outputs.has(n.outputs[0]!)) {
        alias.set(n.outputs[0]!, resolve(n.inputs[0]!));
        continue;
      }
      kept.push(alias.size === 0 ? n : ({ ...n, inputs: n.inputs.map(resolve) } as Node));
    }
    return { ...graph, nodes: kept };
  },
};
