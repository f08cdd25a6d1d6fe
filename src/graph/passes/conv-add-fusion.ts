import type { Node } from '../ir.js';
import { topoSort } from '../validate.js';
import { indexGraph, onlyReadBy, applyReplacements } from './graph-utils.js';
import type { GraphPass } from './types.js';
import { asFused } from './fused.js';

/**
 * Conv → Add(·, r) with r of the same shape becomes FusedConv(residual = r): the residual add of
 * ResNet and MobileNetV2 blocks runs in the convolution's epilogue instead of a separate pass over
 * memory. Runs before activation fusion so conv → add → relu becomes one node. The graph is
 * re-sorted because r may be produced after the conv in the original order.
 */
export const convAddFusion: GraphPass = {
  name: 'conv-add-fusion',
  run(g, { inferred }) {
    const ix = indexGraph(g);
    const replaced = new Map<Node, Node | null>();
    for (const add of g.nodes) {
      if (add.op !== 'Add') continue;
      const shape = inferred.types.get(add.outputs[0]!)?.shape.join();
      for (const side of [0, 1]) {
        const conv = ix.producer.get(add.inputs[side]!);
        const residual = add.inputs[1 - side]!;
        if (conv === undefined || replaced.has(conv) || (conv.op !== 'Conv' && conv.op !== 'FusedConv')) continue;
        if (conv.op === 'FusedConv' && (conv.attrs.residual || conv.attrs.activation.kind !== 'none')) continue;
        if (!onlyReadBy(ix, conv.outputs[0]!, [add])) continue;
        if (inferred.types.get(residual)?.shape.join() !== shape || inferred.types.get(conv.outputs[0]!)?.shape.join() !== shape) continue;
        if (residual === conv.outputs[0]) continue;
        const f = asFused(conv);
        replaced.set(conv, { ...f, inputs: [f.inputs[0]!, f.inputs[1]!, f.inputs[2] ?? '', residual], outputs: [add.outputs[0]!], attrs: { ...f.attrs, residual: true } });
        replaced.set(add, null);
        break;
      }
    }
    if (replaced.size === 0) return g;
    const nodes = applyReplacements(g.nodes, replaced);
    const available = new Set([...g.initializers.keys(), ...g.inputs.map((i) => i.name)]);
    return { ...g, nodes: topoSort(nodes, available) };
  },
};
