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

/** How 4-D tensors cross a session's boundary. */
export type TensorLayout = 'nchw' | 'nhwc';

export interface RunOptions {
  /**
   * Layout of the 4-D feeds and outputs (default 'nchw', ONNX's). 'nhwc' tensors have shape
   * [N, H, W, C]: the wasm engine's own layout, so it copies them in and out without a transpose
   * (reconstruction's calibration passes hold every value of the network this way; the transposes
   * were a third of its time). Other backends transpose.
   */
  readonly layout?: TensorLayout;
  /**
   * Output name → array the output is written into (its length must be the output's size) instead
   * of a new one; the returned tensor's data is that array. Reused across runs, it saves an
   * allocation, and the page faults of fresh memory, per output per run (ORT's preallocated outputs).
   */
  readonly into?: Readonly<Record<string, Float32Array>>;
}

/** Checks `into` against the outputs a session has. */
export function checkInto(opts: RunOptions | undefined, outputNames: readonly string[]): void {
  for (const name of Object.keys(opts?.into ?? {})) {
    if (!outputNames.includes(name)) fail('INVALID_ARGUMENT', `run: 'into' names '${name}', which is not an output (the outputs: ${outputNames.map((o) => `'${o}'`).join(', ')})`);
  }
}

/** The array an output of `size` values goes into: the caller's (length checked) or a new one. */
export function outputArray(opts: RunOptions | undefined, name: string, size: number): Float32Array {
  const a = opts?.into?.[name];
  if (a === undefined) return new Float32Array(size);
  if (a.length !== size) fail('SHAPE_MISMATCH', `run: 'into' for output '${name}' has ${a.length} values, the output has ${size}`);
  return a;
}

/** Checks a RunOptions layout. */
export function runLayout(opts: RunOptions | undefined): TensorLayout {
  const layout = opts?.layout ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') fail('INVALID_ARGUMENT', `run: layout must be 'nchw' or 'nhwc', got '${String(layout)}'`);
  return layout;
}
