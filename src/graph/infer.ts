/**
 * Shape inference with constant propagation. Given concrete input shapes it computes the type of
 * every value, and the value itself wherever all inputs are known (initializers, Constant nodes,
 * Shape of a statically shaped tensor): that is how the Shape → Gather → Unsqueeze → Concat →
 * Reshape subgraphs exporters emit resolve to constants (see passes/constant-folding.ts).
 */
import { fail } from '../errors.js';
import { REF_KERNELS } from '../kernels/ref/index.js';
import type { OpType } from './attrs.js';
import type { Graph, NodeOf } from './ir.js';
import { OP_DEFS, type ValueType } from './ops/index.js';
import { shapeRange } from './ops/shape-ops.js';
import { intTensor, sizeOf, type Tensor } from './tensor.js';

export interface Inferred {
  readonly types: ReadonlyMap<string, ValueType>;
  /** Values known before running: initializers plus everything computable from them. */
  readonly values: ReadonlyMap<string, Tensor>;
}

/** Largest output a node may have and still be evaluated during inference (shape math is tiny). */
const FOLD_LIMIT = 1 << 16;

export function inferNode<O extends OpType>(node: NodeOf<O>, inputs: readonly (ValueType | undefined)[], values: readonly (Tensor | undefined)[]): ValueType[] {
  const def = OP_DEFS[node.op];
  return def.infer({ node: node.name, attrs: node.attrs, inputs, values });
}

export function evalNode<O extends OpType>(node: NodeOf<O>, inputs: readonly (Tensor | undefined)[], outTypes: readonly ValueType[]): Tensor[] {
  return REF_KERNELS[node.op](node.attrs, inputs, outTypes);
}

export function inferShapes(graph: Graph, inputShapes: ReadonlyMap<string, readonly number[]>): Inferred {
  const types = new Map<string, ValueType>();
  const values = new Map<string, Tensor>();
  for (const [name, t] of graph.initializers) {
    types.set(name, { dtype: t.dtype, shape: t.shape });
    values.set(name, t);
  }
  for (const vi of graph.inputs) {
    if (graph.initializers.has(vi.name)) continue;
    const shape = inputShapes.get(vi.name);
    if (shape === undefined) fail('SHAPE_MISMATCH', `no shape given for graph input '${vi.name}'`);
    types.set(vi.name, { dtype: vi.dtype, shape });
  }
  for (const node of graph.nodes) {
    const inTypes = node.inputs.map((n) => (n === '' ? undefined : types.get(n)));
    const inValues = node.inputs.map((n) => (n === '' ? undefined : values.get(n)));
    node.inputs.forEach((n, i) => {
      if (n !== '' && inTypes[i] === undefined) fail('INVALID_MODEL', `node '${node.name}' (${node.op}) reads '${n}', which nothing produces`);
    });
    const outTypes = inferNode(node, inTypes, inValues);
    node.outputs.forEach((o, i) => {
      const t = outTypes[i];
      if (t !== undefined && o !== '') types.set(o, t);
    });
    if (node.op === 'Shape') {
      // Shape needs only its input's type, which is known here even when its value is not.
      const x = inTypes[0]!;
      const [s, e] = shapeRange(x.shape.length, node.attrs.start, node.attrs.end);
      const dims = x.shape.slice(s, e);
      values.set(node.outputs[0]!, intTensor([dims.length], dims));
      continue;
    }
    const known = node.inputs.every((n, i) => n === '' || inValues[i] !== undefined);
    if (known && outTypes.every((t) => sizeOf(t.shape) <= FOLD_LIMIT)) {
      const outs = evalNode(node, inValues, outTypes);
      node.outputs.forEach((o, i) => {
        if (o !== '' && outs[i] !== undefined) values.set(o, outs[i]!);
      });
    }
  }
  return { types, values };
}
