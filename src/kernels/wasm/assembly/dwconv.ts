/**
 * Depthwise convolution (group = C, multiplier 1), NHWC, direct SIMD over channels.
 * Weights packed [kh·kw][Cp] (Cp = C rounded up to 4), bias padded to 8 (packing.ts).
 * 3x3 windows that lie fully inside the image keep the group's 9 weight vectors in registers and
 * slide along the output row (one load per multiply-add); borders, other kernel sizes and the
 * C % 4 tail channels take the per-pixel path.
 */
import { fma, actV, actS, imin, imax } from "./common";

/** Output pixels of the 3x3 interior fast path handled per channel-group sweep (keeps their input in L1). */
const CHUNK: i32 = 16;

function dwPixel(img: usize, H: i32, W: i32, C: i32, Cp: i32, iy0: i32, ix0: i32, kh: i32, kw: i32, dh: i32, dw: i32, wpk: usize, bias: usize, yp: usize, rp: usize, act: i32, lo: f32, hi: f32, c0: i32): void {
  let ky0 = 0, ky1 = kh, kx0 = 0, kx1 = kw;
  while (ky0 < kh && iy0 + ky0 * dh < 0) ky0++;
  while (ky1 > ky0 && iy0 + (ky1 - 1) * dh >= H) ky1--;
  while (kx0 < kw && ix0 + kx0 * dw < 0) kx0++;
  while (kx1 > kx0 && ix0 + (kx1 - 1) * dw >= W) kx1--;
  let cB = <usize>C << 2;
  let wtB = <usize>Cp << 2;
  let c = c0;
  for (; c + 16 <= C; c += 16) {
    let o = <usize>c << 2;
    let s0 = f32x4.splat(0.0), s1 = s0, s2 = s0, s3 = s0;
    if (bias != 0) {
      s0 = v128.load(bias + o); s1 = v128.load(bias + o, 16); s2 = v128.load(bias + o, 32); s3 = v128.load(bias + o, 48);
    }
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * <usize>W * cB + o;
      let wr = wpk + <usize>(ky * kw) * wtB + o;
      for (let kx = kx0; kx < kx1; kx++) {
        let xp = xr + <usize>(ix0 + kx * dw) * cB;
        let wp = wr + <usize>kx * wtB;
        s0 = fma(v128.load(xp), v128.load(wp), s0);
        s1 = fma(v128.load(xp, 16), v128.load(wp, 16), s1);
        s2 = fma(v128.load(xp, 32), v128.load(wp, 32), s2);
        s3 = fma(v128.load(xp, 48), v128.load(wp, 48), s3);
      }
    }
    if (rp != 0) {
      s0 = f32x4.add(s0, v128.load(rp + o)); s1 = f32x4.add(s1, v128.load(rp + o, 16));
      s2 = f32x4.add(s2, v128.load(rp + o, 32)); s3 = f32x4.add(s3, v128.load(rp + o, 48));
    }
    v128.store(yp + o, actV(s0, act, lo, hi));
    v128.store(yp + o, actV(s1, act, lo, hi), 16);
    v128.store(yp + o, actV(s2, act, lo, hi), 32);
    v128.store(yp + o, actV(s3, act, lo, hi), 48);
  }
  for (; c + 4 <= C; c += 4) {
    let o = <usize>c << 2;
    let s = bias != 0 ? v128.load(bias + o) : f32x4.splat(0.0);
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * <usize>W * cB + o;
      let wr = wpk + <usize>(ky * kw) * wtB + o;
      for (let kx = kx0; kx < kx1; kx++) s = fma(v128.load(xr + <usize>(ix0 + kx * dw) * cB), v128.load(wr + <usize>kx * wtB), s);
    }
    if (rp != 0) s = f32x4.add(s, v128.load(rp + o));
    v128.store(yp + o, actV(s, act, lo, hi));
  }
  for (; c < C; c++) {
    let o = <usize>c << 2;
    let s: f32 = bias != 0 ? load<f32>(bias + o) : 0;
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * <usize>W * cB + o;
      let wr = wpk + <usize>(ky * kw) * wtB + o;
      for (let kx = kx0; kx < kx1; kx++) s += load<f32>(xr + <usize>(ix0 + kx * dw) * cB) * load<f32>(wr + <usize>kx * wtB);
    }
    if (rp != 0) s += load<f32>(rp + o);
    store<f32>(yp + o, actS(s, act, lo, hi));
  }
}

