/**
 * The fast training ops: the reference registry with the compute-heavy ops (Conv forward and both
 * gradients, depthwise included, and ReLU's backward) replaced by the WebAssembly SIMD training
 * kernels (src/kernels/wasm/train.ts) running on the trainer's own memory, split across a worker
 * pool when threads > 1. Every temporary the kernels need (packed weights, gradient accumulators,
 * per-thread scratch) is allocated from TrainMemory, so the measured peak still covers every byte.
 * The kernels give the same bits for any thread count, so training is deterministic.
 */
import { relaxedSimdSupported, type WasmKernels } from '../kernels/wasm/index.js';
import { TrainKernels } from '../kernels/wasm/train.js';
import { runtimeContext } from '../runtime/context.js';
import { loadKernels } from '../runtime/wasm/kernels.js';
import { ThreadPool } from '../runtime/wasm/threads.js';
import { sameShape, sizeOf } from '../graph/tensor.js';
import type { TrainMemory } from './memory.js';
import { REF_TRAIN_OPS } from './ops/index.js';
import type { TrainOp, TrainOps } from './ops/types.js';

export interface WasmTrainContext {
  readonly ops: TrainOps;
  readonly threads: number;
  readonly relaxed: boolean;
  dispose(): void;
}

/** Byte offset of a view into the trainer memory (0 for an absent optional buffer, as the kernel ABI wants). */
function at(a: Float32Array | undefined): number {
  return a === undefined ? 0 : a.byteOffset;
}

/** The training kernels on a TrainMemory, with a worker pool when threads > 1 and the platform allows it. */
export interface TrainKernelContext {
  readonly tk: TrainKernels;
  readonly kernels: WasmKernels;
  readonly threads: number;
  readonly relaxed: boolean;
  dispose(): void;
}

/**
 * Loads the kernels into `mem` and starts their worker pool. Every workspace the kernels take comes
 * from `mem` (tag 'workspace'), and zeroed allocations are filled by SIMD stores from now on (JS
 * fills on a shared memory are slow).
 */
export async function startTrainKernels(mem: TrainMemory, threads: number): Promise<TrainKernelContext> {
  const relaxed = runtimeContext.relaxedSimdEnabled && relaxedSimdSupported();
  const { kernels, call } = await loadKernels(mem.memory, { relaxed, shared: mem.shared });
  const want = mem.shared && runtimeContext.workerFactory !== undefined ? threads : 1;
  const pool = want > 1 ? await ThreadPool.start(want, mem.memory, relaxed, runtimeContext.workerFactory!, call) : undefined;
  mem.setZeroFill((ptr, bytes) => kernels.f32_copy_pad(0, 0, ptr, bytes >>> 2));
  const tk = new TrainKernels(kernels, { alloc: (b) => mem.alloc(b, 'workspace'), free: (p) => mem.release(p) }, pool === undefined ? {} : { runner: pool });
  return {
    tk,
    kernels,
    threads: pool?.threads ?? 1,
    relaxed,
    dispose: () => {
      mem.setZeroFill(undefined);
      pool?.dispose();
    },
  };
}

