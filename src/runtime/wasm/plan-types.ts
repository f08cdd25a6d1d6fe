/**
 * A lowered plan: the steps the WebAssembly executor runs, over buffers in one linear memory.
 *
 * Memory layout (byte offsets into the WebAssembly.Memory):
 *   [0, RESERVED)            the kernel module's own data and stack
 *   [weightsBase, +weights)  packed constant weights and biases, written once per session
 *   [arenaBase, +peak)       every intermediate tensor, at offsets from the arena planner
 *   [scratchBase, ...)       one scratch block per thread (conv input panels)
 * 4-D tensors live in the arena as NHWC; other ranks as row-major in their ONNX order.
 */
export type KernelName =
  | 'conv2d' | 'f32_conv2d_4x8' | 'f32_conv2d_6x8' | 'conv2d_colnm' | 'dwconv2d' | 'dwconv2d_dr' | 'maxpool2d' | 'avgpool2d' | 'globalavgpool'
  | 'add' | 'mul_channel' | 'activation' | 'softmax_rows'
  // training kernels (src/kernels/wasm/train.ts)
  | 'conv2d_wgrad' | 'conv2d_acc' | 'dwconv2d_wgrad' | 'dwconv2d_dgrad' | 'channel_stats' | 'bn_backward_sums' | 'relu_backward' | 'conv2d_wgrad_gather' | 'bn_apply' | 'bn_backward_dx' | 'relu_backward_inplace' | 'dwconv2d_vs' | 'conv2d_colnm4';

/** A kernel argument before memory is laid out. */
export type Arg =
  | number
  /** Byte address of an arena value (+ a byte offset into it, for grouped convs). */
  | { readonly value: string; readonly offset?: number }
  /** Byte address of a packed constant in the weights region. */
  | { readonly weight: number }
  /** This thread's scratch block. */
  | { readonly scratch: true }
  /** The half-open range [lo, hi) this call covers (threads split it). */
  | { readonly range: 'lo' | 'hi' };

export interface KernelStep {
  readonly kind: 'kernel';
  readonly node: string;
  readonly op: string;
  readonly fn: KernelName;
  readonly args: readonly Arg[];
  /** Size of the split dimension and the granule threads split it by. */
  readonly total: number;
  readonly grain: number;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** Multiply-adds (or element operations) of the whole call: small calls stay on one thread. */
  readonly work?: number;
  /** Interchangeable implementations of this call (each with its own arguments), when the profiler may choose. */
  readonly alternatives?: readonly KernelAlternative[];
  /** Operator signature keying the tuning cache (shapes, strides, pattern, threads). */
  readonly signature?: string;
}

export interface KernelAlternative {
  readonly fn: KernelName;
  readonly args: readonly Arg[];
  readonly total: number;
  readonly grain: number;
}

/** Host-side work: layout conversion or an op without a WebAssembly kernel (reference kernel). */
export interface HostStep {
  readonly kind: 'host';
  readonly node: string;
  readonly op: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** Runs with views of memory; `addr(value)` is the byte address of an arena value. */
  run(mem: Float32Array, addr: (value: string) => number): void;
}

export type Step = KernelStep | HostStep;

export interface ValueSlot {
  readonly bytes: number;
  /** NHWC for 4-D tensors, row-major otherwise. */
  readonly shape: readonly number[];
  readonly nhwc: boolean;
}
