import { floatTensor, sizeOf } from '../../graph/tensor.js';
import { floatIn, type RefKernel } from './types.js';

/** Inference BatchNormalization: y = (x - mean) / sqrt(var + eps) * scale + bias, per channel (axis 1). */
export const BatchNormalization: RefKernel<'BatchNormalization'> = (attrs, inputs) => {
  const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => floatIn(inputs, i)) as [ReturnType<typeof floatIn>, ReturnType<typeof floatIn>, ReturnType<typeof floatIn>, ReturnType<typeof floatIn>, ReturnType<typeof floatIn>];
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const inner = sizeOf(x.shape.slice(2));
  const y = floatTensor(x.shape);
  for (let ch = 0; ch < c; ch++) {
    const k = scale.data[ch]! / Math.sqrt(variance.data[ch]! + attrs.epsilon);
    const off = bias.data[ch]! - mean.data[ch]! * k;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) y.data[base + i] = x.data[base + i]! * k + off;
    }
  }
  return [y];
};

/** Softmax over `axis` (opset 13+), or over the flattened trailing block from `axis` (legacy, opset < 13). */
export const Softmax: RefKernel<'Softmax'> = (attrs, inputs) => {
  const x = floatIn(inputs, 0);
  const r = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = attrs.legacy ? sizeOf(x.shape.slice(axis)) : x.shape[axis]!;
  const inner = attrs.legacy ? 1 : sizeOf(x.shape.slice(axis + 1));
  const y = floatTensor(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, x.data[at(k)]!);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(x.data[at(k)]! - m);
      for (let k = 0; k < len; k++) y.data[at(k)] = Math.exp(x.data[at(k)]! - m) / s;
    }
  }
  return [y];
};
