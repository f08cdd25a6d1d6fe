/**
 * Intermediate values as graph outputs: a session compiled from the result returns them beside the
 * model's own outputs (which keep their places first). Fusion passes leave graph outputs alone, so
 * an exposed value survives them. Used to read a teacher's block outputs (feature distillation) and
 * per-channel statistics of convs (BatchNorm unfolding).
 */
import { fail } from '../errors.js';
import { inferShapes } from './infer.js';
import type { Graph, Model } from './ir.js';
import type { ValueType } from './ops/types.js';

/** Every value's type for a batch of one (the model's single input; only the batch dimension may be symbolic). */
export function batchOneTypes(model: Model): ReadonlyMap<string, ValueType> {
  const g = model.graph;
  const input = g.inputs.find((vi) => !g.initializers.has(vi.name));
  if (input === undefined) fail('INVALID_MODEL', `${model.metadata.name} has no input to infer shapes from`);
  const dims = input.shape.map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : fail('UNSUPPORTED', `input '${input.name}' of ${model.metadata.name} has a symbolic dimension '${d}' besides the batch`)));
  return inferShapes(g, new Map([[input.name, dims]])).types;
}

export function exposeValues(model: Model, names: readonly string[]): Model {
  const g: Graph = model.graph;
  const types = batchOneTypes(model);
  const have = new Set(g.outputs.map((o) => o.name));
  const added = [...new Set(names)].filter((n) => !have.has(n)).map((n) => {
    const t = types.get(n);
    if (t === undefined || !g.nodes.some((node) => node.outputs.includes(n))) fail('NOT_FOUND', `${model.metadata.name} has no value '${n}' computed by a node`);
    return { name: n, dtype: 'float32' as const, shape: ['batch', ...t.shape.slice(1)] };
  });
  return { ...model, graph: { ...g, outputs: [...g.outputs, ...added] } };
}
