/** The registry of op definitions: one entry per op, checked complete by the type. */
import type { OpType } from '../attrs.js';
import { Conv, FusedConv } from './conv.js';
import { Add, BatchNormalization, Clip, Div, Dropout, HardSigmoid, HardSwish, Identity, Mul, Relu, Sigmoid, Softmax, Sub } from './elementwise.js';
import { Gemm, MatMul } from './linear.js';
import { AveragePool, GlobalAveragePool, MaxPool } from './pool.js';
import { Cast, Concat, Constant, Flatten, Gather, Pad, Reshape, Shape, Slice, Squeeze, Unsqueeze } from './shape-ops.js';
import type { OpDef } from './types.js';

export type OpDefs = { readonly [O in OpType]: OpDef<O> };

export const OP_DEFS: OpDefs = {
  Conv, FusedConv, BatchNormalization, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Add, Sub, Mul, Div,
  GlobalAveragePool, AveragePool, MaxPool, Flatten, Reshape, Gemm, MatMul, Concat, Softmax,
  Identity, Dropout, Constant, Shape, Gather, Unsqueeze, Squeeze, Slice, Pad, Cast,
};

export * from './types.js';
