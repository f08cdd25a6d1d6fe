/**
 * Model → training program: the simplified graph with concrete shapes for one batch size, the
 * trainable parameters, running-statistics buffers and constants, and per node what its training
 * op needs. No memory is touched here; the executor (./executor.ts) owns that.
 */
import { fail } from '../errors.js';
import { inferShapes } from '../graph/infer.js';
import type { Graph, Model, Node } from '../graph/ir.js';
import { runPasses, SIMPLIFY_PASSES } from '../graph/passes/index.js';
import { sizeOf, type Tensor } from '../graph/tensor.js';
import { int64ToF32 } from './ops/layout.js';
import type { OpShapes, TrainOp, TrainOps } from './ops/types.js';

/** Node inputs that are trainable parameters when they are initializers. */
const PARAM_INPUTS: Partial<Record<Node['op'], readonly number[]>> = {
  Conv: [1, 2],
  Gemm: [1, 2],
  MatMul: [1],
  BatchNormalization: [1, 2],
};
/** Node inputs that are state updated by the forward pass (not by the optimizer). */
const BUFFER_INPUTS: Partial<Record<Node['op'], readonly number[]>> = {
  BatchNormalization: [3, 4],
};

export interface ProgramNode {
  readonly node: Node;
  readonly op: TrainOp<Node['op']>;
  readonly shapes: OpShapes;
  readonly needs: { readonly inputs: readonly boolean[]; readonly outputs: readonly boolean[] };
  readonly savedSizes: readonly number[];
}

export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** Weight decay applies to weights (rank ≥ 2), not to biases or BN affine parameters. */
  readonly decay: boolean;
}

export interface TrainProgram {
  readonly graph: Graph;
  readonly batch: number;
  readonly input: string;
  readonly output: string;
  readonly classes: number;
  readonly nodes: readonly ProgramNode[];
  /** IR-order shape of every activation value (graph input and node outputs). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly params: readonly ParamInfo[];
  readonly buffers: readonly string[];
  /** Non-trainable initializers and folded constants the nodes read, as f32. */
  readonly constants: ReadonlyMap<string, Float32Array>;
  /** Activation values a node reads, by value name → indices of reading nodes. */
  readonly readers: ReadonlyMap<string, readonly number[]>;
}

function asF32(t: Tensor): Float32Array {
  return t.dtype === 'float32' ? t.data : int64ToF32(t.data);
}

export function buildProgram(model: Model, batch: number, ops: TrainOps): TrainProgram {
  if (!Number.isInteger(batch) || batch < 1) fail('INVALID_ARGUMENT', `batch size must be a positive integer, got ${batch}`);
  const g0 = model.graph;
  const realInputs = g0.inputs.filter((vi) => !g0.initializers.has(vi.name));
  if (realInputs.length !== 1) fail('UNSUPPORTED', `training needs a model with one image input, ${model.metadata.name} has ${realInputs.length}`);
  if (g0.outputs.length < 1) fail('INVALID_MODEL', 'the model has no output');
  const inVi = realInputs[0]!;
  const inShape = inVi.shape.map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : fail('UNSUPPORTED', `input '${inVi.name}' has a symbolic dimension '${d}' besides the batch`)));
  if (inShape.length !== 4) fail('UNSUPPORTED', `training expects an image input [N, C, H, W], '${inVi.name}' has rank ${inShape.length}`);
  const shapesIn = new Map([[inVi.name, inShape]]);
  const graph = runPasses(g0, shapesIn, [], SIMPLIFY_PASSES);
  const inferred = inferShapes(graph, shapesIn);
  const output = graph.outputs[0]!.name;

  const paramSet = new Set<string>();
  const bufferSet = new Set<string>();
  for (const node of graph.nodes) {
    for (const i of PARAM_INPUTS[node.op] ?? []) {
      const n = node.inputs[i];
      if (n !== undefined && n !== '' && graph.initializers.get(n)?.dtype === 'float32') paramSet.add(n);
    }
    for (const i of BUFFER_INPUTS[node.op] ?? []) {
      const n = node.inputs[i];
      if (n !== undefined && n !== '' && graph.initializers.has(n)) bufferSet.add(n);
    }
  }

  const shapes = new Map<string, readonly number[]>([[inVi.name, inShape]]);
  const constants = new Map<string, Float32Array>();
  const nodes: ProgramNode[] = [];
  const readers = new Map<string, number[]>();
  const unsupported = new Map<string, number>();
  for (const node of graph.nodes) {
    // Nodes computable before running (shape arithmetic) are constants, not steps.
    if (node.outputs.every((o) => o === '' || inferred.values.has(o))) continue;
    const op = ops[node.op] as TrainOp<Node['op']> | undefined;
    if (op === undefined) {
      unsupported.set(node.op, (unsupported.get(node.op) ?? 0) + 1);
      continue;
    }
    const inShapes = node.inputs.map((n) => (n === '' ? undefined : inferred.types.get(n)?.shape));
    const outShapes = node.outputs.map((o) => inferred.types.get(o)!.shape);
    node.inputs.forEach((n) => {
      if (n === '' || paramSet.has(n) || bufferSet.has(n) || shapes.has(n)) return;
      const v = inferred.values.get(n);
      if (v !== undefined) constants.set(n, asF32(v));
    });
    node.outputs.forEach((o, i) => shapes.set(o, outShapes[i]!));
    const opShapes: OpShapes = { inputs: inShapes, outputs: outShapes };
    const idx = nodes.length;
    node.inputs.forEach((n) => {
      if (n !== '' && shapes.has(n) && !constants.has(n)) {
        const r = readers.get(n) ?? [];
        if (!r.includes(idx)) r.push(idx);
        readers.set(n, r);
      }
    });
    nodes.push({ node, op, shapes: opShapes, needs: op.needs(node.attrs as never, opShapes), savedSizes: op.savedSizes(node.attrs as never, opShapes) });
  }
  if (unsupported.size > 0) {
    fail('UNSUPPORTED', `training does not support ${[...unsupported].map(([op, n]) => `${op} (${n} node${n > 1 ? 's' : ''})`).join(', ')} in ${model.metadata.name}`);
  }
  const outShape = shapes.get(output);
  if (outShape === undefined || outShape.length !== 2 || outShape[0] !== batch) fail('UNSUPPORTED', `training needs logits [N, classes] as the first output; '${output}' is ${outShape === undefined ? 'constant' : `[${outShape.join(',')}]`}`);
  const params: ParamInfo[] = [...paramSet].map((name) => {
    const t = graph.initializers.get(name)!;
    return { name, shape: t.shape, decay: t.shape.length >= 2 };
  });
  return {
    graph, batch, input: inVi.name, output, classes: outShape[1]!, nodes, shapes,
    params, buffers: [...bufferSet], constants, readers,
  };
}

export function bytesOf(shape: readonly number[]): number {
  return sizeOf(shape) * 4;
}
