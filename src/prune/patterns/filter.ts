/**
 * l2-norm filter pruning that really removes channels: a dependency group's channels are scored by
 * the l2 norm of their filters over all the group's sources, the lowest floor(ratio·C) are removed
 * from every source (output rows + bias), every BN and depthwise conv they pass through (which also
 * shrinks its `group`), and every sink's input channels. The graph keeps its structure and becomes
 * smaller; shapes are re-derived by inference.
 */
import type { Graph, Node } from '../../graph/ir.js';
import type { FloatTensor, Tensor } from '../../graph/tensor.js';
import { topIndices } from '../criteria.js';
import type { ChannelGroup } from '../dependency.js';

function floatInit(g: Graph, name: string): FloatTensor {
  const t = g.initializers.get(name);
  if (t?.dtype !== 'float32') throw new Error(`internal error: '${name}' is not a float initializer`);
  return t;
}

/** Channel scores: sqrt(Σ over sources of Σ filter[c]²). */
export function groupScores(g: Graph, group: ChannelGroup): Float64Array {
  const s = new Float64Array(group.channels);
  for (const n of group.sources) {
    const w = floatInit(g, n.inputs[1]!);
    if (n.op === 'Gemm') {
      const [r, c] = w.shape as [number, number];
      const transB = n.attrs.transB;
      for (let o = 0; o < group.channels; o++) for (let k = 0; k < (transB ? c : r); k++) s[o]! += (transB ? w.data[o * c + k]! : w.data[k * c + o]!) ** 2;
    } else {
      const per = w.data.length / w.shape[0]!;
      for (let o = 0; o < group.channels; o++) for (let k = 0; k < per; k++) s[o]! += w.data[o * per + k]! ** 2;
    }
  }
  return s.map(Math.sqrt);
}

/** Keeps `keep` (ascending channel indices) along `axis` of a tensor. */
function sliceAxis(t: FloatTensor, axis: number, keep: readonly number[]): FloatTensor {
  const shape = [...t.shape];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const d = shape[axis]!;
  shape[axis] = keep.length;
  const data = new Float32Array(outer * keep.length * inner);
  for (let o = 0; o < outer; o++) keep.forEach((c, j) => data.set(t.data.subarray((o * d + c) * inner, (o * d + c + 1) * inner), (o * keep.length + j) * inner));
  return { dtype: 'float32', shape, data };
}

/** Channel scores of a depthwise conv: the l2 norm of each channel's kh·kw weights. */
export function depthwiseScores(g: Graph, dw: Node): Float64Array {
  const w = floatInit(g, dw.inputs[1]!);
  const per = w.data.length / w.shape[0]!;
  return Float64Array.from({ length: w.shape[0]! }, (_, c) => Math.sqrt(w.data.subarray(c * per, (c + 1) * per).reduce((s, v) => s + v * v, 0)));
}

/** Removes the group's lowest-scoring channels, keeping `keep` of them; returns the new graph. */
export function removeChannels(g: Graph, group: ChannelGroup, keepCount: number, scores: Float64Array = groupScores(g, group)): Graph {
  const keep = topIndices(scores, keepCount);
  const inits = new Map<string, Tensor>(g.initializers);
  const replaced = new Map<Node, Node>();
  let serial = 0;
  const put = (base: string, t: FloatTensor): string => {
    const name = `${base}.pruned${serial++}`;
    inits.set(name, t);
    return name;
  };
  const withInputs = (n: Node, ins: string[]): Node => ({ ...n, inputs: ins }) as Node;
  for (const n of group.sources) {
    const ins = [...n.inputs];
    const w = floatInit(g, ins[1]!);
    if (n.op === 'Gemm') {
      ins[1] = put(ins[1]!, sliceAxis(w, n.attrs.transB ? 0 : 1, keep));
      if (ins[2]) ins[2] = put(ins[2], sliceAxis(floatInit(g, ins[2]), floatInit(g, ins[2]).shape.length - 1, keep));
    } else {
      ins[1] = put(ins[1]!, sliceAxis(w, 0, keep));
      if (ins[2]) ins[2] = put(ins[2], sliceAxis(floatInit(g, ins[2]), 0, keep));
    }
    replaced.set(n, withInputs(n, ins));
  }
  for (const n of group.through) {
    if (n.op === 'BatchNormalization') {
      replaced.set(n, withInputs(n, n.inputs.map((x, i) => (i === 0 ? x : put(x, sliceAxis(floatInit(g, x), 0, keep))))));
    } else if (n.op === 'Conv') {
      // depthwise: weight [C,1,kh,kw] and bias [C] shrink, and so does the group count
      const ins = [...n.inputs];
      ins[1] = put(ins[1]!, sliceAxis(floatInit(g, ins[1]!), 0, keep));
      if (ins[2]) ins[2] = put(ins[2], sliceAxis(floatInit(g, ins[2]), 0, keep));
      replaced.set(n, { ...n, inputs: ins, attrs: { ...n.attrs, group: keep.length } });
    }
  }
  for (const n of group.sinks) {
    const ins = [...(replaced.get(n) ?? n).inputs];
    const w = floatInit(g, ins[1]!);
    const axis = n.op === 'Gemm' ? (n.attrs.transB ? 1 : 0) : 1;
    ins[1] = put(ins[1]!, sliceAxis(w, axis, keep));
    replaced.set(n, withInputs(replaced.get(n) ?? n, ins));
  }
  const nodes = g.nodes.map((n) => replaced.get(n) ?? n);
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const k of [...inits.keys()]) if (!used.has(k)) inits.delete(k);
  return { ...g, nodes, initializers: inits };
}
