/**
 * Data movement: Flatten, Reshape, Concat, Slice, Pad, Identity, Dropout. Axes are IR axes; rank-4
 * tensors are NHWC-stored, so e.g. Concat on axis 1 interleaves channels and a rank-4 → rank-2
 * Flatten/Reshape reorders NHWC into NCHW order (types.ts). None of these needs a forward input or
 * output in backward; Slice and Pad need their constant int inputs (index bounds, pads).
 *
 * Constant int inputs (Slice's starts/ends/axes/steps, Pad's pads/axes, Reshape's shape) arrive as
 * f32 copies (types.ts) and are decoded by layout.ts constInts; Reshape and Flatten never read
 * theirs because the output shape is in `shapes`.
 */
import type { OpType } from '../../graph/attrs.js';
import { fullPads, sliceSpec } from '../../graph/ops/shape-ops.js';
import { sizeOf } from '../../graph/tensor.js';
import { constInts, forEachMappedRun, isRowMajorStorage, needsNothing, needsOnly, req, shapeOf, StorageCursor } from './layout.js';
import type { OpShapes, TrainOp } from './types.js';

/** Same elements in IR row-major order, moved between the storage layouts of two shapes. */
function relayout(inShape: readonly number[], outShape: readonly number[], f: (inOff: number, outOff: number) => void): void {
  const total = sizeOf(inShape);
  if (isRowMajorStorage(inShape) && isRowMajorStorage(outShape)) {
    for (let i = 0; i < total; i++) f(i, i);
    return;
  }
  const src = new StorageCursor(inShape);
  const dst = new StorageCursor(outShape);
  for (let i = 0; i < total; i++) {
    f(src.offset, dst.offset);
    src.next();
    dst.next();
  }
}

type ReshapeLike = Extract<OpType, 'Flatten' | 'Reshape'>;

function reshapeLike<O extends ReshapeLike>(op: O): TrainOp<O> {
  return {
    needs: (_a, shapes) => needsNothing(shapes),
    savedSizes: () => [],
    forward({ shapes, inputs, outputs }) {
      const x = req(inputs, 0, op);
      const y = outputs[0]!;
      relayout(shapeOf(shapes, 0, op), shapes.outputs[0]!, (i, o) => { y[o] = x[i]!; });
    },
    backward({ shapes, dOutputs, dInputs }) {
      const dy = dOutputs[0];
      const dx = dInputs[0];
      if (dy === undefined || dx === undefined) return;
      relayout(shapeOf(shapes, 0, op), shapes.outputs[0]!, (i, o) => { dx[i]! += dy[o]!; });
    },
  };
}

export const Flatten = reshapeLike('Flatten');
export const Reshape = reshapeLike('Reshape');

type PassThrough = Extract<OpType, 'Identity' | 'Dropout'>;

function passThrough<O extends PassThrough>(op: O): TrainOp<O> {
  return {
    needs: (_a, shapes) => needsNothing(shapes),
    savedSizes: () => [],
    forward({ inputs, outputs }) {
      outputs[0]!.set(req(inputs, 0, op));
    },
    backward({ dOutputs, dInputs }) {
      const dy = dOutputs[0];
      const dx = dInputs[0];
      if (dy === undefined || dx === undefined) return;
      for (let i = 0; i < dx.length; i++) dx[i]! += dy[i]!;
    },
  };
}

export const Identity = passThrough('Identity');
/**
 * Dropout is the identity, in training mode too: the IR keeps no ratio attribute and the models it
 * comes from (exported for inference) carry no training_mode, so the trainer does not drop. Inputs
 * 1 and 2 (ratio, training_mode) are ignored.
 */
export const Dropout = passThrough('Dropout');

function concatMaps(shapes: OpShapes, axis: number, k: number): Int32Array[] {
  let offset = 0;
  for (let j = 0; j < k; j++) offset += shapeOf(shapes, j, 'Concat')[axis]!;
  return shapeOf(shapes, k, 'Concat').map((d, a) => Int32Array.from({ length: d }, (_, i) => (a === axis ? offset + i : i)));
}

export const Concat: TrainOp<'Concat'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  savedSizes: () => [],
  forward({ attrs, shapes, inputs, outputs }) {
    const y = outputs[0]!;
    const os = shapes.outputs[0]!;
    const axis = attrs.axis < 0 ? attrs.axis + os.length : attrs.axis;
    for (let k = 0; k < shapes.inputs.length; k++) {
      const x = req(inputs, k, 'Concat');
      forEachMappedRun(shapeOf(shapes, k, 'Concat'), os, concatMaps(shapes, axis, k), (i, o, n) => { y.set(x.subarray(i, i + n), o); });
    }
  },
  backward({ attrs, shapes, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    const os = shapes.outputs[0]!;
    const axis = attrs.axis < 0 ? attrs.axis + os.length : attrs.axis;
    for (let k = 0; k < shapes.inputs.length; k++) {
      const dx = dInputs[k];
      if (dx === undefined) continue;
      forEachMappedRun(shapeOf(shapes, k, 'Concat'), os, concatMaps(shapes, axis, k), (i, o, n) => { for (let j = 0; j < n; j++) dx[i + j]! += dy[o + j]!; });
    }
  },
};