/** 3x3, all taps inside: output pixels [0, count) of a row run starting at xp (input of tap (0,0), channel 0) and yp. */
function dw3x3Run(xp: usize, sxB: usize, dxB: usize, dyB: usize, Cv: i32, C: i32, Cp: i32, count: i32, wpk: usize, bias: usize, yp: usize, rp: usize, act: i32, lo: f32, hi: f32): void {
  let cB = <usize>C << 2;
  let wtB = <usize>Cp << 2;
  let fast = act <= 2;
  let vlo = f32x4.splat(act == 0 ? -Infinity : act == 1 ? 0.0 : lo);
  let vhi = f32x4.splat(act == 2 ? hi : Infinity);
  for (let c = 0; c < Cv; c += 4) {
    let o = <usize>c << 2;
    let w = wpk + o;
    let w0 = v128.load(w), w1 = v128.load(w + wtB), w2 = v128.load(w + 2 * wtB);
    let w3 = v128.load(w + 3 * wtB), w4 = v128.load(w + 4 * wtB), w5 = v128.load(w + 5 * wtB);
    let w6 = v128.load(w + 6 * wtB), w7 = v128.load(w + 7 * wtB), w8 = v128.load(w + 8 * wtB);
    let b = bias != 0 ? v128.load(bias + o) : f32x4.splat(0.0);
    let x0 = xp + o;
    let y0 = yp + o;
    let r0 = rp != 0 ? rp + o : 0;
    for (let i = 0; i < count; i++) {
      let x1 = x0 + dyB;
      let x2 = x1 + dyB;
      let s = fma(v128.load(x0), w0, b);
      let t = f32x4.mul(v128.load(x0 + dxB), w1);
      s = fma(v128.load(x0 + 2 * dxB), w2, s);
      t = fma(v128.load(x1), w3, t);
      s = fma(v128.load(x1 + dxB), w4, s);
      t = fma(v128.load(x1 + 2 * dxB), w5, t);
      s = fma(v128.load(x2), w6, s);
      t = fma(v128.load(x2 + dxB), w7, t);
      s = fma(v128.load(x2 + 2 * dxB), w8, s);
      s = f32x4.add(s, t);
      if (r0 != 0) {
        s = f32x4.add(s, v128.load(r0));
        r0 += cB;
      }
      if (fast) s = f32x4.pmin(f32x4.pmax(vlo, s), vhi);
      else s = actV(s, act, lo, hi);
      v128.store(y0, s);
      x0 += sxB;
      y0 += cB;
    }
  }
}

export function dwconv2d(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, wpk: usize, bias: usize, y: usize, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32): void {
  let Cp = (C + 3) & ~3;
  let Cv = C & ~3;
  let cB = <usize>C << 2;
  let rowB = <usize>W * cB;
  let ohw = OH * OW;
  // Interior output columns: every horizontal tap inside [0, W).
  let oxLo = (pl + sw - 1) / sw;
  let oxHi = imin(OW, (W - 1 - (kw - 1) * dw + pl) / sw + 1);
  if (W - 1 - (kw - 1) * dw + pl < 0) oxHi = 0;
  let is3x3 = kh == 3 && kw == 3;
  let p = p0;
  while (p < p1) {
    let n = p / ohw;
    let r = p - n * ohw;
    let oy = r / OW;
    let oxa = r - oy * OW;
    let oxb = imin(OW, oxa + (p1 - p));
    let img = x + <usize>n * <usize>H * rowB;
    let iy0 = oy * sh - pt;
    let rowIn = iy0 >= 0 && iy0 + (kh - 1) * dh < H;
    let yRow = y + (<usize>(p - oxa) * cB);
    let rRow = res != 0 ? res + (<usize>(p - oxa) * cB) : 0;
    let fa = oxb, fb = oxb;
    if (is3x3 && rowIn && Cv > 0) {
      fa = imax(oxa, oxLo);
      fb = imax(fa, imin(oxb, oxHi));
    }
    for (let ox = oxa; ox < oxb; ox++) {
      if (ox == fa && fb > fa) {
        // Interior run: vector groups by the fast path, in chunks, then tail channels per pixel.
        for (let q = fa; q < fb; q += CHUNK) {
          let cnt = imin(CHUNK, fb - q);
          let xp = img + <usize>iy0 * rowB + <usize>(q * sw - pl) * cB;
          dw3x3Run(xp, <usize>sw * cB, <usize>dw * cB, <usize>dh * rowB, Cv, C, Cp, cnt, wpk, bias, yRow + <usize>q * cB, rRow != 0 ? rRow + <usize>q * cB : 0, act, a0, a1);
        }
        if (Cv < C) {
          for (let q = fa; q < fb; q++) dwPixel(img, H, W, C, Cp, iy0, q * sw - pl, kh, kw, dh, dw, wpk, bias, yRow + <usize>q * cB, rRow != 0 ? rRow + <usize>q * cB : 0, act, a0, a1, Cv);
        }
        ox = fb - 1;
        continue;
      }
      dwPixel(img, H, W, C, Cp, iy0, ox * sw - pl, kh, kw, dh, dw, wpk, bias, yRow + <usize>ox * cB, rRow != 0 ? rRow + <usize>ox * cB : 0, act, a0, a1, 0);
    }
    p += oxb - oxa;
  }
}
