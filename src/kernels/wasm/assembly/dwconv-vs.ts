/**
 * Vector-sparse depthwise convolution (NHWC): DEPrune with the CPU's SIMD width as the sub-GEMM row.
 * Under DR a group's sub-GEMM rows are (channel, tap) pairs; when pruning removes (4-channel block,
 * tap) units (PruneOptions.lanes = 4), the 4 channels of a SIMD vector share their kept taps, so the
 * NHWC kernel skips a pruned tap for the whole vector with no layout change (dwconv2d_dr pays two
 * transposes for element-level masks). Exact for any weights: a block skips only taps where all its
 * channels are zero.
 *
 * Table `vs` (packDepthwiseVs, packing.ts), nb = ceil(C / 4) blocks, E kept (block, tap) entries:
 *   i32 start[nb + 1]        entries of block b are [start[b], start[b + 1])
 *   i32 tap[E]               ky·kw + kx
 *   (zero pad to 16 bytes)
 *   f32 w[E][4]              the block's 4 channel weights at that tap (0 past C)
 *
 * Every output pixel of the vector channels takes the sparse path: per block, up to 8 kept taps per
 * pass with their weights and offsets in locals (one input load and one multiply-add per kept tap
 * and pixel; more taps take further passes accumulating through y). A row's interior columns run as
 * one run (in rows that reach into the padding, without the taps there). Border columns and the
 * C % 4 tail channels run the dense per-pixel path on the dense packing `wpk` (zeros included).
 */
import { fma, imin, imax } from "./common";
import { dwFinishBlock, dwPixel } from "./dwconv";

const ZERO16: usize = 512;

// @ts-ignore: decorator
@inline function vsPass(K: i32, xp: usize, sxB: usize, cB: usize, count: i32, o: usize, wt: usize, src: usize, srcStep: usize, yp: usize): void {
  // Offsets and weights of up to 8 taps live in locals; branches on the constant K fold away.
  let o0 = K > 0 ? load<i32>(o) : 0, o1 = K > 1 ? load<i32>(o, 4) : 0, o2 = K > 2 ? load<i32>(o, 8) : 0, o3 = K > 3 ? load<i32>(o, 12) : 0;
  let o4 = K > 4 ? load<i32>(o, 16) : 0, o5 = K > 5 ? load<i32>(o, 20) : 0, o6 = K > 6 ? load<i32>(o, 24) : 0, o7 = K > 7 ? load<i32>(o, 28) : 0;
  let z = f32x4.splat(0.0);
  let w0 = K > 0 ? v128.load(wt) : z, w1 = K > 1 ? v128.load(wt, 16) : z, w2 = K > 2 ? v128.load(wt, 32) : z, w3 = K > 3 ? v128.load(wt, 48) : z;
  let w4 = K > 4 ? v128.load(wt, 64) : z, w5 = K > 5 ? v128.load(wt, 80) : z, w6 = K > 6 ? v128.load(wt, 96) : z, w7 = K > 7 ? v128.load(wt, 112) : z;
  for (let i = 0; i < count; i++) {
    // Two chains so consecutive multiply-adds do not wait on each other.
    let a = v128.load(src);
    let b = z;
    if (K > 0) a = fma(v128.load(xp + <usize>o0), w0, a);
    if (K > 1) b = fma(v128.load(xp + <usize>o1), w1, b);
    if (K > 2) a = fma(v128.load(xp + <usize>o2), w2, a);
    if (K > 3) b = fma(v128.load(xp + <usize>o3), w3, b);
    if (K > 4) a = fma(v128.load(xp + <usize>o4), w4, a);
    if (K > 5) b = fma(v128.load(xp + <usize>o5), w5, b);
    if (K > 6) a = fma(v128.load(xp + <usize>o6), w6, a);
    if (K > 7) b = fma(v128.load(xp + <usize>o7), w7, b);
    v128.store(yp, K > 1 ? f32x4.add(a, b) : a);
    src += srcStep;
    yp += cB;
    xp += sxB;
  }
}

