import { assert } from '../../errors.js';
import type { OpType } from '../../graph/attrs.js';
import { broadcastStrides } from '../../graph/broadcast.js';
import { sizeOf, type Tensor } from '../../graph/tensor.js';
import type { RefKernel } from './types.js';

type BinaryOp = Extract<OpType, 'Add' | 'Sub' | 'Mul' | 'Div'>;

const FLOAT: Record<BinaryOp, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

const INT: Record<BinaryOp, (a: bigint, b: bigint) => bigint> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b, // truncates toward zero, as ORT's integer Div does
};

/** For each flat output index, the flat index into an operand broadcast to `outShape`. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const total = sizeOf(outShape);
  const idx = new Int32Array(total);
  if (sizeOf(shape) === total) {
    for (let i = 0; i < total; i++) idx[i] = i;
    return idx;
  }
  const str = broadcastStrides(shape, outShape);
  const r = outShape.length;
  const pos = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < total; i++) {
    idx[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      pos[d]!++;
      off += str[d]!;
      if (pos[d]! < outShape[d]!) break;
      off -= str[d]! * outShape[d]!;
      pos[d] = 0;
    }
  }
  return idx;
}

function binary(op: BinaryOp): RefKernel<BinaryOp> {
  return (_attrs, inputs, outTypes) => {
    const a = inputs[0];
    const b = inputs[1];
    assert(a !== undefined && b !== undefined, `${op} needs two inputs`);
    const shape = outTypes[0]!.shape;
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    const n = sizeOf(shape);
    let out: Tensor;
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      const f = FLOAT[op];
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
      out = { dtype: 'float32', shape: [...shape], data };
    } else if (a.dtype === 'int64' && b.dtype === 'int64') {
      const f = INT[op];
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
      out = { dtype: 'int64', shape: [...shape], data };
    } else {
      throw new Error(`internal error: ${op} on mixed types`);
    }
    return [out];
  };
}

export const Add = binary('Add');
export const Sub = binary('Sub');
export const Mul = binary('Mul');
export const Div = binary('Div');
