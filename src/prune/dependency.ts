/**
 * Channel dependency groups (in the spirit of Torch-Pruning's DepGraph). Removing output channel c
 * of a conv also removes channel c everywhere that channel flows: through BatchNorm, activations,
 * pooling and depthwise convs (whose input and output channels are one), into the input channels of
 * the next regular conv or Gemm (sinks), and across residual Adds and squeeze-excite Muls, which tie
 * the channels of both operands, so every conv producing a tied tensor (a source) must drop the
 * same channels. A group is found by a walk over the graph in both directions from one tensor.
 * Anything else the channels meet (Slice, Pad, Concat, a model input or output) makes the group
 * unprunable, with the reason reported.
 */
import type { Graph, Node } from '../graph/ir.js';
import type { ValueType } from '../graph/ops/types.js';
import { indexGraph } from '../graph/passes/graph-utils.js';

export interface ChannelGroup {
  readonly channels: number;
  /** Convs (group 1) and Gemms whose output channels are the group: they are scored and shrunk. */
  readonly sources: readonly Node[];
  /** Nodes the channels pass through: BN and depthwise convs are sliced, the rest only reshape. */
  readonly through: readonly Node[];
  /** Convs (group 1) and Gemms reading the group as input channels/features: their inputs shrink. */
  readonly sinks: readonly Node[];
  readonly values: ReadonlySet<string>;
}

export type GroupResult = { readonly ok: true; readonly group: ChannelGroup } | { readonly ok: false; readonly reason: string };

const UNARY = new Set(['BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Identity', 'Dropout', 'GlobalAveragePool', 'MaxPool', 'AveragePool']);
const TIES = new Set(['Add', 'Mul', 'Sub', 'Div']);

export function isDepthwise(n: Node, types: ReadonlyMap<string, ValueType>): boolean {
  if (n.op !== 'Conv') return false;
  const c = types.get(n.inputs[0]!)?.shape[1];
  return n.attrs.group > 1 && n.attrs.group === c && types.get(n.outputs[0]!)?.shape[1] === c;
}

function isRegularConv(n: Node): boolean {
  return n.op === 'Conv' && n.attrs.group === 1;
}

/** The dependency group of the channel axis of tensor `start` (axis 1). */
export function channelGroup(g: Graph, types: ReadonlyMap<string, ValueType>, start: string): GroupResult {
  const ix = indexGraph(g);
  const C = types.get(start)?.shape[1];
  if (C === undefined) return { ok: false, reason: `'${start}' has no channel axis` };
  const values = new Set<string>();
  const sources = new Set<Node>();
  const through = new Set<Node>();
  const sinks = new Set<Node>();
  const queue = [start];
  const carries = (v: string) => {
    const s = types.get(v)?.shape;
    return s !== undefined && s.length >= 2 && s[1] === C && !g.initializers.has(v);
  };
  const inputs = new Set(g.inputs.map((i) => i.name));
  while (queue.length > 0) {
    const v = queue.pop()!;
    if (values.has(v)) continue;
    values.add(v);
    if (inputs.has(v)) return { ok: false, reason: 'the channels reach the model input' };
    if (ix.outputs.has(v)) return { ok: false, reason: 'the channels reach the model output' };
    const p = ix.producer.get(v);
    if (p !== undefined) {
      if (isRegularConv(p) || p.op === 'Gemm') sources.add(p);
      else if (UNARY.has(p.op) || isDepthwise(p, types) || (p.op === 'Flatten' && types.get(p.inputs[0]!)?.shape.slice(2).every((d) => d === 1))) {
        through.add(p);
        queue.push(p.inputs[0]!);
      } else if (TIES.has(p.op)) {
        through.add(p);
        for (const x of p.inputs) {
          if (carries(x)) queue.push(x);
          else if (g.initializers.get(x)?.shape[1] === C) return { ok: false, reason: `'${p.name}' (${p.op}) has a per-channel constant` };
        }
      } else return { ok: false, reason: `the channels come from '${p.name}' (${p.op}), which sparsecnn cannot prune through` };
    }
    for (const c of ix.consumers.get(v) ?? []) {
      if ((isRegularConv(c) || c.op === 'Gemm') && c.inputs[0] === v) sinks.add(c);
      else if (isRegularConv(c) || c.op === 'Gemm') return { ok: false, reason: `'${c.name}' (${c.op}) reads the channels as weights` };
      else if (UNARY.has(c.op) || isDepthwise(c, types)) {
        through.add(c);
        queue.push(c.outputs[0]!);
      } else if (c.op === 'Flatten' && types.get(v)?.shape.slice(2).every((d) => d === 1)) {
        through.add(c);
        queue.push(c.outputs[0]!);
      } else if (TIES.has(c.op)) {
        through.add(c);
        queue.push(c.outputs[0]!);
        for (const x of c.inputs) if (x !== v && carries(x)) queue.push(x);
      } else return { ok: false, reason: `the channels flow into '${c.name}' (${c.op}), which sparsecnn cannot prune through` };
    }
  }
  if (sources.size === 0) return { ok: false, reason: 'no conv produces these channels' };
  return { ok: true, group: { channels: C, sources: [...sources], through: [...through], sinks: [...sinks], values } };
}

/** Every distinct prunable group whose sources include a regular conv, and the reasons others are not. */
export function allChannelGroups(g: Graph, types: ReadonlyMap<string, ValueType>): { groups: ChannelGroup[]; skipped: { node: string; reason: string }[] } {
  const seen = new Set<string>();
  const groups: ChannelGroup[] = [];
  const skipped: { node: string; reason: string }[] = [];
  for (const n of g.nodes) {
    if (!isRegularConv(n) || seen.has(n.outputs[0]!)) continue;
    const r = channelGroup(g, types, n.outputs[0]!);
    if (r.ok) {
      for (const v of r.group.values) seen.add(v);
      groups.push(r.group);
    } else {
      seen.add(n.outputs[0]!);
      skipped.push({ node: n.name, reason: r.reason });
    }
  }
  return { groups, skipped };
}
