/**
 * The executor's view of the kernel library: a name-indexed caller (so a job can cross to a worker
 * as numbers), the packing functions, and the memory the module reserves for itself.
 */
import { convColNmScratchBytes, convScratchBytes, dwDrScratchBytes, instantiateKernels, RESERVED_BYTES, type WasmKernels } from '../../kernels/wasm/index.js';
import { MR, NR, packBias, packColNmWeights, packConvWeights, packDepthwiseDr, packDepthwiseVs, packDepthwiseWeights, packGemmWeights } from '../../kernels/wasm/packing.js';
import type { Packing } from './lower.js';
import type { KernelName } from './plan-types.js';

export const KERNEL_NAMES: readonly KernelName[] = ['conv2d', 'f32_conv2d_4x8', 'f32_conv2d_6x8', 'conv2d_colnm', 'dwconv2d', 'dwconv2d_dr', 'maxpool2d', 'avgpool2d', 'globalavgpool', 'add', 'mul_channel', 'activation', 'softmax_rows',
  // training kernels (src/kernels/wasm/train.ts), appended so the indices above stay
  'conv2d_wgrad', 'conv2d_acc', 'dwconv2d_wgrad', 'dwconv2d_dgrad', 'channel_stats', 'bn_backward_sums', 'relu_backward', 'conv2d_wgrad_gather', 'bn_apply', 'bn_backward_dx', 'relu_backward_inplace', 'dwconv2d_vs',
  'conv2d_colnm4'];
export const KERNEL_INDEX: ReadonlyMap<KernelName, number> = new Map(KERNEL_NAMES.map((k, i) => [k, i]));

export type KernelCaller = (fn: KernelName, args: readonly number[]) => void;

export const PACKING: Packing = { MR, NR, packConvWeights, packDepthwiseWeights, packGemmWeights, packBias, convScratchBytes, packColNmWeights, packDepthwiseDr, packDepthwiseVs, convColNmScratchBytes, dwDrScratchBytes };
export { RESERVED_BYTES };

export async function loadKernels(memory: WebAssembly.Memory, opts: { relaxed: boolean; shared: boolean }): Promise<{ call: KernelCaller; kernels: WasmKernels }> {
  const kernels = await instantiateKernels(memory, opts);
  // Every kernel takes only numbers (pointers are byte offsets); the ABI is checked by the kernel tests.
  const table = new Map<KernelName, (...a: number[]) => void>(KERNEL_NAMES.map((k): [KernelName, (...a: number[]) => void] => [k, kernels[k]]));
  return {
    kernels,
    call: (fn, args) => table.get(fn)!(...args),
  };
}
