/** Per-layer parameters, MACs and output shapes: what `sparsecnn info` prints. */
import { inferShapes } from '../graph/infer.js';
import type { Model, Node } from '../graph/ir.js';
import type { ValueType } from '../graph/ops/index.js';
import { sizeOf } from '../graph/tensor.js';
import { feedInputs } from '../runtime/bind.js';

export interface NodeStats {
  readonly name: string;
  readonly op: string;
  readonly outShape: readonly number[];
  /** Trainable parameters this node reads (PyTorch's convention: BN running statistics are buffers). */
  readonly params: number;
  /** Multiply-accumulates at the given batch size (Conv, Gemm, MatMul). */
  readonly macs: number;
  /** Fraction of exactly-zero weights (Conv/Gemm weight), 0 when dense. */
  readonly sparsity: number;
}

export interface ModelStats {
  readonly params: number;
  readonly macs: number;
  readonly batch: number;
  readonly inputs: { readonly name: string; readonly shape: readonly number[] }[];
  readonly nodes: NodeStats[];
}

/** Which inputs of an op are trainable parameters. */
const PARAM_INPUTS: Partial<Record<string, readonly number[]>> = { Conv: [1, 2], Gemm: [1, 2], MatMul: [0, 1], BatchNormalization: [1, 2] };

function macsOf(node: Node, types: ReadonlyMap<string, ValueType>): number {
  const out = types.get(node.outputs[0]!)?.shape ?? [];
  if (node.op === 'Conv') {
    const w = types.get(node.inputs[1]!)!.shape;
    return sizeOf(out) * w[1]! * w[2]! * w[3]!;
  }
  if (node.op === 'Gemm') {
    const a = types.get(node.inputs[0]!)!.shape;
    return sizeOf(out) * (node.attrs.transA ? a[0]! : a[1]!);
  }
  if (node.op === 'MatMul') {
    const a = types.get(node.inputs[0]!)!.shape;
    return sizeOf(out) * a[a.length - 1]!;
  }
  return 0;
}

export function modelStats(model: Model, batch = 1): ModelStats {
  const g = model.graph;
  const inputs = feedInputs(g).map((i) => ({ name: i.name, shape: i.shape.map((d) => (typeof d === 'number' ? d : batch)) }));
  const { types } = inferShapes(g, new Map(inputs.map((i) => [i.name, i.shape])));
  const counted = new Set<string>();
  const nodes = g.nodes.map((node): NodeStats => {
    let params = 0;
    for (const i of PARAM_INPUTS[node.op] ?? []) {
      const x = node.inputs[i] ?? '';
      const t = g.initializers.get(x);
      if (t?.dtype === 'float32' && !counted.has(x)) {
        params += t.data.length;
        counted.add(x);
      }
    }
    let sparsity = 0;
    const w = node.op === 'Conv' || node.op === 'Gemm' ? g.initializers.get(node.inputs[1]!) : undefined;
    if (w?.dtype === 'float32' && w.data.length > 0) {
      let zeros = 0;
      for (const v of w.data) if (v === 0) zeros++;
      sparsity = zeros / w.data.length;
    }
    return { name: node.name, op: node.op, outShape: types.get(node.outputs[0]!)?.shape ?? [], params, macs: macsOf(node, types), sparsity };
  });
  return {
    params: nodes.reduce((s, n) => s + n.params, 0),
    macs: nodes.reduce((s, n) => s + n.macs, 0),
    batch,
    inputs,
    nodes,
  };
}
