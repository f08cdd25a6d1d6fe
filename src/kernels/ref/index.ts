/** The reference backend's kernel registry: every op of the IR, checked complete by the type. */
import type { OpType } from '../../graph/attrs.js';
import { Clip, HardSigmoid, HardSwish, Relu, Sigmoid } from './activation.js';
import { Add, Div, Mul, Sub } from './binary.js';
import { Conv, FusedConv } from './conv.js';
import { Cast, Concat, Constant, Dropout, Flatten, Gather, Identity, Pad, Reshape, Shape, Slice, Squeeze, Unsqueeze } from './data-movement.js';
import { Gemm, MatMul } from './linear.js';
import { BatchNormalization, Softmax } from './normalization.js';
import { AveragePool, GlobalAveragePool, MaxPool } from './pool.js';
import type { RefKernel } from './types.js';

export type RefKernels = { readonly [O in OpType]: RefKernel<O> };

export const REF_KERNELS: RefKernels = {
  Conv, FusedConv, BatchNormalization, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Add, Sub, Mul, Div,
  GlobalAveragePool, AveragePool, MaxPool, Flatten, Reshape, Gemm, MatMul, Concat, Softmax,
  Identity, Dropout, Constant, Shape, Gather, Unsqueeze, Squeeze, Slice, Pad, Cast,
};

export { conv2d } from './conv.js';
export type { RefKernel } from './types.js';
