/**
 * Depthwise convolution (group = C, multiplier 1), NHWC, direct SIMD over channels.
 * Weights packed [kh·kw][Cp] (Cp = C rounded up to 4), bias padded to 8 (packing.ts).
 * 3x3 windows (dilation 1, stride 1 or 2) that lie fully inside the image keep the group's 9 weight
 * vectors in registers and slide along the output row (dw3x3Row); other 3- and 5-wide windows inside
 * the image horizontally run one pass per kernel row inside it (dwRow3/dwRow5, padding rows are
 * skipped, any kh and dh); left/right borders, other widths and the C % 4 tail channels take the
 * per-pixel path.
 */
import { fma, actV, actS, imin, imax } from "./common";

/** 16 bytes below RESERVED_BYTES that dwconv2d zeroes on entry: the bias a bias-less call reads. */
const ZERO16: usize = 512;

export function dwPixel(img: usize, H: i32, W: i32, C: i32, Cp: i32, iy0: i32, ix0: i32, kh: i32, kw: i32, dh: i32, dw: i32, wpk: usize, bias: usize, yp: usize, rp: usize, act: i32, lo: f32, hi: f32, c0: i32): void {
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
    v128.store(yp + o, s0);
    v128.store(yp + o, s1, 16);
    v128.store(yp + o, s2, 32);
    v128.store(yp + o, s3, 48);
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
    v128.store(yp + o, s);
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
  // Activation of the vector channels in a pass of its own (no call inside the loops above).
  if (act != 0) {
    let cv = c0 + ((C - c0) & ~3);
    for (let q = c0; q < cv; q += 4) {
      let o = <usize>q << 2;
      v128.store(yp + o, actV(v128.load(yp + o), act, lo, hi));
    }
  }
}

/**
 * 3x3, dilation 1, all taps inside: output pixels [0, count) of one output row, channels [0, Cv).
 * xp: input (row iy0, column ix0 of output 0, channel 0). Per channel group the 9 weight vectors stay
 * in registers and the window slides along the row: each input column (3 rows) is loaded once and
 * feeds the 2 (stride 2) or 3 (stride 1) outputs it touches, so a loop trip has only 3-6 loads
 * (V8 hoists a trip's loads above its arithmetic, so few loads per trip also means no spills).
 */