function vsPass1(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(1, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass2(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(2, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass3(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(3, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass4(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(4, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass5(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(5, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass6(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(6, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass7(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(7, xp, sxB, cB, n, o, wt, src, ss, yp); }
function vsPass8(xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void { vsPass(8, xp, sxB, cB, n, o, wt, src, ss, yp); }

/** One pass of k ≤ 8 taps (k = 0: the bias alone), through the variant specialised for k. */
function vsPassK(k: i32, xp: usize, sxB: usize, cB: usize, n: i32, o: usize, wt: usize, src: usize, ss: usize, yp: usize): void {
  if (k == 0) vsPass(0, xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 1) vsPass1(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 2) vsPass2(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 3) vsPass3(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 4) vsPass4(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 5) vsPass5(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 6) vsPass6(xp, sxB, cB, n, o, wt, src, ss, yp);
  else if (k == 7) vsPass7(xp, sxB, cB, n, o, wt, src, ss, yp);
  else vsPass8(xp, sxB, cB, n, o, wt, src, ss, yp);
}

/**
 * A run of output pixels [0, count) of one row whose windows see the same taps inside the image
 * (kernel rows [ky0, ky1), columns [kx0, kx1)), vector channels [0, Cv). The window origin of
 * output 0 is (iy0, ix0) of image `img` (it may lie in the padding: tap offsets are taken from the
 * image start, so every address stays inside the tensor). scr: 8 tap
 * offsets (32 bytes) then 8 weight vectors (128 bytes) of a border pass; rel: every entry's offset
 * from the window origin (interior passes), then every entry's (ky << 16 | kx) (border passes).
 */
function vsRun(img: usize, iy0: i32, ix0: i32, sxB: usize, cB: usize, rowB: usize, kh: i32, kw: i32, dh: i32, dw: i32, ky0: i32, ky1: i32, kx0: i32, kx1: i32, Cv: i32, count: i32, vs: usize, E: i32, wAt: usize, rel: usize, bias: usize, yp: usize, rp: usize, act: i32, lo: f32, hi: f32, scr: usize): void {
  let nbv = Cv >> 2;
  let offs = scr;
  let wts = scr + 32;
  // Every tap inside (interior columns of an interior row): the table's weights and the offsets
  // relative to the window origin (precomputed per call) are used in place.
  let full = ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw;
  let origin = full ? img + <usize>iy0 * rowB + <usize>ix0 * cB : img;
  for (let blk = 0; blk < nbv; blk++) {
    let ob = <usize>blk << 4;
    let e0 = load<i32>(vs + (<usize>blk << 2));
    let e1 = load<i32>(vs + (<usize>blk << 2), 4);
    let x0 = origin + ob;
    let y0 = yp + ob;
    let src = bias != 0 ? bias + ob : ZERO16;
    let srcStep: usize = 0;
    if (full) {
      if (e1 == e0) vsPassK(0, x0, sxB, cB, count, offs, wts, src, srcStep, y0);
      for (let e = e0; e < e1; e += 8) {
        let k = imin(8, e1 - e);
        let o = rel + (<usize>e << 2);
        let wt = wAt + (<usize>e << 4);
        vsPassK(k, x0, sxB, cB, count, o, wt, src, srcStep, y0);
        src = y0;
        srcStep = cB;
      }
      if (rp != 0 || act != 0) dwFinishBlock(y0, rp != 0 ? rp + ob : 0, cB, count, act, lo, hi);
      continue;
    }
    let e = e0;
    let passes = 0;
    while (e < e1 || passes == 0) {
      // Gather up to 8 kept taps inside the image into the pass tables.
      let k = 0;
      while (e < e1 && k < 8) {
        // (ky, kx) of the entry, precomputed per call (no division here).
        let yx = load<i32>(rel + (<usize>(E + e) << 2));
        let ky = yx >> 16;
        let kx = yx & 0xffff;
        if (ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1) {
          store<i32>(offs + (<usize>k << 2), <i32>(<usize>(iy0 + ky * dh) * rowB + <usize>(ix0 + kx * dw) * cB));
          v128.store(wts + (<usize>k << 4), v128.load(wAt + (<usize>e << 4)));
          k++;
        }
        e++;
      }
      if (k == 0 && passes > 0) break;
      vsPassK(k, x0, sxB, cB, count, offs, wts, src, srcStep, y0);
      // Later passes accumulate into y.
      src = y0;
      srcStep = cB;
      passes++;
    }
    // Epilogue per block while its row of outputs is in L1 (in the pass loop it would cost registers).
    if (rp != 0 || act != 0) dwFinishBlock(y0, rp != 0 ? rp + ob : 0, cB, count, act, lo, hi);
  }
}

/** Same ABI as dwconv2d plus `vs` (the vector-sparse table) after the dense weights. */
export function dwconv2dVs(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, wpk: usize, vs: usize, bias: usize, y: usize, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, scratch: usize): void {
  v128.store(ZERO16, f32x4.splat(0.0));
  let Cp = (C + 3) & ~3;
  let Cv = C & ~3;
  let cB = <usize>C << 2;
  let rowB = <usize>W * cB;
  let ohw = OH * OW;
  let nb = Cp >> 2;
  let E = load<i32>(vs + (<usize>nb << 2));
  let tapsAt = vs + (<usize>(nb + 1) << 2);
  let wAt = (tapsAt + (<usize>E << 2) + 15) & ~(<usize>15);
  // Per entry: its tap's offset from the window origin, then (ky << 16 | kx) (after the 160 bytes of pass tables).
  let rel = scratch + 160;
  for (let e = 0; e < E; e++) {
    let t = load<i32>(tapsAt + (<usize>e << 2));
    let ky = t / kw;
    let kx = t - ky * kw;
    store<i32>(rel + (<usize>e << 2), <i32>(<usize>(ky * dh) * rowB + <usize>(kx * dw) * cB));
    store<i32>(rel + (<usize>(E + e) << 2), (ky << 16) | kx);
  }
  // Interior output columns: every horizontal tap inside [0, W).
  let oxLo = imin(OW, (pl + sw - 1) / sw);
  let oxHi = imin(OW, (W - 1 - (kw - 1) * dw + pl) / sw + 1);
  if (W - 1 - (kw - 1) * dw + pl < 0) oxHi = 0;
  oxHi = imax(oxHi, oxLo);
  let p = p0;
  while (p < p1) {
    let n = p / ohw;
    let r = p - n * ohw;
    let oy = r / OW;
    let oxa = r - oy * OW;
    let oxb = imin(OW, oxa + (p1 - p));
    let img = x + <usize>n * <usize>H * rowB;
    let iy0 = oy * sh - pt;
    let ky0 = 0, ky1 = kh;
    while (ky0 < kh && iy0 + ky0 * dh < 0) ky0++;
    while (ky1 > ky0 && iy0 + (ky1 - 1) * dh >= H) ky1--;
    let yRow = y + (<usize>(p - oxa) * cB);
    let rRow = res != 0 ? res + (<usize>(p - oxa) * cB) : 0;
    // Vector channels: the interior columns as one sparse run (rows in the padding drop their taps);
    // border columns per pixel on the dense packing, whose per-pixel path costs less than a sparse
    // run's per-block setup.
    if (Cv > 0) {
      let ox = oxa;
      while (ox < oxb) {
        if (ox < oxLo || ox >= oxHi) {
          dwPixel(img, H, W, C, Cp, iy0, ox * sw - pl, kh, kw, dh, dw, wpk, bias, yRow + <usize>ox * cB, rRow != 0 ? rRow + <usize>ox * cB : 0, act, a0, a1, 0);
          ox++;
          continue;
        }
        let run = imin(oxb, oxHi) - ox;
        let ix0 = ox * sw - pl;
        let kx0 = 0, kx1 = kw;
        while (kx0 < kw && ix0 + kx0 * dw < 0) kx0++;
        while (kx1 > kx0 && ix0 + (kx1 - 1) * dw >= W) kx1--;
        vsRun(img, iy0, ix0, <usize>sw * cB, cB, rowB, kh, kw, dh, dw, ky0, ky1, kx0, kx1, Cv, run, vs, E, wAt, rel, bias, yRow + <usize>ox * cB, rRow != 0 ? rRow + <usize>ox * cB : 0, act, a0, a1, scratch);
        ox += run;
      }
    }
    if (Cv < C) {
      // Tail channels of the interior columns (border columns got every channel above), or of all when Cv = 0.
      let qa = Cv > 0 ? imax(oxa, oxLo) : oxa, qb = Cv > 0 ? imin(oxb, oxHi) : oxb;
      for (let q = qa; q < qb; q++) dwPixel(img, H, W, C, Cp, iy0, q * sw - pl, kh, kw, dh, dw, wpk, bias, yRow + <usize>q * cB, rRow != 0 ? rRow + <usize>q * cB : 0, act, a0, a1, Cv);
    }
    p += oxb - oxa;
  }
}
