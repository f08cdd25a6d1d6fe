import type { ConvAttrs } from '../attrs.js';
import type { Node } from '../ir.js';
import { floatTensor, type Tensor } from '../tensor.js';
import { constFloat, freshName, indexGraph, onlyReadBy, applyReplacements } from './graph-utils.js';
import type { GraphPass } from './types.js';

/**
 * Folds an inference BatchNormalization into the Conv that feeds it:
 *   k = gamma / sqrt(var + eps);  W'[co] = W[co]·k[co];  b' = (b − mean)·k + beta.
 * Applies only when the Conv output is read by the BN alone and all parameters are constants.
 */
export const convBnFusion: GraphPass = {
  name: 'conv-bn-fusion',
  run(g) {
    const ix = indexGraph(g);
    const inits = new Map<string, Tensor>(g.initializers);
    const taken = new Set<string>();
    const replaced = new Map<Node, Node | null>();
    for (const bn of g.nodes) {
      if (bn.op !== 'BatchNormalization') continue;
      const conv = ix.producer.get(bn.inputs[0]!);
      if (conv?.op !== 'Conv' || replaced.has(conv) || !onlyReadBy(ix, conv.outputs[0]!, [bn])) continue;
      const w = constFloat(g, conv.inputs[1]);
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => constFloat(g, bn.inputs[i]));
      if (w === undefined || gamma === undefined || beta === undefined || mean === undefined || variance === undefined) continue;
      const b = conv.inputs[2] ? constFloat(g, conv.inputs[2]) : undefined;
      if (conv.inputs[2] && b === undefined) continue;
      const cout = w.shape[0]!;
      const per = w.data.length / cout;
      const w2 = floatTensor(w.shape);
      const b2 = floatTensor([cout]);
      for (let co = 0; co < cout; co++) {
        const k = gamma.data[co]! / Math.sqrt(variance.data[co]! + bn.attrs.epsilon);
        for (let i = 0; i < per; i++) w2.data[co * per + i] = w.data[co * per + i]! * k;
        b2.data[co] = ((b?.data[co] ?? 0) - mean.data[co]!) * k + beta.data[co]!;
      }
      const wName = freshName(g, taken, `${conv.name}.weight_bn`);
      const bName = freshName(g, taken, `${conv.name}.bias_bn`);
      inits.set(wName, w2);
      inits.set(bName, b2);
      const attrs: ConvAttrs = conv.attrs;
      replaced.set(conv, { name: conv.name, op: 'Conv', inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!], attrs });
      replaced.set(bn, null);
    }
    if (replaced.size === 0) return g;
    const nodes = applyReplacements(g.nodes, replaced);
    return { ...g, nodes, initializers: inits };
  },
};