function dw3x3Row(xp: usize, rowB: usize, cB: usize, s: i32, Cv: i32, Cp: i32, count: i32, wpk: usize, bias: usize, yp: usize, rp: usize, act: i32, lo: f32, hi: f32, zero16: usize): void {
  let wtB = <usize>Cp << 2;
  // The activation runs in a second pass over the row: the sliding loop needs 9 weights + 2 carried
  // sums + 3 loads + 1 output of the 15 vector registers V8 allocates, and a call in the loop (even
  // one never taken) makes V8 spill every vector register around it.
  for (let c = 0; c < Cv; c += 4) {
    let o = <usize>c << 2;
    let w = wpk + o;
    // w{ky}{kx}
    let w00 = v128.load(w), w01 = v128.load(w + wtB), w02 = v128.load(w + 2 * wtB);
    let w10 = v128.load(w + 3 * wtB), w11 = v128.load(w + 4 * wtB), w12 = v128.load(w + 5 * wtB);
    let w20 = v128.load(w + 6 * wtB), w21 = v128.load(w + 7 * wtB), w22 = v128.load(w + 8 * wtB);
    // Bias re-read from memory in the loop (bias 0 = none reads the zeros at ZERO16).
    let bp = bias != 0 ? bias + o : zero16;
    let b = v128.load(bp);
    let x0 = xp + o;
    let y0 = yp + o;
    let r0 = rp != 0 ? rp + o : 0;
    if (s == 1) {
      // accA: output i (columns 0, 1 added), accB: output i + 1 (column 0 added).
      let x1 = x0 + cB;
      let accA = fma(v128.load(x0), w00, b);
      accA = fma(v128.load(x0 + rowB), w10, accA);
      accA = fma(v128.load(x0 + 2 * rowB), w20, accA);
      let c0 = v128.load(x1), c1 = v128.load(x1 + rowB), c2 = v128.load(x1 + 2 * rowB);
      accA = fma(c0, w01, accA);
      accA = fma(c1, w11, accA);
      accA = fma(c2, w21, accA);
      let accB = fma(c0, w00, b);
      accB = fma(c1, w10, accB);
      accB = fma(c2, w20, accB);
      let xc = x1 + cB;
      for (let i = 0; i < count; i++) {
        c0 = v128.load(xc);
        c1 = v128.load(xc + rowB);
        c2 = v128.load(xc + 2 * rowB);
        let out = fma(c0, w02, accA);
        out = fma(c1, w12, out);
        out = fma(c2, w22, out);
        accA = fma(c0, w01, accB);
        accA = fma(c1, w11, accA);
        accA = fma(c2, w21, accA);
        accB = fma(c0, w00, v128.load(bp));
        accB = fma(c1, w10, accB);
        accB = fma(c2, w20, accB);
        if (r0 != 0) {
          out = f32x4.add(out, v128.load(r0));
          r0 += cB;
        }
        v128.store(y0, out);
        y0 += cB;
        xc += cB;
      }
    } else {
      // Stride 2: accA holds output i with column 0 added; columns 1 and 2 complete it, column 2 starts i + 1.
      let accA = fma(v128.load(x0), w00, b);
      accA = fma(v128.load(x0 + rowB), w10, accA);
      accA = fma(v128.load(x0 + 2 * rowB), w20, accA);
      let xc = x0 + cB;
      let step = cB << 1;
      for (let i = 0; i < count; i++) {
        let out = fma(v128.load(xc), w01, accA);
        out = fma(v128.load(xc + rowB), w11, out);
        out = fma(v128.load(xc + 2 * rowB), w21, out);
        let x2 = xc + cB;
        let c0 = v128.load(x2), c1 = v128.load(x2 + rowB), c2 = v128.load(x2 + 2 * rowB);
        out = fma(c0, w02, out);
        out = fma(c1, w12, out);
        out = fma(c2, w22, out);
        accA = fma(c0, w00, v128.load(bp));
        accA = fma(c1, w10, accA);
        accA = fma(c2, w20, accA);
        if (r0 != 0) {
          out = f32x4.add(out, v128.load(r0));
          r0 += cB;
        }
        v128.store(y0, out);
        y0 += cB;
        xc += step;
      }
    }
    if (act == 1 || act == 2) {
      let vlo = f32x4.splat(act == 1 ? 0.0 : lo);
      let vhi = f32x4.splat(act == 1 ? Infinity : hi);
      let yy = yp + o;
      for (let i = 0; i < count; i++) {
        v128.store(yy, f32x4.pmin(f32x4.pmax(vlo, v128.load(yy)), vhi));
        yy += cB;
      }
    } else if (act > 2) {
      let yy = yp + o;
      for (let i = 0; i < count; i++) {
        v128.store(yy, actV(v128.load(yy), act, lo, hi));
        yy += cB;
      }
    }
  }
}

/**
 * One kernel row (TAPS = 3 or 5 taps, dilation 1) of a window over output pixels [0, count) of a row:
 * y[i] = (acc ? y[i] : bias) + Σ_kx x[i·s + kx]·w[kx], channels [0, Cv). The weight vectors stay in
 * registers; a trip loads TAPS + 1 vectors (taps + the running sum) for TAPS multiply-adds.
 * Inlined into dwRow3 / dwRow5 with a constant TAPS, so the branches on it fold away.
 */
// @ts-ignore: decorator
@inline function dwRowTaps(TAPS: i32, xp: usize, sxB: usize, cB: usize, Cv: i32, Cp: i32, count: i32, wrow: usize, bias: usize, acc: bool, yp: usize, zero16: usize): void {
  let wtB = <usize>Cp << 2;
  for (let c = 0; c < Cv; c += 4) {
    let o = <usize>c << 2;
    let w = wrow + o;
    let w0 = v128.load(w), w1 = v128.load(w + wtB), w2 = v128.load(w + 2 * wtB);
    let w3 = TAPS == 5 ? v128.load(w + 3 * wtB) : f32x4.splat(0.0);
    let w4 = TAPS == 5 ? v128.load(w + 4 * wtB) : f32x4.splat(0.0);
    let y0 = yp + o;
    // The running sum comes from y (acc) or from the bias, re-read each trip (step 0).
    let src = acc ? y0 : bias != 0 ? bias + o : zero16;
    let srcStep: usize = acc ? cB : 0;
    let x0 = xp + o;
    for (let i = 0; i < count; i++) {
      let s0 = fma(v128.load(x0), w0, v128.load(src));
      let s1 = f32x4.mul(v128.load(x0 + cB), w1);
      s0 = fma(v128.load(x0 + 2 * cB), w2, s0);
      if (TAPS == 5) {
        s1 = fma(v128.load(x0 + 3 * cB), w3, s1);
        s0 = fma(v128.load(x0 + 4 * cB), w4, s0);
      }
      v128.store(y0, f32x4.add(s0, s1));
      src += srcStep;
      y0 += cB;
      x0 += sxB;
    }
  }
}

