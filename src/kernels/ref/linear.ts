import { broadcastShapes, broadcastStrides } from '../../graph/broadcast.js';
import { floatTensor, sizeOf, stridesOf } from '../../graph/tensor.js';
import { floatIn, type RefKernel } from './types.js';

/** Y = alpha * op(A) op(B) + beta * C, with C broadcast to [M, N]. */
export const Gemm: RefKernel<'Gemm'> = (attrs, inputs, outTypes) => {
  const a = floatIn(inputs, 0);
  const b = floatIn(inputs, 1);
  const [m, n] = outTypes[0]!.shape as [number, number];
  const k = attrs.transA ? a.shape[0]! : a.shape[1]!;
  const aAt = (i: number, p: number) => (attrs.transA ? a.data[p * m + i]! : a.data[i * k + p]!);
  const bAt = (p: number, j: number) => (attrs.transB ? b.data[j * k + p]! : b.data[p * n + j]!);
  const y = floatTensor([m, n]);
  const c = inputs[2] === undefined ? undefined : floatIn(inputs, 2);
  const cs = c === undefined ? undefined : broadcastStrides(c.shape, [m, n]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += aAt(i, p) * bAt(p, j);
      s *= attrs.alpha;
      if (c !== undefined && cs !== undefined) s += attrs.beta * c.data[i * cs[0]! + j * cs[1]!]!;
      y.data[i * n + j] = s;
    }
  }
  return [y];
};

/** numpy matmul: 1-D operands are promoted, leading (batch) dimensions broadcast. */
export const MatMul: RefKernel<'MatMul'> = (_attrs, inputs, outTypes) => {
  const a = floatIn(inputs, 0);
  const b = floatIn(inputs, 1);
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const m = as[as.length - 2]!;
  const k = as[as.length - 1]!;
  const n = bs[bs.length - 1]!;
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2)) ?? [];
  const aStr = broadcastStrides(as.slice(0, -2), batch);
  const bStr = broadcastStrides(bs.slice(0, -2), batch);
  const bt = stridesOf(batch);
  const y = floatTensor(outTypes[0]!.shape);
  for (let q = 0; q < sizeOf(batch); q++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < batch.length; d++) {
      const idx = Math.floor(q / bt[d]!) % batch[d]!;
      ao += idx * aStr[d]!;
      bo += idx * bStr[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[ao * m * k + i * k + p]! * b.data[bo * k * n + p * n + j]!;
        y.data[(q * m + i) * n + j] = s;
      }
    }
  }
  return [y];
};
