/** Ops that only move, reinterpret or create data (no arithmetic on floats). */
import { assert } from '../../errors.js';
import { fullPads, reshapeTarget, shapeRange, sliceSpec, squeezeShape, unsqueezeShape } from '../../graph/ops/shape-ops.js';
import { intValues, sizeOf, stridesOf, type Tensor } from '../../graph/tensor.js';
import type { RefKernel } from './types.js';

function input(inputs: readonly (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  assert(t !== undefined, `input ${i} is required`);
  return t;
}

/** Same data, new shape (data is shared: tensors are never mutated after creation). */
function view(t: Tensor, shape: readonly number[]): Tensor {
  return t.dtype === 'float32' ? { dtype: 'float32', shape: [...shape], data: t.data } : { dtype: 'int64', shape: [...shape], data: t.data };
}

function emptyLike(t: Tensor, shape: readonly number[]): Tensor {
  const n = sizeOf(shape);
  return t.dtype === 'float32' ? { dtype: 'float32', shape: [...shape], data: new Float32Array(n) } : { dtype: 'int64', shape: [...shape], data: new BigInt64Array(n) };
}

/** Copies element `from` of `src` to element `to` of `dst` (same dtype). */
function copyAt(dst: Tensor, to: number, src: Tensor, from: number): void {
  if (dst.dtype === 'float32' && src.dtype === 'float32') dst.data[to] = src.data[from]!;
  else if (dst.dtype === 'int64' && src.dtype === 'int64') dst.data[to] = src.data[from]!;
}

/** Visits every multi-index of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], f: (pos: readonly number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(pos, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
}

const passThrough: RefKernel<'Identity' | 'Dropout'> = (_a, inputs) => [input(inputs, 0)];
export const Identity: RefKernel<'Identity'> = passThrough;
export const Dropout: RefKernel<'Dropout'> = passThrough;

export const Flatten: RefKernel<'Flatten'> = (_a, inputs, out) => [view(input(inputs, 0), out[0]!.shape)];
export const Reshape: RefKernel<'Reshape'> = (a, inputs) => {
  const x = input(inputs, 0);
  return [view(x, reshapeTarget(x.shape, intValues(input(inputs, 1)), a.allowZero, 'Reshape'))];
};
export const Unsqueeze: RefKernel<'Unsqueeze'> = (a, inputs) => {
  const x = input(inputs, 0);
  return [view(x, unsqueezeShape(x.shape, a.axes ?? intValues(input(inputs, 1)), 'Unsqueeze'))];
};
export const Squeeze: RefKernel<'Squeeze'> = (a, inputs) => {
  const x = input(inputs, 0);
  const axes = a.axes ?? (inputs[1] === undefined ? undefined : intValues(inputs[1]));
  return [view(x, squeezeShape(x.shape, axes, 'Squeeze'))];
};

export const Constant: RefKernel<'Constant'> = (a) => [a.value];

export const Shape: RefKernel<'Shape'> = (a, inputs) => {
  const x = input(inputs, 0);
  const [s, e] = shapeRange(x.shape.length, a.start, a.end);
  const dims = x.shape.slice(s, e);
  return [{ dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) }];
};

export const Cast: RefKernel<'Cast'> = (a, inputs) => {
  const x = input(inputs, 0);
  if (a.to === x.dtype) return [x];
  if (a.to === 'int64') return [{ dtype: 'int64', shape: [...x.shape], data: BigInt64Array.from(intValues(x), (v) => BigInt(v)) }];
  return [{ dtype: 'float32', shape: [...x.shape], data: Float32Array.from(intValues(x)) }];
};

export const Concat: RefKernel<'Concat'> = (a, inputs, out) => {
  const shape = out[0]!.shape;
  const first = input(inputs, 0);
  const y = emptyLike(first, shape);
  const axis = a.axis < 0 ? a.axis + shape.length : a.axis;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  let offset = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t = input(inputs, i);
    const len = t.shape[axis]!;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < len * inner; k++) copyAt(y, (o * shape[axis]! + offset) * inner + k, t, o * len * inner + k);
    }
    offset += len;
  }
  return [y];
};

export const Gather: RefKernel<'Gather'> = (a, inputs, out) => {
  const data = input(inputs, 0);
  const indices = intValues(input(inputs, 1));
  const axis = a.axis < 0 ? a.axis + data.shape.length : a.axis;
  const d = data.shape[axis]!;
  const outer = sizeOf(data.shape.slice(0, axis));
  const inner = sizeOf(data.shape.slice(axis + 1));
  const y = emptyLike(data, out[0]!.shape);
  indices.forEach((raw, j) => {
    const idx = raw < 0 ? raw + d : raw;
    if (idx < 0 || idx >= d) throw new RangeError(`Gather index ${raw} is out of range for axis of size ${d}`);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) copyAt(y, (o * indices.length + j) * inner + k, data, (o * d + idx) * inner + k);
    }
  });
  return [y];
};

export const Slice: RefKernel<'Slice'> = (_a, inputs) => {
  const x = input(inputs, 0);
  const opt = (i: number) => (inputs[i] === undefined ? undefined : intValues(inputs[i]!));
  const spec = sliceSpec(x.shape, intValues(input(inputs, 1)), intValues(input(inputs, 2)), opt(3), opt(4), 'Slice');
  const y = emptyLike(x, spec.outShape);
  const xs = stridesOf(x.shape);
  forEachIndex(spec.outShape, (pos, flat) => {
    let src = 0;
    for (let d = 0; d < pos.length; d++) src += (spec.starts[d]! + pos[d]! * spec.steps[d]!) * xs[d]!;
    copyAt(y, flat, x, src);
  });
  return [y];
};

export const Pad: RefKernel<'Pad'> = (a, inputs, out) => {
  const x = input(inputs, 0);
  const r = x.shape.length;
  const pads = fullPads(r, intValues(input(inputs, 1)), inputs[3] === undefined ? undefined : intValues(inputs[3]), 'Pad');
  const shape = out[0]!.shape;
  const y = emptyLike(x, shape);
  const cv = inputs[2];
  if (cv !== undefined && cv.data.length > 0) {
    if (y.dtype === 'float32' && cv.dtype === 'float32') y.data.fill(cv.data[0]!);
    else if (y.dtype === 'int64' && cv.dtype === 'int64') y.data.fill(cv.data[0]!);
  }
  const xs = stridesOf(x.shape);
  forEachIndex(shape, (pos, flat) => {
    let src = 0;
    for (let d = 0; d < r; d++) {
      let i = pos[d]! - pads[d]!;
      const n = x.shape[d]!;
      if (i < 0 || i >= n) {
        if (a.mode === 'constant') return;
        if (a.mode === 'edge') i = i < 0 ? 0 : n - 1;
        else {
          // reflect without repeating the edge: -1 -> 1, n -> n-2
          const period = 2 * (n - 1);
          i = period === 0 ? 0 : ((i % period) + period) % period;
          if (i >= n) i = period - i;
        }
      }
      src += i * xs[d]!;
    }
    copyAt(y, flat, x, src);
  });
  return [y];
};