function dwRow3(xp: usize, sxB: usize, cB: usize, Cv: i32, Cp: i32, count: i32, wrow: usize, bias: usize, acc: bool, yp: usize, zero16: usize): void {
  dwRowTaps(3, xp, sxB, cB, Cv, Cp, count, wrow, bias, acc, yp, zero16);
}

function dwRow5(xp: usize, sxB: usize, cB: usize, Cv: i32, Cp: i32, count: i32, wrow: usize, bias: usize, acc: bool, yp: usize, zero16: usize): void {
  dwRowTaps(5, xp, sxB, cB, Cv, Cp, count, wrow, bias, acc, yp, zero16);
}

/** y[i] = act(y[i] + res[i]) for output pixels [0, count) of a row, channels [0, Cv) (res 0 = none). */
function dwFinishRow(yp: usize, rp: usize, cB: usize, Cv: i32, count: i32, act: i32, lo: f32, hi: f32): void {
  if (rp == 0 && act == 0) return;
  for (let c = 0; c < Cv; c += 4) {
    let o = <usize>c << 2;
    dwFinishBlock(yp + o, rp != 0 ? rp + o : 0, cB, count, act, lo, hi);
  }
}

/** y[i] = act(y[i] + res[i]) for `count` pixels (stride cB) of one 4-channel vector (r0 0 = no residual). */
export function dwFinishBlock(y0: usize, r0: usize, cB: usize, count: i32, act: i32, lo: f32, hi: f32): void {
  if (act == 1 || act == 2) {
    // Relu / clip inline, residual in the same pass: a call in the loop (actV) makes V8 spill around it, ~3x slower.
    let vlo = f32x4.splat(act == 1 ? 0.0 : lo);
    let vhi = f32x4.splat(act == 1 ? Infinity : hi);
    for (let i = 0; i < count; i++) {
      let v = v128.load(y0);
      if (r0 != 0) {
        v = f32x4.add(v, v128.load(r0));
        r0 += cB;
      }
      v128.store(y0, f32x4.pmin(f32x4.pmax(vlo, v), vhi));
      y0 += cB;
    }
    return;
  }
  let y1 = y0;
  if (r0 != 0) {
    for (let i = 0; i < count; i++) {
      v128.store(y1, f32x4.add(v128.load(y1), v128.load(r0)));
      r0 += cB;
      y1 += cB;
    }
  }
  if (act != 0) {
    for (let i = 0; i < count; i++) {
      v128.store(y0, actV(v128.load(y0), act, lo, hi));
      y0 += cB;
    }
  }
}

export function dwconv2d(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, wpk: usize, bias: usize, y: usize, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32): void {
  v128.store(ZERO16, f32x4.splat(0.0));
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
  let rowTaps = (kw == 5 || kw == 3) && dw == 1 && sw <= 2;
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
    let slide = is3x3 && rowIn && dh == 1;
    if (Cv > 0 && (slide || rowTaps)) {
      fa = imax(oxa, oxLo);
      fb = imax(fa, imin(oxb, oxHi));
      // The per-kernel-row path skips rows in the padding; a window entirely in it goes per pixel.
      if (!slide) {
        let any = false;
        for (let ky = 0; ky < kh; ky++) any = any || (iy0 + ky * dh >= 0 && iy0 + ky * dh < H);
        if (!any) fb = fa;
      }
    }
    for (let ox = oxa; ox < oxb; ox++) {
      if (ox == fa && fb > fa) {
        // Interior run: vector channel groups slide along the row, then tail channels per pixel.
        let yq = yRow + <usize>fa * cB;
        let rq = rRow != 0 ? rRow + <usize>fa * cB : 0;
        if (slide) {
          let xp = img + <usize>iy0 * rowB + <usize>(fa * sw - pl) * cB;
          dw3x3Row(xp, rowB, cB, sw, Cv, Cp, fb - fa, wpk, bias, yq, rq, act, a0, a1, ZERO16);
        } else {
          let first = true;
          for (let ky = 0; ky < kh; ky++) {
            let iy = iy0 + ky * dh;
            if (iy < 0 || iy >= H) continue;
            let xp = img + <usize>iy * rowB + <usize>(fa * sw - pl) * cB;
            let wrow = wpk + <usize>(ky * kw) * (<usize>Cp << 2);
            if (kw == 5) dwRow5(xp, <usize>sw * cB, cB, Cv, Cp, fb - fa, wrow, bias, !first, yq, ZERO16);
            else dwRow3(xp, <usize>sw * cB, cB, Cv, Cp, fb - fa, wrow, bias, !first, yq, ZERO16);
            first = false;
          }
          dwFinishRow(yq, rq, cB, Cv, fb - fa, act, a0, a1);
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
