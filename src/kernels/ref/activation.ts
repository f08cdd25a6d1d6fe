/**
 * Pointwise activations. Composites stay compositions of the primitives' formulas:
 * ReLU6 is Clip(0, 6); SiLU is x * Sigmoid(x) (two graph nodes); HardSwish is x * HardSigmoid(x; 1/6, 1/2).
 */
import type { Activation } from '../../graph/attrs.js';
import { floatTensor, type FloatTensor } from '../../graph/tensor.js';
import { floatIn, type RefKernel } from './types.js';

function map(x: FloatTensor, f: (v: number) => number): FloatTensor {
  const y = floatTensor(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = f(x.data[i]!);
  return y;
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
export const hardSigmoid = (v: number, alpha: number, beta: number): number => Math.max(0, Math.min(1, alpha * v + beta));

/** One activation of a fused epilogue (graph/attrs.ts Activation). */
export function activate(v: number, a: Activation): number {
  switch (a.kind) {
    case 'none': return v;
    case 'relu': return v > 0 ? v : 0;
    case 'clip': return Math.min(a.beta, Math.max(a.alpha, v));
    case 'hardswish': return v * hardSigmoid(v, 1 / 6, 0.5);
    case 'hardsigmoid': return hardSigmoid(v, a.alpha, a.beta);
    case 'sigmoid': return sigmoid(v);
    case 'silu': return v * sigmoid(v);
  }
}

export const Relu: RefKernel<'Relu'> = (_a, inputs) => [map(floatIn(inputs, 0), (v) => (v > 0 ? v : 0))];
export const Sigmoid: RefKernel<'Sigmoid'> = (_a, inputs) => [map(floatIn(inputs, 0), sigmoid)];
export const HardSigmoid: RefKernel<'HardSigmoid'> = (a, inputs) => [map(floatIn(inputs, 0), (v) => hardSigmoid(v, a.alpha, a.beta))];
export const HardSwish: RefKernel<'HardSwish'> = (_a, inputs) => [map(floatIn(inputs, 0), (v) => v * hardSigmoid(v, 1 / 6, 0.5))];

export const Clip: RefKernel<'Clip'> = (_a, inputs) => {
  const lo = inputs[1] === undefined ? -Infinity : floatIn(inputs, 1).data[0]!;
  const hi = inputs[2] === undefined ? Infinity : floatIn(inputs, 2).data[0]!;
  return [map(floatIn(inputs, 0), (v) => Math.min(hi, Math.max(lo, v)))];
};