export async function wasmTrainOps(mem: TrainMemory, threads: number): Promise<WasmTrainContext> {
  const ctx = await startTrainKernels(mem, threads);
  const { tk, kernels } = ctx;
  const refConv = REF_TRAIN_OPS.Conv!;
  const Conv: TrainOp<'Conv'> = {
    needs: refConv.needs,
    savedSizes: refConv.savedSizes,
    forward: (a) => tk.convForward(at(a.inputs[0]), a.shapes.inputs[0]!, at(a.inputs[1]), a.shapes.inputs[1]!, at(a.inputs[2]), at(a.outputs[0]), a.attrs),
    overwrites: (k) => k === 0,
    backward: (a) => {
      const dy = a.dOutputs[0];
      const fresh = a.fresh?.[0] === true;
      const dx0 = a.dInputs[0];
      if (dy === undefined) {
        if (fresh && dx0 !== undefined) mem.zero(dx0.byteOffset, dx0.length * 4);
        return;
      }
      const xs = a.shapes.inputs[0]!, ws = a.shapes.inputs[1]!;
      if (dx0 !== undefined) tk.convBackwardData(at(dy), at(a.inputs[1]), at(dx0), xs, ws, a.attrs, fresh);
      if (a.dInputs[1] !== undefined) tk.convBackwardWeight(at(a.inputs[0]), at(dy), at(a.dInputs[1]), at(a.dInputs[2]), xs, ws, a.attrs);
      else if (a.dInputs[2] !== undefined) refConv.backward({ ...a, dInputs: [undefined, undefined, a.dInputs[2]] });
    },
  };
  const refRelu = REF_TRAIN_OPS.Relu!;
  const Relu: TrainOp<'Relu'> = {
    ...refRelu,
    forwardInPlace: true,
    forward: (a) => {
      const n = sizeOf(a.shapes.outputs[0]!);
      kernels.activation(at(a.inputs[0]), at(a.outputs[0]), n, 1, 0, 0, 0, n);
    },
    backward: (a) => {
      const dy = a.dOutputs[0], dx = a.dInputs[0];
      if (dy !== undefined && dx !== undefined) tk.reluBackward(at(a.outputs[0]), at(dy), at(dx), sizeOf(a.shapes.outputs[0]!));
    },
    backwardInPlace: (a) => {
      const dy = a.dOutputs[0];
      if (dy !== undefined) tk.reluBackwardInPlace(at(a.outputs[0]), at(dy), sizeOf(a.shapes.outputs[0]!));
    },
  };
  // Same-shape Add (residual joins) on the SIMD elementwise kernel; broadcasting Adds stay on the reference op.
  const refAdd = REF_TRAIN_OPS.Add!;
  const Add: TrainOp<'Add'> = {
    ...refAdd,
    forward: (a) => {
      if (!sameShape(a.shapes.inputs[0]!, a.shapes.inputs[1]!)) return refAdd.forward(a);
      const n = sizeOf(a.shapes.outputs[0]!);
      kernels.add(at(a.inputs[0]), at(a.inputs[1]), at(a.outputs[0]), n, 0, 0, 0, 0, n);
    },
    backward: (a) => {
      if (!sameShape(a.shapes.inputs[0]!, a.shapes.inputs[1]!)) return refAdd.backward(a);
      const dy = a.dOutputs[0];
      if (dy === undefined) return;
      const n = sizeOf(a.shapes.outputs[0]!);
      for (const d of a.dInputs) if (d !== undefined) kernels.add(at(d), at(dy), at(d), n, 0, 0, 0, 0, n);
    },
  };
  const BatchNormalization = fastBatchNorm(mem, tk);
  return {
    ops: { ...REF_TRAIN_OPS, Conv, Relu, Add, BatchNormalization },
    threads: ctx.threads,
    relaxed: ctx.relaxed,
    dispose: ctx.dispose,
  };
}

/**
 * Training-mode BatchNormalization on channels-last data: the per-channel reductions run in the
 * SIMD kernels (channel_stats shifted by the first pixel for a well-conditioned variance,
 * bn_backward_sums), the per-element maps too (bn_apply, bn_backward_dx), split over pixels. Same semantics and saved
 * layout as the reference op (ops/batchnorm.ts), which still handles inference mode.
 */
