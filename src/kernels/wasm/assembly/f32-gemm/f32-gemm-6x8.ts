// generated — do not edit; template: scripts/gen-wasm-kernels.mjs (gemmKernel, MR=6)
import { fma, stageRow, storeRow } from "../common";

/** 6x8 micro-kernel: Y[6, nc] = act(bias + A[6, K]·B[K, 8] (+ res)); see the generator's header. */
export function f32_gemm_6x8(a: usize, as: usize, kc: i32, w: usize, bias: usize, y: usize, ys: usize, res: usize, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, acc: i32): void {
  let a0 = a;
  let a1 = a0 + as;
  let a2 = a1 + as;
  let a3 = a2 + as;
  let a4 = a3 + as;
  let a5 = a4 + as;
  let c0x0: v128, c0x1: v128;
  let c1x0: v128, c1x1: v128;
  let c2x0: v128, c2x1: v128;
  let c3x0: v128, c3x1: v128;
  let c4x0: v128, c4x1: v128;
  let c5x0: v128, c5x1: v128;
  if (acc != 0) {
    if (nc == 8) {
      c0x0 = v128.load(y);
      c0x1 = v128.load(y, 16);
      c1x0 = v128.load(y + 1 * ys);
      c1x1 = v128.load(y + 1 * ys, 16);
      c2x0 = v128.load(y + 2 * ys);
      c2x1 = v128.load(y + 2 * ys, 16);
      c3x0 = v128.load(y + 3 * ys);
      c3x1 = v128.load(y + 3 * ys, 16);
      c4x0 = v128.load(y + 4 * ys);
      c4x1 = v128.load(y + 4 * ys, 16);
      c5x0 = v128.load(y + 5 * ys);
      c5x1 = v128.load(y + 5 * ys, 16);
    } else {
      stageRow(y, nc, tmp);
      c0x0 = v128.load(tmp);
      c0x1 = v128.load(tmp, 16);
      stageRow(y + 1 * ys, nc, tmp);
      c1x0 = v128.load(tmp);
      c1x1 = v128.load(tmp, 16);
      stageRow(y + 2 * ys, nc, tmp);
      c2x0 = v128.load(tmp);
      c2x1 = v128.load(tmp, 16);
      stageRow(y + 3 * ys, nc, tmp);
      c3x0 = v128.load(tmp);
      c3x1 = v128.load(tmp, 16);
      stageRow(y + 4 * ys, nc, tmp);
      c4x0 = v128.load(tmp);
      c4x1 = v128.load(tmp, 16);
      stageRow(y + 5 * ys, nc, tmp);
      c5x0 = v128.load(tmp);
      c5x1 = v128.load(tmp, 16);
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
    c2x0 = c0x0;
    c2x1 = c0x1;
    c3x0 = c0x0;
    c3x1 = c0x1;
    c4x0 = c0x0;
    c4x1 = c0x1;
    c5x0 = c0x0;
    c5x1 = c0x1;
  }
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
      let v0r2 = v128.load32_splat(a2, 0);
      c2x0 = fma(v0r2, b0x0, c2x0);
      c2x1 = fma(v0r2, b0x1, c2x1);
      let v0r3 = v128.load32_splat(a3, 0);
      c3x0 = fma(v0r3, b0x0, c3x0);
      c3x1 = fma(v0r3, b0x1, c3x1);
      let v0r4 = v128.load32_splat(a4, 0);
      c4x0 = fma(v0r4, b0x0, c4x0);
      c4x1 = fma(v0r4, b0x1, c4x1);
      let v0r5 = v128.load32_splat(a5, 0);
      c5x0 = fma(v0r5, b0x0, c5x0);
      c5x1 = fma(v0r5, b0x1, c5x1);
      if (--k == 0) break;
      let b1x0 = v128.load(w, 32);
      let b1x1 = v128.load(w, 48);
      let v1r0 = v128.load32_splat(a0, 4);
      c0x0 = fma(v1r0, b1x0, c0x0);
      c0x1 = fma(v1r0, b1x1, c0x1);
      let v1r1 = v128.load32_splat(a1, 4);
      c1x0 = fma(v1r1, b1x0, c1x0);
      c1x1 = fma(v1r1, b1x1, c1x1);
      let v1r2 = v128.load32_splat(a2, 4);
      c2x0 = fma(v1r2, b1x0, c2x0);
      c2x1 = fma(v1r2, b1x1, c2x1);
      let v1r3 = v128.load32_splat(a3, 4);
      c3x0 = fma(v1r3, b1x0, c3x0);
      c3x1 = fma(v1r3, b1x1, c3x1);
      let v1r4 = v128.load32_splat(a4, 4);
      c4x0 = fma(v1r4, b1x0, c4x0);
      c4x1 = fma(v1r4, b1x1, c4x1);
      let v1r5 = v128.load32_splat(a5, 4);
      c5x0 = fma(v1r5, b1x0, c5x0);
      c5x1 = fma(v1r5, b1x1, c5x1);
      a0 += 8;
      a1 += 8;
      a2 += 8;
      a3 += 8;
      a4 += 8;
      a5 += 8;
      w += 64;
      if (--k == 0) break;
    }
  }
  if (nc == 8 && act <= 2) {
    let y1 = y + 1 * ys;
    let y2 = y + 2 * ys;
    let y3 = y + 3 * ys;
    let y4 = y + 4 * ys;
    let y5 = y + 5 * ys;
    if (res != 0) {
      c0x0 = f32x4.add(c0x0, v128.load(res));
      c0x1 = f32x4.add(c0x1, v128.load(res, 16));
      c1x0 = f32x4.add(c1x0, v128.load(res + 1 * ys));
      c1x1 = f32x4.add(c1x1, v128.load(res + 1 * ys, 16));
      c2x0 = f32x4.add(c2x0, v128.load(res + 2 * ys));
      c2x1 = f32x4.add(c2x1, v128.load(res + 2 * ys, 16));
      c3x0 = f32x4.add(c3x0, v128.load(res + 3 * ys));
      c3x1 = f32x4.add(c3x1, v128.load(res + 3 * ys, 16));
      c4x0 = f32x4.add(c4x0, v128.load(res + 4 * ys));
      c4x1 = f32x4.add(c4x1, v128.load(res + 4 * ys, 16));
      c5x0 = f32x4.add(c5x0, v128.load(res + 5 * ys));
      c5x1 = f32x4.add(c5x1, v128.load(res + 5 * ys, 16));
    }
    if (act != 0) {
      let vlo = f32x4.splat(act == 1 ? 0.0 : lo);
      let vhi = f32x4.splat(act == 1 ? Infinity : hi);
      c0x0 = f32x4.pmin(f32x4.pmax(vlo, c0x0), vhi);
      c0x1 = f32x4.pmin(f32x4.pmax(vlo, c0x1), vhi);
      c1x0 = f32x4.pmin(f32x4.pmax(vlo, c1x0), vhi);
      c1x1 = f32x4.pmin(f32x4.pmax(vlo, c1x1), vhi);
      c2x0 = f32x4.pmin(f32x4.pmax(vlo, c2x0), vhi);
      c2x1 = f32x4.pmin(f32x4.pmax(vlo, c2x1), vhi);
      c3x0 = f32x4.pmin(f32x4.pmax(vlo, c3x0), vhi);
      c3x1 = f32x4.pmin(f32x4.pmax(vlo, c3x1), vhi);
      c4x0 = f32x4.pmin(f32x4.pmax(vlo, c4x0), vhi);
      c4x1 = f32x4.pmin(f32x4.pmax(vlo, c4x1), vhi);
      c5x0 = f32x4.pmin(f32x4.pmax(vlo, c5x0), vhi);
      c5x1 = f32x4.pmin(f32x4.pmax(vlo, c5x1), vhi);
    }
    v128.store(y, c0x0);
    v128.store(y, c0x1, 16);
    v128.store(y1, c1x0);
    v128.store(y1, c1x1, 16);
    v128.store(y2, c2x0);
    v128.store(y2, c2x1, 16);
    v128.store(y3, c3x0);
    v128.store(y3, c3x1, 16);
    v128.store(y4, c4x0);
    v128.store(y4, c4x1, 16);
    v128.store(y5, c5x0);
    v128.store(y5, c5x1, 16);
    return;
  }
  storeRow(y, res, c0x0, c0x1, nc, act, lo, hi, tmp);
  storeRow(y + 1 * ys, res != 0 ? res + 1 * ys : 0, c1x0, c1x1, nc, act, lo, hi, tmp);
  storeRow(y + 2 * ys, res != 0 ? res + 2 * ys : 0, c2x0, c2x1, nc, act, lo, hi, tmp);
  storeRow(y + 3 * ys, res != 0 ? res + 3 * ys : 0, c3x0, c3x1, nc, act, lo, hi, tmp);
  storeRow(y + 4 * ys, res != 0 ? res + 4 * ys : 0, c4x0, c4x1, nc, act, lo, hi, tmp);
  storeRow(y + 5 * ys, res != 0 ? res + 5 * ys : 0, c5x0, c5x1, nc, act, lo, hi, tmp);
}
