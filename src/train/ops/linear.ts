/**
 * Gemm and 2-D MatMul (operands are rank 2, so stored row-major in IR order).
 *
 *     Y[M, N] = alpha · op(A) · op(B) + beta · C,   op(A) = Aᵀ when transA (A stored [K, M]), likewise B,
 *     dop(A) = alpha · dY · op(B)ᵀ,   dop(B) = alpha · op(A)ᵀ · dY,   dC = beta · dY summed over C's broadcast axes.
 *
 * Backward reads A and B (not C). Dot products are float64.
 */
import { fail } from '../../errors.js';
import type { GemmAttrs } from '../../graph/attrs.js';
import { broadcastStrides } from '../../graph/broadcast.js';
import { needsOnly, req, shapeOf, sumOverBroadcast } from './layout.js';
import type { BackwardArgs, ForwardArgs, OpShapes, TrainOp } from './types.js';

interface Dims { m: number; k: number; n: number }

function dims(attrs: GemmAttrs, shapes: OpShapes, op: string): Dims {
  const a = shapeOf(shapes, 0, op);
  const b = shapeOf(shapes, 1, op);
  if (a.length !== 2 || b.length !== 2) fail('UNSUPPORTED', `${op}: training supports 2-D operands only, got [${a.join(',')}] and [${b.join(',')}]`);
  const [m, k] = attrs.transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const n = attrs.transB ? b[0]! : b[1]!;
  return { m, k, n };
}

function gemmForward(attrs: GemmAttrs, shapes: OpShapes, inputs: readonly (Float32Array | undefined)[], y: Float32Array, op: string): void {
  const a = req(inputs, 0, op);
  const b = req(inputs, 1, op);
  const { m, k, n } = dims(attrs, shapes, op);
  // Element strides of op(A)[i, p] and op(B)[p, j].
  const [ai, ap] = attrs.transA ? [1, m] : [k, 1];
  const [bp, bj] = attrs.transB ? [1, k] : [n, 1];
  const c = inputs[2];
  const cs = c === undefined ? undefined : broadcastStrides(shapeOf(shapes, 2, op), [m, n]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * ai + p * ap]! * b[p * bp + j * bj]!;
      s *= attrs.alpha;
      if (c !== undefined && cs !== undefined) s += attrs.beta * c[i * cs[0]! + j * cs[1]!]!;
      y[i * n + j] = s;
    }
  }
}

function gemmBackward(attrs: GemmAttrs, shapes: OpShapes, inputs: readonly (Float32Array | undefined)[], dy: Float32Array, dInputs: BackwardArgs<'Gemm'>['dInputs'], op: string): void {
  const { m, k, n } = dims(attrs, shapes, op);
  const [ai, ap] = attrs.transA ? [1, m] : [k, 1];
  const [bp, bj] = attrs.transB ? [1, k] : [n, 1];
  const [da, db, dc] = dInputs;
  if (da !== undefined) {
    const b = req(inputs, 1, op);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += dy[i * n + j]! * b[p * bp + j * bj]!;
        da[i * ai + p * ap]! += attrs.alpha * s;
      }
    }
  }
  if (db !== undefined) {
    const a = req(inputs, 0, op);
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += a[i * ai + p * ap]! * dy[i * n + j]!;
        db[p * bp + j * bj]! += attrs.alpha * s;
      }
    }
  }
  if (dc !== undefined && shapes.inputs[2] !== undefined) sumOverBroadcast([m, n], shapeOf(shapes, 2, op), undefined, dc, attrs.beta, (o) => dy[o]!);
}

export const Gemm: TrainOp<'Gemm'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: () => [],
  forward: ({ attrs, shapes, inputs, outputs }: ForwardArgs<'Gemm'>) => gemmForward(attrs, shapes, inputs, outputs[0]!, 'Gemm'),
  backward({ attrs, shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy !== undefined) gemmBackward(attrs, shapes, inputs, dy, dInputs, 'Gemm');
  },
};

const PLAIN: GemmAttrs = { alpha: 1, beta: 0, transA: false, transB: false };

/** MatMul of two rank-2 operands (batched / 1-D MatMul is refused by name). */
export const MatMul: TrainOp<'MatMul'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: () => [],
  forward: ({ shapes, inputs, outputs }) => gemmForward(PLAIN, shapes, inputs, outputs[0]!, 'MatMul'),
  backward({ shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy !== undefined) gemmBackward(PLAIN, shapes, inputs, dy, dInputs, 'MatMul');
  },
};
