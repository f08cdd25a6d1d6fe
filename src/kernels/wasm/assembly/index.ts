/**
 * Entry of the sparsecnn WebAssembly kernel library (AssemblyScript, 128-bit SIMD). Export names are
 * the ABI (src/kernels/wasm/README.md): all pointers are byte offsets into the imported memory, f32,
 * NHWC, half-open work ranges, no allocation. Built as {simd, relaxed-simd} x {shared, non-shared}
 * by scripts/build-wasm.mjs from this one source.
 */
import { conv2dMr, pickMr } from "./conv";
import { convScratchBytes, convBlockPixels, NR, MR } from "./layout";

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

/** Pixels per gathered block for reduction length K (for the profiler and tests). */
export function conv2d_block_pixels(K: i32): i32 {
  return convBlockPixels(K);
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
