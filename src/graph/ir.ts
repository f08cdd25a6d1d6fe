/**
 * The graph IR: one representation shared by import, passes, the executor, the trainer and export.
 *
 * Values are named (ONNX style). A node's attributes are parsed once into a readonly typed object
 * (see ./attrs.ts), so kernels and passes never look attributes up by string. An empty input
 * name means "optional input not given", as in ONNX.
 */
import type { DType, Tensor } from './tensor.js';
import type { OpAttrs, OpType } from './attrs.js';

/** A dimension: a number, or a symbol (e.g. 'batch') bound when a session is compiled. */
export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export interface NodeOf<O extends OpType> {
  readonly name: string;
  readonly op: O;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: OpAttrs[O];
}

/** Discriminated union over every op: `switch (node.op)` narrows `node.attrs`. */
export type Node = { [O in OpType]: NodeOf<O> }[OpType];

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Topologically sorted (validate() checks it). */
  readonly nodes: readonly Node[];
}

/** How images are turned into the model's input: x = (pixel/255 - mean[c]) / std[c], CHW. */
export interface Preprocessing {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** [C, H, W] the model expects. */
  readonly inputSize: readonly [number, number, number];
}

export interface ModelMetadata {
  /** Zoo name or file stem. */
  readonly name: string;
  readonly preprocessing?: Preprocessing;
  /** Class names, index = logit index. */
  readonly labels?: readonly string[];
  /** Where the weights came from (file, checkpoint, 'random seed 1'). */
  readonly source?: string;
  /** Free-form key/value pairs kept through import/export (ONNX metadata_props). */
  readonly extra?: ReadonlyMap<string, string>;
}

export interface Model {
  readonly graph: Graph;
  readonly metadata: ModelMetadata;
  /** Highest default-domain opset of the imported file (exports use max(13, this)). */
  readonly opset: number;
}

export function isNode<O extends OpType>(node: Node, op: O): node is Extract<Node, { op: O }> {
  return node.op === op;
}