function fastBatchNorm(mem: TrainMemory, tk: TrainKernels): TrainOp<'BatchNormalization'> {
  const ref = REF_TRAIN_OPS.BatchNormalization!;
  const scratch = (C: number): { ptr: number; f: (k: number) => Float32Array } => {
    const ptr = mem.alloc(5 * C * 4, 'workspace');
    return { ptr, f: (k) => mem.f32(ptr + k * C * 4, C) };
  };
  return {
    ...ref,
    forward(a) {
      const xs = a.shapes.inputs[0]!;
      if (!a.training || xs.length !== 4) return ref.forward(a);
      const [x, gamma, beta, rm, rv] = a.inputs as Float32Array[];
      const y = a.outputs[0]!;
      const C = xs[1]!, P = sizeOf(xs) / C;
      const eps = a.attrs.epsilon, mom = a.statsMomentum ?? a.attrs.momentum;
      const t = scratch(C);
      const s1 = t.f(0), s2 = t.f(1), scale = t.f(2), shift = t.f(3);
      // Shifted-data variance with the first pixel as the shift: as well conditioned as shifting by
      // the running mean, and — unlike the running mean, which this very forward updates — the same
      // when a checkpointed segment is recomputed, so recomputation reproduces the activations exactly.
      tk.channelStats(at(x), P, C, at(x), t.ptr, t.ptr + C * 4);
      const mean = a.save ? a.saved[0]! : new Float32Array(C);
      const istd = a.save ? a.saved[1]! : new Float32Array(C);
      for (let c = 0; c < C; c++) {
        const d = s1[c]! / P;
        const mu = x![c]! + d;
        const v = Math.max(s2[c]! / P - d * d, 0);
        mean[c] = mu;
        istd[c] = 1 / Math.sqrt(v + eps);
        scale[c] = gamma![c]! * istd[c]!;
        shift[c] = beta![c]! - mu * scale[c]!;
        if (a.updateStats) {
          const unbiased = P > 1 ? (v * P) / (P - 1) : v;
          rm![c] = rm![c]! * mom + mu * (1 - mom);
          rv![c] = rv![c]! * mom + unbiased * (1 - mom);
        }
      }
      tk.batchNormApply(at(x), P, C, t.ptr + 2 * C * 4, t.ptr + 3 * C * 4, at(y));
      if (a.save) a.saved[2]![0] = 1;
      mem.release(t.ptr);
    },
    overwrites: (k) => k === 0,
    backward(a) {
      const xs = a.shapes.inputs[0]!;
      const dy = a.dOutputs[0];
      const fresh = a.fresh?.[0] === true;
      const dx0 = a.dInputs[0];
      // The reference op and "no gradient" both mean a zero start for a fresh dx.
      if (fresh && dx0 !== undefined && (dy === undefined || a.saved[2]![0] !== 1 || xs.length !== 4)) mem.zero(dx0.byteOffset, dx0.length * 4);
      if (dy === undefined) return;
      if (a.saved[2]![0] !== 1 || xs.length !== 4) return ref.backward(a);
      const [dx, dGamma, dBeta] = a.dInputs;
      const x = a.inputs[0]!, gamma = a.inputs[1]!;
      const mean = a.saved[0]!, istd = a.saved[1]!;
      const C = xs[1]!, P = sizeOf(xs) / C;
      const t = scratch(C);
      const sdy = t.f(0), sdyx = t.f(1), k = t.f(2), u = t.f(3), b = t.f(4);
      tk.batchNormBackwardSums(at(dy), at(x), P, C, at(mean), at(istd), t.ptr, t.ptr + C * 4);
      for (let c = 0; c < C; c++) {
        if (dBeta !== undefined) dBeta[c]! += sdy[c]!;
        if (dGamma !== undefined) dGamma[c]! += sdyx[c]!;
        // dx = γ·istd·(dy − Σdy/P − (x − μ)·istd·Σdy·x̂/P) = k·dy + u·x + b.
        k[c] = gamma[c]! * istd[c]!;
        u[c] = -k[c]! * istd[c]! * (sdyx[c]! / P);
        b[c] = -k[c]! * (sdy[c]! / P) - u[c]! * mean[c]!;
      }
      if (dx !== undefined) tk.batchNormBackwardDx(at(dy), at(x), P, C, t.ptr + 2 * C * 4, t.ptr + 3 * C * 4, t.ptr + 4 * C * 4, at(dx), !fresh);
      mem.release(t.ptr);
    },
  };
}
