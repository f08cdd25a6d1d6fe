/**
 * Pointwise activations. Layout does not matter (input and output are stored alike). Backward reads
 * the output wherever the derivative can be written in terms of it (Relu, Clip, Sigmoid, HardSigmoid),
 * so the executor can free the input; HardSwish needs its input.
 *
 * At a kink the derivative taken is that of the open interval: Relu passes the gradient where y > 0,
 * Clip where min < y < max, HardSigmoid where 0 < y < 1 (PyTorch does the same up to measure-zero ties).
 */
import type { OpAttrs, OpType } from '../../graph/attrs.js';
import { needsOnly, req } from './layout.js';
import type { TrainOp } from './types.js';

type Unary = Extract<OpType, 'Relu' | 'Sigmoid' | 'HardSigmoid' | 'HardSwish'>;

/** A one-input activation whose backward reads either the input or the output (`from`). */
function unary<O extends Unary>(
  op: O, from: 'input' | 'output',
  f: (x: number, attrs: OpAttrs[O]) => number,
  df: (v: number, attrs: OpAttrs[O]) => number,
): TrainOp<O> {
  return {
    needs: (_a, shapes) => (from === 'input' ? needsOnly(shapes, [0]) : needsOnly(shapes, [], [0])),
    savedSizes: () => [],
    forward({ attrs, inputs, outputs }) {
      const x = req(inputs, 0, op);
      const y = outputs[0]!;
      for (let i = 0; i < y.length; i++) y[i] = f(x[i]!, attrs);
    },
    backward({ attrs, inputs, outputs, dOutputs, dInputs }) {
      const dy = dOutputs[0];
      const dx = dInputs[0];
      if (dy === undefined || dx === undefined) return;
      const v = from === 'input' ? req(inputs, 0, op) : req(outputs, 0, op);
      for (let i = 0; i < dx.length; i++) dx[i]! += dy[i]! * df(v[i]!, attrs);
    },
  };
}

export const Relu: TrainOp<'Relu'> = {
  ...unary('Relu', 'output', (x) => (x > 0 ? x : 0), (y) => (y > 0 ? 1 : 0)),
  forwardInPlace: true,
  backwardInPlace({ outputs, dOutputs }) {
    const y = outputs[0]!, dy = dOutputs[0]!;
    for (let i = 0; i < dy.length; i++) if (!(y[i]! > 0)) dy[i] = 0;
  },
};

export const Sigmoid = unary('Sigmoid', 'output', (x) => 1 / (1 + Math.exp(-x)), (y) => y * (1 - y));

/** y = clip(alpha·x + beta, 0, 1); dy/dx = alpha where 0 < y < 1. */
export const HardSigmoid = unary('HardSigmoid', 'output', (x, a) => Math.max(0, Math.min(1, a.alpha * x + a.beta)), (y, a) => (y > 0 && y < 1 ? a.alpha : 0));

/** y = x · clip(x/6 + 1/2, 0, 1); dy/dx = 0 below -3, x/3 + 1/2 on [-3, 3], 1 above (PyTorch's convention at ±3). */
export const HardSwish = unary(
  'HardSwish', 'input',
  (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  (x) => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1),
);

/**
 * Clip(x, min, max) with min and max as optional scalar inputs 1 and 2 (the IR refuses the
 * opset < 11 attribute form). min/max are treated as constants: no gradient is produced for them.
 */
export const Clip: TrainOp<'Clip'> = {
  needs: (_a, shapes) => needsOnly(shapes, [1, 2].filter((i) => shapes.inputs[i] !== undefined), [0]),
  savedSizes: () => [],
  forward({ inputs, outputs }) {
    const x = req(inputs, 0, 'Clip');
    const [lo, hi] = bounds(inputs);
    const y = outputs[0]!;
    for (let i = 0; i < y.length; i++) y[i] = Math.min(hi, Math.max(lo, x[i]!));
  },
  backward({ inputs, outputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    const y = req(outputs, 0, 'Clip');
    const [lo, hi] = bounds(inputs);
    for (let i = 0; i < dx.length; i++) if (y[i]! > lo && y[i]! < hi) dx[i]! += dy[i]!;
  },
};

function bounds(inputs: readonly (Float32Array | undefined)[]): [number, number] {
  const lo = inputs[1] === undefined || inputs[1].length === 0 ? -Infinity : inputs[1][0]!;
  const hi = inputs[2] === undefined || inputs[2].length === 0 ? Infinity : inputs[2][0]!;
  return [lo, hi];
}
