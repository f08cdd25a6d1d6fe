import type { OpAttrs, OpType } from '../../graph/attrs.js';
import type { ValueType } from '../../graph/ops/types.js';
import type { FloatTensor, Tensor } from '../../graph/tensor.js';
import { assert } from '../../errors.js';

/**
 * A reference kernel: readable, allocation-happy, accumulating in float64 so it is a better
 * oracle than any fast kernel it checks. Output types come from shape inference.
 */
export type RefKernel<O extends OpType> = (attrs: OpAttrs[O], inputs: readonly (Tensor | undefined)[], outTypes: readonly ValueType[]) => Tensor[];

export function floatIn(inputs: readonly (Tensor | undefined)[], i: number): FloatTensor {
  const t = inputs[i];
  assert(t !== undefined && t.dtype === 'float32', `input ${i} must be a float32 tensor`);
  return t;
}
