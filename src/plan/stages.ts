/**
 * Cutting a graph into the stages of the chain model. A cut goes after node k when exactly one
 * non-constant tensor available so far (the graph input or a node output) is still needed by a
 * later node or as the graph output: that tensor is x_i, and nothing else of the prefix has to be
 * kept, which is what the chain model assumes. In a ResNet the cuts fall between blocks and between
 * single-input layers inside the stem and head; inside a residual block two tensors (the branch and
 * the shortcut) are live, so there is no cut.
 *
 * Constants (initializers, and outputs of nodes whose inputs are all constants, such as Constant
 * nodes or folded shape arithmetic) are not activations: they neither block nor create cuts. A
 * node that leaves the live set unchanged (a constant node, dead code) merges into the next stage
 * rather than forming a stage whose input is its output.
 */
import { fail } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { inferShapes } from '../graph/infer.js';
import { sizeOf } from '../graph/tensor.js';

export interface Stage {
  /** Stage number i (1-based); its output is x_i. */
  readonly index: number;
  /** First node of the stage (index into graph.nodes). */
  readonly start: number;
  /** One past its last node. Stages tile 0..nodes.length. */
  readonly end: number;
  /** x_{i-1}: the graph input for stage 1, else the previous stage's output. */
  readonly input: string;
  /** x_i: the only non-constant value live after the stage; the graph output for stage n. */
  readonly output: string;
}

/** Names of the values that are known without running: initializers and what they alone feed. */
export function constantValues(graph: Graph): Set<string> {
  const constants = new Set<string>(graph.initializers.keys());
  for (const node of graph.nodes) {
    if (node.inputs.every((v) => v === '' || constants.has(v))) for (const o of node.outputs) if (o !== '') constants.add(o);
  }
  return constants;
}

function singleInput(graph: Graph, constants: ReadonlySet<string>): string {
  const inputs = graph.inputs.filter((v) => !constants.has(v.name));
  if (inputs.length !== 1) fail('INVALID_ARGUMENT', `linearize: the graph needs exactly one non-initializer input to be a chain, '${graph.name}' has ${inputs.length}`);
  return inputs[0]!.name;
}

function singleOutput(graph: Graph, constants: ReadonlySet<string>): string {
  if (graph.outputs.length !== 1) fail('INVALID_ARGUMENT', `linearize: the graph needs exactly one output to be a chain, '${graph.name}' has ${graph.outputs.length}`);
  const out = graph.outputs[0]!.name;
  if (constants.has(out)) fail('INVALID_ARGUMENT', `linearize: the output '${out}' of '${graph.name}' is a constant`);
  return out;
}

/** The stages of a single-input, single-output graph (nodes topologically sorted). O(nodes + edges). */
export function linearize(graph: Graph): Stage[] {
  const constants = constantValues(graph);
  const input = singleInput(graph, constants);
  const output = singleOutput(graph, constants);
  const N = graph.nodes.length;
  // lastUse: index of the last node reading a value; the graph output is needed after them all.
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((node, k) => {
    for (const v of node.inputs) if (v !== '' && !constants.has(v)) lastUse.set(v, k);
  });
  lastUse.set(output, N);
  const dying: string[][] = Array.from({ length: N }, () => []);
  for (const [v, k] of lastUse) if (k < N) dying[k]!.push(v);

  const live = new Set<string>();
  if ((lastUse.get(input) ?? -1) >= 0) live.add(input);
  const stages: Stage[] = [];
  let start = 0;
  let prev = input;
  for (let k = 0; k < N; k++) {
    for (const o of graph.nodes[k]!.outputs) {
      if (o !== '' && !constants.has(o) && (lastUse.get(o) ?? -1) > k) live.add(o);
    }
    for (const v of dying[k]!) live.delete(v);
    if (live.size !== 1) continue;
    const v = live.values().next().value as string;
    if (v === prev) continue;
    stages.push({ index: stages.length + 1, start, end: k + 1, input: prev, output: v });
    start = k + 1;
    prev = v;
  }
  if (stages.length === 0 || prev !== output) fail('INVALID_ARGUMENT', `linearize: '${graph.name}' does not end in a cut at its output '${output}'`);
  if (start < N) {
    // Trailing nodes that change nothing live (dead code, constants) join the last stage.
    const lastStage = stages.pop()!;
    stages.push({ ...lastStage, end: N });
  }
  return stages;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int64: 8 };

export interface StageBytes {
  /** a[i]: bytes of x_i, i = 0..n. */
  readonly a: number[];
  /**
   * Bytes of the other non-constant values stage i produces, i = 1..n (length n, as paperChain
   * takes it): what a save-mode forward would keep if every intermediate were saved.
   */
  readonly s: number[];
}

/**
 * Activation bytes per stage from shape inference, for an analytic chain (paperChain) before any
 * trace exists. `inputShape` binds the graph input's shape, batch included.
 */
export function stageBytes(graph: Graph, stages: readonly Stage[], inputShape: readonly number[]): StageBytes {
  const constants = constantValues(graph);
  const input = singleInput(graph, constants);
  const { types } = inferShapes(graph, new Map([[input, inputShape]]));
  const bytesOf = (v: string): number => {
    const t = types.get(v);
    if (t === undefined) fail('INVALID_MODEL', `stageBytes: no type inferred for '${v}'`);
    return sizeOf(t.shape) * (DTYPE_BYTES[t.dtype] ?? 4);
  };
  const a = [bytesOf(input)];
  const s: number[] = [];
  for (const st of stages) {
    a.push(bytesOf(st.output));
    let inner = 0;
    for (let k = st.start; k < st.end; k++) {
      for (const o of graph.nodes[k]!.outputs) if (o !== '' && o !== st.output && !constants.has(o)) inner += bytesOf(o);
    }
    s.push(inner);
  }
  return { a, s };
}
