import { fail } from '../errors.js';
import type { Model } from '../graph/ir.js';
import type { FloatTensor } from '../graph/tensor.js';
import type { WeightSource } from './builder.js';

/**
 * Pretrained parameters taken from an ONNX model, in the order its Conv and Gemm nodes run.
 * A zoo builder asks for them in its own layer order; any mismatch of kind or shape is an error
 * naming the layer, so a wrong file can never load silently.
 */
export function onnxWeightSource(model: Model, file: string): WeightSource & { remaining(): number } {
  const g = model.graph;
  const queue: { kind: 'Conv' | 'Gemm'; node: string; weight: FloatTensor; bias?: FloatTensor }[] = [];
  const constant = (name: string | undefined): FloatTensor | undefined => {
    const t = name === undefined || name === '' ? undefined : g.initializers.get(name);
    return t?.dtype === 'float32' ? t : undefined;
  };
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm') continue;
    const weight = constant(n.inputs[1]);
    if (weight === undefined) fail('INVALID_MODEL', `${file}: ${n.op} '${n.name}' has no constant weight`);
    const bias = constant(n.inputs[2]);
    queue.push(bias === undefined ? { kind: n.op, node: n.name, weight } : { kind: n.op, node: n.name, weight, bias });
  }
  let i = 0;
  return {
    next(kind, name) {
      const e = queue[i++];
      if (e === undefined) fail('INVALID_MODEL', `${file} has fewer layers than the architecture: nothing left for ${kind} '${name}'`);
      if (e.kind !== kind) fail('INVALID_MODEL', `${file}: layer '${name}' is a ${kind} but the file's next layer '${e.node}' is a ${e.kind}`);
      return e.bias === undefined ? { weight: e.weight } : { weight: e.weight, bias: e.bias };
    },
    remaining: () => queue.length - i,
  };
}
