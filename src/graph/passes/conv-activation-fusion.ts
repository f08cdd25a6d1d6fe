import type { Activation } from '../attrs.js';
import type { Graph, Node } from '../ir.js';
import { constFloat, indexGraph, onlyReadBy, type GraphIndex, applyReplacements } from './graph-utils.js';
import { asFused } from './fused.js';
import type { GraphPass } from './types.js';

/** The activation a node applies to its input 0, if it is one we fuse; undefined otherwise. */
function activationOf(g: Graph, n: Node): Activation | undefined {
  switch (n.op) {
    case 'Relu': return { kind: 'relu', alpha: 0, beta: 0 };
    case 'HardSwish': return { kind: 'hardswish', alpha: 0, beta: 0 };
    case 'HardSigmoid': return { kind: 'hardsigmoid', alpha: n.attrs.alpha, beta: n.attrs.beta };
    case 'Sigmoid': return { kind: 'sigmoid', alpha: 0, beta: 0 };
    case 'Clip': {
      const lo = n.inputs[1] ? constFloat(g, n.inputs[1]) : undefined;
      const hi = n.inputs[2] ? constFloat(g, n.inputs[2]) : undefined;
      if ((n.inputs[1] && lo === undefined) || (n.inputs[2] && hi === undefined)) return undefined;
      return { kind: 'clip', alpha: lo?.data[0] ?? -Infinity, beta: hi?.data[0] ?? Infinity };
    }
    default: return undefined;
  }
}

/** y → Sigmoid(y) = s → Mul(y, s): SiLU/Swish as exporters write it. Returns the Sigmoid and Mul. */
function siluAfter(ix: GraphIndex, y: string): [Node, Node] | undefined {
  const readers = ix.consumers.get(y) ?? [];
  if (readers.length !== 2) return undefined;
  const sig = readers.find((n) => n.op === 'Sigmoid');
  const mul = readers.find((n) => n.op === 'Mul');
  if (sig === undefined || mul === undefined) return undefined;
  const s = sig.outputs[0]!;
  const ok = (mul.inputs[0] === y && mul.inputs[1] === s) || (mul.inputs[0] === s && mul.inputs[1] === y);
  return ok && onlyReadBy(ix, s, [mul]) && onlyReadBy(ix, y, [sig, mul]) ? [sig, mul] : undefined;
}

/**
 * Conv/FusedConv followed by ReLU, ReLU6/Clip, HardSwish, HardSigmoid, Sigmoid or SiLU (Sigmoid+Mul)
 * becomes one FusedConv whose epilogue applies the activation while the output is in registers.
 */
export const convActivationFusion: GraphPass = {
  name: 'conv-activation-fusion',
  run(g) {
    const ix = indexGraph(g);
    const replaced = new Map<Node, Node | null>();
    for (const conv of g.nodes) {
      if (conv.op !== 'Conv' && conv.op !== 'FusedConv') continue;
      if (conv.op === 'FusedConv' && conv.attrs.activation.kind !== 'none') continue;
      const y = conv.outputs[0]!;
      const readers = ix.consumers.get(y) ?? [];
      let act: Activation | undefined;
      let gone: Node[] = [];
      let out = '';
      const silu = siluAfter(ix, y);
      if (silu !== undefined) {
        act = { kind: 'silu', alpha: 0, beta: 0 };
        gone = silu;
        out = silu[1].outputs[0]!;
      } else if (readers.length === 1 && onlyReadBy(ix, y, readers)) {
        act = activationOf(g, readers[0]!);
        gone = [readers[0]!];
        out = readers[0]!.outputs[0]!;
      }
      if (act === undefined || gone.some((n) => replaced.has(n))) continue;
      const f = asFused(conv);
      replaced.set(conv, { ...f, outputs: [out], attrs: { ...f.attrs, activation: act } });
      for (const n of gone) replaced.set(n, null);
    }
    if (replaced.size === 0) return g;
    const nodes = applyReplacements(g.nodes, replaced);
    return { ...g, nodes };
  },
};
