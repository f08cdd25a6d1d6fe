/**
 * Entry of the sparsecnn WebAssembly kernel library (AssemblyScript, 128-bit SIMD). Export names are
 * the ABI (src/kernels/wasm/README.md): all pointers are byte offsets into the imported memory, f32,
 * NHWC, half-open work ranges, no allocation. Built as {simd, relaxed-simd} x {shared, non-shared}
 * by scripts/build-wasm.mjs from this one source.
 */
import { conv2dMr, pickMr } from "./conv";
import { convScratchBytes, NR, MR } from "./layout";
import { fma } from "./common";

export { dwconv2d } from "./dwconv";
export { maxpool2d, avgpool2d, globalavgpool } from "./pool";
export { add, mul_channel, activation, softmax_rows } from "./elementwise";
export { f32_gemm_1x8, f32_gemm_2x8, f32_gemm_3x8, f32_gemm_4x8, f32_gemm_5x8, f32_gemm_6x8 } from "./f32-gemm/index";

/** Dense conv / Gemm; picks the micro-kernel height per call (pickMr). */
export function conv2d(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  conv2dMr(pickMr(p1 - p0), x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, wpk, bias, OC, y, yc, res, act, a0, a1, p0, p1, t0, t1, scratch);
}

/** conv2d with the 6x8 micro-kernel (tails 1..5 rows). */
export function f32_conv2d_6x8(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  conv2dMr(6, x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, wpk, bias, OC, y, yc, res, act, a0, a1, p0, p1, t0, t1, scratch);
}

/** conv2d with the 4x8 micro-kernel (tails 1..3 rows). */
export function f32_conv2d_4x8(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  conv2dMr(4, x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, wpk, bias, OC, y, yc, res, act, a0, a1, p0, p1, t0, t1, scratch);
}

/** Scratch bytes one conv2d call over reduction length K needs (mirrored by convScratchBytes in index.ts). */
export function conv2d_scratch_bytes(K: i32): i32 {
  return convScratchBytes(K);
}

export function tile_nr(): i32 {
  return NR;
}

export function tile_mr(): i32 {
  return MR;
}

/** 1 when this binary was built with relaxed SIMD (f32x4.relaxed_madd). */
export function relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/**
 * n iterations of 10 independent 4-lane multiply-adds c = c·b + a on registers (80·n FLOP): the machine's SIMD
 * peak as this engine compiles it, so benchmarks can report kernels as a fraction of it.
 */
export function f32_fma_peak(n: i32): f32 {
  let a = f32x4.splat(1.0001), b = f32x4.splat(0.9999);
  let c0 = f32x4.splat(0.0), c1 = f32x4.splat(0.1), c2 = f32x4.splat(0.2), c3 = f32x4.splat(0.3), c4 = f32x4.splat(0.4);
  let c5 = f32x4.splat(0.5), c6 = f32x4.splat(0.6), c7 = f32x4.splat(0.7), c8 = f32x4.splat(0.8), c9 = f32x4.splat(0.9);
  for (let i = 0; i < n; i++) {
    c0 = fma(c0, b, a); c1 = fma(c1, b, a); c2 = fma(c2, b, a); c3 = fma(c3, b, a); c4 = fma(c4, b, a);
    c5 = fma(c5, b, a); c6 = fma(c6, b, a); c7 = fma(c7, b, a); c8 = fma(c8, b, a); c9 = fma(c9, b, a);
  }
  let s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(c8, c9)), 0);
}

// Sparse kernels (column-wise N:M conv, DEPrune depthwise): ABI in src/kernels/wasm/README.md.
export { conv2dColNm as conv2d_colnm, conv2dColNm4 as conv2d_colnm4 } from "./conv-colnm";
export { dwconv2dDr as dwconv2d_dr } from "./dwconv-dr";
export { dwconv2dVs as dwconv2d_vs } from "./dwconv-vs";
import { convColNmScratchBytes } from "./conv-colnm";
import { dwDrScratchBytes } from "./dwconv-dr";

/** Scratch bytes of one conv2d_colnm call (mirrored by convColNmScratchBytes in index.ts). */
export function conv2d_colnm_scratch_bytes(Kt: i32, K: i32): i32 {
  return convColNmScratchBytes(Kt, K);
}

/** Scratch bytes of one dwconv2d_dr call (mirrored by dwDrScratchBytes in index.ts). */
export function dwconv2d_dr_scratch_bytes(C: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  return dwDrScratchBytes(C, OW, kh, kw, sh, sw, dh, dw);
}

// Training kernels (weight / data gradients, BatchNorm reductions, relu backward): ABI in
// src/kernels/wasm/README.md ("Training kernels"); driver: src/kernels/wasm/train.ts.
export { conv2dWgrad as conv2d_wgrad, conv2dWgradGather as conv2d_wgrad_gather, conv2dAcc as conv2d_acc, conv2dPackWeights as conv2d_pack_weights, f32CopyPad as f32_copy_pad } from "./train-conv";
export { dwconv2dWgrad as dwconv2d_wgrad, dwconv2dDgrad as dwconv2d_dgrad, dwconv2dPackWeights as dwconv2d_pack_weights } from "./train-dw";
export { channelStats as channel_stats, bnBackwardSums as bn_backward_sums, reluBackward as relu_backward, bnApply as bn_apply, bnBackwardDx as bn_backward_dx, reluBackwardInPlace as relu_backward_inplace } from "./train-norm";
import { wgScratchBytes, wgAccBytes, wggScratchBytes, wggAccBytes } from "./train-conv";
import { dwWgAccBytes } from "./train-dw";

/** Per-thread scratch bytes of one conv2d_wgrad call (N·OH output rows of OW pixels, OC channels of this group). */
export function conv2d_wgrad_scratch_bytes(rows: i32, OW: i32, OC: i32): i32 {
  return wgScratchBytes(rows, OW, OC);
}

/** Bytes of conv2d_wgrad's shared accumulator workspace (all threads of a call share it). */
export function conv2d_wgrad_acc_bytes(Cin: i32, kh: i32, kw: i32, OC: i32): i32 {
  return wgAccBytes(Cin, kh, kw, OC);
}

/** Bytes of dwconv2d_wgrad's shared accumulator workspace. */
export function dwconv2d_wgrad_acc_bytes(C: i32, kh: i32, kw: i32): i32 {
  return dwWgAccBytes(C, kh, kw);
}

/** Per-thread scratch bytes of one conv2d_wgrad_gather call. */
export function conv2d_wgrad_gather_scratch_bytes(OC: i32): i32 {
  return wggScratchBytes(OC);
}

/** Bytes of conv2d_wgrad_gather's shared accumulator workspace. */
export function conv2d_wgrad_gather_acc_bytes(Cin: i32, kh: i32, kw: i32, OC: i32): i32 {
  return wggAccBytes(Cin, kh, kw, OC);
}
