// generated — do not edit; template: scripts/gen-wasm-kernels.mjs (gemmKernel, MR=2)
import { fma, stageRow, storeRow } from "../common";

/** 2x8 micro-kernel: Y[2, nc] = act(bias + A[2, K]·B[K, 8] (+ res)); see the generator's header. */
export function f32_gemm_2x8(a: usize, as: usize, kc: i32, w: usize, bias: usize, y: usize, ys: usize, res: usize, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, acc: i32): void {
  let a0 = a;
  let a1 = a0 + as;
  let c0x0: v128, c0x1: v128;
  let c1x0: v128, c1x1: v128;
  if (acc != 0) {
    if (nc == 8) {
      c0x0 = v128.load(y);
      c0x1 = v128.load(y, 16);
      c1x0 = v128.load(y + 1 * ys);
      c1x1 = v128.load(y + 1 * ys, 16);
    } else {
      stageRow(y, nc, tmp);
      c0x0 = v128.load(tmp);
      c0x1 = v128.load(tmp, 16);
      stageRow(y + 1 * ys, nc, tmp);
      c1x0 = v128.load(tmp);
      c1x1 = v128.load(tmp, 16);
    }
  } else {
    c0x0 = f32x4.splat(0.0);
    c0x1 = f32x4.splat(0.0);
    if (bias != 0) {
      c0x0 = v128.load(bias);
      c0x1 = v128.load(bias, 16);
    }
    c1x0 = c0x0;
    c1x1 = c0x1;
  }
  let d0x0 = f32x4.splat(0.0);
  let d0x1 = f32x4.splat(0.0);
  let d1x0 = f32x4.splat(0.0);
  let d1x1 = f32x4.splat(0.0);
  let k = kc;
  if (k > 0) {
    while (true) {
      let b0x0 = v128.load(w, 0);
      let b0x1 = v128.load(w, 16);
      let v0r0 = v128.load32_splat(a0, 0);
      c0x0 = fma(v0r0, b0x0, c0x0);
      c0x1 = fma(v0r0, b0x1, c0x1);
      let v0r1 = v128.load32_splat(a1, 0);
      c1x0 = fma(v0r1, b0x0, c1x0);
      c1x1 = fma(v0r1, b0x1, c1x1);
      if (--k == 0) break;
      let b1x0 = v128.load(w, 32);
      let b1x1 = v128.load(w, 48);
      let v1r0 = v128.load32_splat(a0, 4);
      d0x0 = fma(v1r0, b1x0, d0x0);
      d0x1 = fma(v1r0, b1x1, d0x1);
      let v1r1 = v128.load32_splat(a1, 4);
      d1x0 = fma(v1r1, b1x0, d1x0);
      d1x1 = fma(v1r1, b1x1, d1x1);
      a0 += 8;
      a1 += 8;
      w += 64;
      if (--k == 0) break;
    }
  }
  c0x0 = f32x4.add(c0x0, d0x0);
  c0x1 = f32x4.add(c0x1, d0x1);
  c1x0 = f32x4.add(c1x0, d1x0);
  c1x1 = f32x4.add(c1x1, d1x1);
  if (nc == 8 && act <= 2) {
    let y1 = y + 1 * ys;
    if (res != 0) {
      c0x0 = f32x4.add(c0x0, v128.load(res));
      c0x1 = f32x4.add(c0x1, v128.load(res, 16));
      c1x0 = f32x4.add(c1x0, v128.load(res + 1 * ys));
      c1x1 = f32x4.add(c1x1, v128.load(res + 1 * ys, 16));
    }
    if (act != 0) {
      let vlo = f32x4.splat(act == 1 ? 0.0 : lo);
      let vhi = f32x4.splat(act == 1 ? Infinity : hi);
      c0x0 = f32x4.pmin(f32x4.pmax(vlo, c0x0), vhi);
      c0x1 = f32x4.pmin(f32x4.pmax(vlo, c0x1), vhi);
      c1x0 = f32x4.pmin(f32x4.pmax(vlo, c1x0), vhi);
      c1x1 = f32x4.pmin(f32x4.pmax(vlo, c1x1), vhi);
    }
    v128.store(y, c0x0);
    v128.store(y, c0x1, 16);
    v128.store(y1, c1x0);
    v128.store(y1, c1x1, 16);
    return;
  }
  storeRow(y, res, c0x0, c0x1, nc, act, lo, hi, tmp);
  storeRow(y + 1 * ys, res != 0 ? res + 1 * ys : 0, c1x0, c1x1, nc, act, lo, hi, tmp);
}
