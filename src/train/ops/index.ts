/**
 * The reference training ops: plain TypeScript, readable, float64 sums. Layout and memory rules are
 * those of types.ts (rank-4 activations NHWC, gradients accumulate, the executor owns buffers).
 *
 * Notes for an executor:
 *  - Constant int inputs (Slice starts/ends/axes/steps, Pad pads/axes, Reshape shape) are passed
 *    like any input, as f32 copies; make them with int64ToF32 (clamps INT64_MAX-style sentinels).
 *    Slice and Pad list them in `needs` (their backward reads them); they never get gradients.
 *  - BatchNormalization writes its running statistics (inputs 3, 4) in place when training and
 *    updateStats; its saved extras record whether batch or running statistics were used.
 *  - Dropout is the identity in training mode too.
 *  - Ops absent here (FusedConv, Softmax, Gather, Shape, Cast, ...) are not differentiable by this
 *    registry; shape subgraphs should be folded to constants before training.
 */
import { Clip, HardSigmoid, HardSwish, Relu, Sigmoid } from './activation.js';
import { BatchNormalization } from './batchnorm.js';
import { Add, Div, Mul, Sub } from './binary.js';
import { Conv } from './conv.js';
import { Gemm, MatMul } from './linear.js';
import { AveragePool, GlobalAveragePool, MaxPool } from './pool.js';
import { Concat, Dropout, Flatten, Identity, Pad, Reshape, Slice } from './shape.js';
import type { TrainOps } from './types.js';

export const REF_TRAIN_OPS: TrainOps = {
  Conv, BatchNormalization, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Add, Sub, Mul, Div,
  GlobalAveragePool, AveragePool, MaxPool, Flatten, Reshape, Gemm, MatMul, Concat, Slice, Pad,
  Identity, Dropout,
};

export { softmaxCrossEntropy, type LossResult } from './loss.js';
export { constInts, int64ToF32, storageStrides } from './layout.js';
export type * from './types.js';
