/**
 * The training op interface: one forward and one backward per IR op, on flat f32 buffers.
 *
 * Layout. Shapes are always given in IR (ONNX) order, e.g. [N, C, H, W]. Rank-4 activations are
 * STORED channels-last (NHWC): element (n, c, h, w) of a tensor of shape [N, C, H, W] lives at
 * ((n·H + h)·W + w)·C + c. Every other rank (weights included) is stored row-major in IR order:
 * a Conv weight [Cout, Cin/g, kh, kw] is plain OIHW, a Gemm weight is as the IR says. Ops with axis
 * semantics (Slice, Pad, Concat, Flatten, Reshape, GlobalAveragePool → [N, C, 1, 1]) map axes
 * accordingly; a rank-4 → rank-2 Flatten/Reshape reorders NHWC into NCHW order, because that is what
 * the next Gemm's weights were trained on.
 *
 * Memory. The executor owns every buffer (outputs, saved extras, gradients): it allocates them
 * through its allocator before calling an op, so the memory it measures is exact. Ops never keep
 * references between calls and allocate nothing bigger than O(channels) themselves.
 *
 * Gradients ACCUMULATE: backward adds into every dInputs[i] it is given (the executor zero-fills a
 * gradient buffer when it creates it), which makes fan-out (residual branches) free of special cases.
 * dInputs[i] is undefined when no gradient is wanted for input i (data input, BN running stats, ...).
 */
import type { OpAttrs, OpType } from '../../graph/attrs.js';

export interface OpShapes {
  /** IR-order shapes of the node's inputs (undefined: optional input absent). */
  readonly inputs: readonly (readonly number[] | undefined)[];
  readonly outputs: readonly (readonly number[])[];
}

export interface ForwardArgs<O extends OpType> {
  readonly attrs: OpAttrs[O];
  readonly shapes: OpShapes;
  /**
   * Input buffers (constant inputs such as Reshape's shape arrive as f32 copies). f32 holds every
   * integer up to 2^24 exactly; larger int64 values (Slice's INT64_MAX "to the end") only need to stay
   * huge, so an executor may clamp them first (ops/layout.ts int64ToF32, constInts).
   */
  readonly inputs: readonly (Float32Array | undefined)[];
  /** Preallocated outputs, overwritten. */
  readonly outputs: readonly Float32Array[];
  /** Preallocated extras sized by savedSizes() (only when `save`), written by forward, read by backward. */
  readonly saved: readonly Float32Array[];
  /**
   * Training-mode semantics (BatchNormalization uses batch statistics). Independent of `save`:
   * a rematerialising executor runs training-mode forwards that keep nothing.
   */
  readonly training: boolean;
  /** Write the extras backward needs into `saved`. */
  readonly save: boolean;
  /**
   * Update running statistics (BatchNormalization's inputs 3 and 4, in place, with momentum).
   * True on the first forward of a step only, false when the executor recomputes a segment.
   */
  readonly updateStats: boolean;
  /**
   * Momentum of this update instead of the node's `momentum` attribute (statistics re-estimation:
   * k/(k+1) on the k-th batch, counting from 0, makes the running statistics the exact mean over batches).
   */
  readonly statsMomentum?: number;
}

export interface BackwardArgs<O extends OpType> {
  readonly attrs: OpAttrs[O];
  readonly shapes: OpShapes;
  /** Forward inputs; only those listed in `needs.inputs` are guaranteed present. */
  readonly inputs: readonly (Float32Array | undefined)[];
  /** Forward outputs; only those listed in `needs.outputs` are guaranteed present. */
  readonly outputs: readonly (Float32Array | undefined)[];
  readonly saved: readonly Float32Array[];
  /** Gradients of the outputs (undefined: the output does not reach the loss; treat as zero). */
  readonly dOutputs: readonly (Float32Array | undefined)[];
  /** Accumulated into (+=), except where `fresh` says otherwise. */
  readonly dInputs: readonly (Float32Array | undefined)[];
  /**
   * fresh[k]: dInputs[k] was allocated for this call and not zeroed; backward must write every
   * element of it (=, not +=). Only set where the op's `overwrites(k)` is true.
   */
  readonly fresh?: readonly boolean[];
}

export interface TrainOp<O extends OpType> {
  /** Which forward inputs / outputs backward reads (the executor keeps exactly these alive). */
  needs(attrs: OpAttrs[O], shapes: OpShapes): { readonly inputs: readonly boolean[]; readonly outputs: readonly boolean[] };
  /** f32 element counts of the extras forward saves for backward (e.g. BN batch mean and 1/std). */
  savedSizes(attrs: OpAttrs[O], shapes: OpShapes): readonly number[];
  forward(args: ForwardArgs<O>): void;
  backward(args: BackwardArgs<O>): void;
  /**
   * Elementwise ops only: forward stays correct when outputs[0] is the buffer of inputs[0], so the
   * executor may run it in place when the input dies there (saves one tensor of transient memory).
   */
  readonly forwardInPlace?: boolean;
  /**
   * Overwrites dOutputs[0] with the gradient of input 0 (as if dInputs[0] started at zero); the
   * executor uses it when that gradient buffer would otherwise be created just for this op.
   */
  backwardInPlace?(args: BackwardArgs<O>): void;
  /**
   * True when backward honours `fresh[k]` (writes all of dInputs[k] instead of adding to it): the
   * executor then skips zeroing that gradient buffer when this op is its only writer. Zeroing is a
   * full pass over memory (MobileNetV2-CIFAR: 925 MB per step at batch 64).
   */
  overwrites?(k: number): boolean;
}

/** An op of the IR the trainer can differentiate; ops absent from the registry are refused by name. */
export type TrainOps = { readonly [O in OpType]?: TrainOp<O> };