/** Per output axis: the input index each output index reads. */
function sliceMaps(shapes: OpShapes, inputs: readonly (Float32Array | undefined)[]): Int32Array[] {
  const xs = shapeOf(shapes, 0, 'Slice');
  const opt = (i: number, what: string) => (inputs[i] === undefined ? undefined : constInts(inputs[i], 'Slice', what));
  const spec = sliceSpec(xs, constInts(inputs[1], 'Slice', 'starts'), constInts(inputs[2], 'Slice', 'ends'), opt(3, 'axes'), opt(4, 'steps'), 'Slice');
  return spec.outShape.map((d, a) => Int32Array.from({ length: d }, (_, i) => spec.starts[a]! + i * spec.steps[a]!));
}

/** Slice with starts, ends and the optional axes and steps as constant inputs 1..4 (any sign of step). */
export const Slice: TrainOp<'Slice'> = {
  needs: (_a, shapes) => needsOnly(shapes, [1, 2, 3, 4].filter((i) => shapes.inputs[i] !== undefined)),
  savedSizes: () => [],
  forward({ shapes, inputs, outputs }) {
    const x = req(inputs, 0, 'Slice');
    const y = outputs[0]!;
    forEachMappedRun(shapes.outputs[0]!, shapeOf(shapes, 0, 'Slice'), sliceMaps(shapes, inputs), (o, i, n) => { for (let j = 0; j < n; j++) y[o + j] = x[i + j]!; });
  },
  backward({ shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    forEachMappedRun(shapes.outputs[0]!, shapeOf(shapes, 0, 'Slice'), sliceMaps(shapes, inputs), (o, i, n) => { for (let j = 0; j < n; j++) dx[i + j]! += dy[o + j]!; });
  },
};

/** Per output axis: the input index each output index reads, -1 for a constant-padded one. */
function padMaps(attrs: { mode: 'constant' | 'reflect' | 'edge' }, shapes: OpShapes, inputs: readonly (Float32Array | undefined)[]): Int32Array[] {
  const xs = shapeOf(shapes, 0, 'Pad');
  const r = xs.length;
  const pads = fullPads(r, constInts(inputs[1], 'Pad', 'pads'), inputs[3] === undefined ? undefined : constInts(inputs[3], 'Pad', 'axes'), 'Pad');
  return shapes.outputs[0]!.map((d, a) => {
    const n = xs[a]!;
    return Int32Array.from({ length: d }, (_, o) => {
      let i = o - pads[a]!;
      if (i >= 0 && i < n) return i;
      if (attrs.mode === 'constant') return -1;
      if (attrs.mode === 'edge') return i < 0 ? 0 : n - 1;
      // reflect without repeating the edge: -1 → 1, n → n-2 (as kernels/ref)
      const period = 2 * (n - 1);
      i = period === 0 ? 0 : ((i % period) + period) % period;
      return i >= n ? period - i : i;
    });
  });
}

/**
 * Pad (pads, optional constant value, optional axes as inputs 1..3), all three modes; negative
 * pads crop. No gradient for the constant value. Backward needs pads (and axes when given).
 */
export const Pad: TrainOp<'Pad'> = {
  needs: (_a, shapes) => needsOnly(shapes, [1, 3].filter((i) => shapes.inputs[i] !== undefined)),
  savedSizes: () => [],
  forward({ attrs, shapes, inputs, outputs }) {
    const x = req(inputs, 0, 'Pad');
    const y = outputs[0]!;
    const cv = inputs[2] !== undefined && inputs[2].length > 0 ? inputs[2][0]! : 0;
    forEachMappedRun(shapes.outputs[0]!, shapeOf(shapes, 0, 'Pad'), padMaps(attrs, shapes, inputs), (o, i, n) => {
      if (i < 0) y.fill(cv, o, o + n);
      else for (let j = 0; j < n; j++) y[o + j] = x[i + j]!;
    });
  },
  backward({ attrs, shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    forEachMappedRun(shapes.outputs[0]!, shapeOf(shapes, 0, 'Pad'), padMaps(attrs, shapes, inputs), (o, i, n) => {
      if (i >= 0) for (let j = 0; j < n; j++) dx[i + j]! += dy[o + j]!;
    });
  },
};
