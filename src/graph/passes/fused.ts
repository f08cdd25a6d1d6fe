import { NO_ACTIVATION } from '../attrs.js';
import type { Node, NodeOf } from '../ir.js';

/** A Conv as the equivalent FusedConv (no residual, no activation); a FusedConv unchanged. */
export function asFused(n: NodeOf<'Conv'> | NodeOf<'FusedConv'>): NodeOf<'FusedConv'> {
  if (n.op === 'FusedConv') return n;
  return { name: n.name, op: 'FusedConv', inputs: n.inputs, outputs: n.outputs, attrs: { ...n.attrs, activation: NO_ACTIVATION, residual: false } } satisfies Node;
}
