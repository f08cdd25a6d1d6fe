// generated — do not edit; template: scripts/gen-wasm-kernels.mjs (gemmIndex)
import { f32_gemm_1x8 } from "./f32-gemm-1x8";
import { f32_gemm_2x8 } from "./f32-gemm-2x8";
import { f32_gemm_3x8 } from "./f32-gemm-3x8";
import { f32_gemm_4x8 } from "./f32-gemm-4x8";
import { f32_gemm_5x8 } from "./f32-gemm-5x8";
import { f32_gemm_6x8 } from "./f32-gemm-6x8";
export { f32_gemm_1x8 };
export { f32_gemm_2x8 };
export { f32_gemm_3x8 };
export { f32_gemm_4x8 };
export { f32_gemm_5x8 };
export { f32_gemm_6x8 };

/** Runs the micro-kernel with exactly `rows` (1..6) rows. */
export function gemmRows(rows: i32, a: usize, as: usize, kc: i32, w: usize, bias: usize, y: usize, ys: usize, res: usize, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, acc: i32): void {
  switch (rows) {
    case 6: f32_gemm_6x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    case 5: f32_gemm_5x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    case 4: f32_gemm_4x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    case 3: f32_gemm_3x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    case 2: f32_gemm_2x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    case 1: f32_gemm_1x8(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;
    default: unreachable();
  }
}
