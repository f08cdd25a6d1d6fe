/**
 * Typed, readonly attributes of every op the IR knows. Defaults are applied at parse time,
 * so a kernel reads `attrs.strides` and never asks whether it was given.
 * Spatial attributes are 2-D (H, W): image models only.
 */

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface ConvAttrs {
  readonly group: number;
  /** [kh, kw]; taken from the weight when the file omits it. */
  readonly kernelShape: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** [top, left, bottom, right] as ONNX orders them (begins then ends). */
  readonly pads: readonly [number, number, number, number];
  readonly autoPad: AutoPad;
}

export interface PoolAttrs {
  readonly kernelShape: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly autoPad: AutoPad;
  readonly ceilMode: boolean;
  /** AveragePool only: count padded cells in the divisor. */
  readonly countIncludePad: boolean;
}

export interface BatchNormAttrs { readonly epsilon: number; readonly momentum: number }
export interface HardSigmoidAttrs { readonly alpha: number; readonly beta: number }
/** Clip's min/max come as optional inputs from opset 11 on. */
export type NoAttrs = Readonly<Record<string, never>>;
export interface AxisAttrs { readonly axis: number }
export interface GemmAttrs { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean }
export interface ReshapeAttrs { readonly allowZero: boolean }
/** opset < 13 Softmax flattens from `axis`; 13+ normalises along `axis` only. */
export interface SoftmaxAttrs { readonly axis: number; readonly legacy: boolean }
/** Axes as an attribute before opset 13, as an input from 13 on (then `axes` is undefined). */
export interface AxesAttrs { readonly axes?: readonly number[] }
export interface PadAttrs { readonly mode: 'constant' | 'reflect' | 'edge' }
export interface CastAttrs { readonly to: 'float32' | 'int64' }
export interface ShapeAttrs { readonly start: number; readonly end?: number }
export interface ConstantAttrs { readonly value: import('./tensor.js').Tensor }

/**
 * Activation fused into a producer's epilogue. Codes match the WASM kernels' `act` argument.
 * clip: [alpha, beta] = [min, max]; hardsigmoid: clip(alpha·x + beta, 0, 1).
 */
export type ActivationKind = 'none' | 'relu' | 'clip' | 'hardswish' | 'hardsigmoid' | 'sigmoid' | 'silu';
export const ACTIVATION_CODES: Readonly<Record<ActivationKind, number>> = { none: 0, relu: 1, clip: 2, hardswish: 3, hardsigmoid: 4, sigmoid: 5, silu: 6 };

export interface Activation {
  readonly kind: ActivationKind;
  readonly alpha: number;
  readonly beta: number;
}

export const NO_ACTIVATION: Activation = Object.freeze({ kind: 'none', alpha: 0, beta: 0 });

/**
 * sparsecnn's internal fused convolution (never in ONNX files): Conv, then + input 3 when
 * `residual`, then `activation`. Inputs: [x, w, b or '', residual?]. Made by graph/passes.
 */
export interface FusedConvAttrs extends ConvAttrs {
  readonly activation: Activation;
  readonly residual: boolean;
}

export interface OpAttrs {
  Conv: ConvAttrs;
  FusedConv: FusedConvAttrs;
  BatchNormalization: BatchNormAttrs;
  Relu: NoAttrs;
  Clip: NoAttrs;
  Sigmoid: NoAttrs;
  HardSigmoid: HardSigmoidAttrs;
  HardSwish: NoAttrs;
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  GlobalAveragePool: NoAttrs;
  AveragePool: PoolAttrs;
  MaxPool: PoolAttrs;
  Flatten: AxisAttrs;
  Reshape: ReshapeAttrs;
  Gemm: GemmAttrs;
  MatMul: NoAttrs;
  Concat: AxisAttrs;
  Softmax: SoftmaxAttrs;
  Identity: NoAttrs;
  Dropout: NoAttrs;
  Constant: ConstantAttrs;
  Shape: ShapeAttrs;
  Gather: AxisAttrs;
  Unsqueeze: AxesAttrs;
  Squeeze: AxesAttrs;
  Slice: NoAttrs;
  Pad: PadAttrs;
  Cast: CastAttrs;
}

export type OpType = keyof OpAttrs;

export const OP_TYPES: readonly OpType[] = [
  'Conv', 'FusedConv', 'BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish',
  'Add', 'Sub', 'Mul', 'Div', 'GlobalAveragePool', 'AveragePool', 'MaxPool', 'Flatten', 'Reshape',
  'Gemm', 'MatMul', 'Concat', 'Softmax', 'Identity', 'Dropout', 'Constant',
  'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Slice', 'Pad', 'Cast',
];

/** Ops that only graph passes create; an ONNX file naming one is refused at import. */
export const INTERNAL_OPS: ReadonlySet<OpType> = new Set<OpType>(['FusedConv']);

export function isOpType(s: string): s is OpType {
  return (OP_TYPES as readonly string[]).includes(s);
}

export const NO_ATTRS: NoAttrs = Object.freeze({});
