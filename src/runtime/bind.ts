/** Checks user inputs against the graph's declared inputs before any kernel runs. */
import { fail } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { shapeString, type Tensor } from '../graph/tensor.js';

/** The graph inputs the user must feed (initializers listed as inputs are not among them). */
export function feedInputs(graph: Graph) {
  return graph.inputs.filter((i) => !graph.initializers.has(i.name));
}

/** Concrete input shapes, or a clear error naming the input, the expected and the given shape. */
export function bindInputs(graph: Graph, feeds: Readonly<Record<string, Tensor>>): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  const symbols = new Map<string, number>();
  const expected = feedInputs(graph);
  for (const name of Object.keys(feeds)) {
    if (!expected.some((i) => i.name === name)) fail('SHAPE_MISMATCH', `unknown input '${name}' (the model's inputs: ${expected.map((i) => `'${i.name}'`).join(', ')})`);
  }
  for (const vi of expected) {
    const t = feeds[vi.name];
    if (t === undefined) fail('SHAPE_MISMATCH', `input '${vi.name}' ${shapeString(vi.shape)} is missing`);
    if (t.dtype !== vi.dtype) fail('SHAPE_MISMATCH', `input '${vi.name}' must be ${vi.dtype}, got ${t.dtype}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) fail('SHAPE_MISMATCH', `input '${vi.name}' has ${t.data.length} values but shape ${shapeString(t.shape)} needs ${n}`);
    const bad = () => fail('SHAPE_MISMATCH', `input '${vi.name}' expects shape ${shapeString(vi.shape)}, got ${shapeString(t.shape)}`);
    if (t.shape.length !== vi.shape.length) bad();
    vi.shape.forEach((d, i) => {
      const got = t.shape[i]!;
      if (!Number.isInteger(got) || got < 1) bad();
      if (typeof d === 'number') {
        if (d > 0 && d !== got) bad();
      } else {
        const prev = symbols.get(d);
        if (prev !== undefined && prev !== got) fail('SHAPE_MISMATCH', `dimension '${d}' is ${prev} in one input and ${got} in '${vi.name}'`);
        symbols.set(d, got);
      }
    });
    shapes.set(vi.name, t.shape);
  }
  return shapes;
}
