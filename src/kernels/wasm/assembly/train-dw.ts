/**
 * Training kernels of depthwise convolution (group = C = Cout, NHWC with dense channels, weights
 * OIHW [C][1][kh][kw]; gradients accumulate), SIMD over channels:
 *
 * - dwconv2d_wgrad: dW[c][ky][kx] += Σ x[n, iy, ix, c]·dy[n, oy, ox, c], db[c] += Σ dy. Items are
 *   (block of 16 channels, tap); pixels go in blocks of whole output rows fixed by the layer, each
 *   item adds a block's sums into its 16-float slot of `acc` and the call ends by adding its
 *   items' slots into dW (and db).
 * - dwconv2d_dgrad: dX[n, iy, ix, c] += Σ dy[n, oy, ox, c]·w[c][ky][kx] over the taps with
 *   oy·sh = iy + pt − ky·dh (and likewise in x), per dX pixel in [p0, p1) (any stride, dilation,
 *   padding); 3x3 stride-1 undilated rows whose taps are all inside dY slide a window with the 9
 *   (flipped) weight vectors in registers. Weights in the forward depthwise packing [kh·kw][Cp].
 *
 * Any split of a work range gives bit-identical results.
 */
import { fma, imin, imax, zeroF32 } from "./common";

const DW_DY_BLOCK_BYTES: i32 = 32 * 1024;
const DW_MIN_PIXELS: i32 = 64;
const DW_MAX_PIXELS: i32 = 2048;
/** Channels per wgrad item (4 vectors). */
const DW_CB: i32 = 16;

function dwBlockRows(rows: i32, OW: i32, C: i32): i32 {
  let rowB = <i64>OW * <i64>C * 4;
  let r = <i32>(<i64>DW_DY_BLOCK_BYTES / (rowB > 0 ? rowB : 1));
  r = imax(r, (DW_MIN_PIXELS + OW - 1) / OW);
  r = imin(r, imax(1, DW_MAX_PIXELS / OW));
  return imax(1, imin(r, rows));
}

/** Bytes of the dwconv2d_wgrad accumulator workspace: ceil(C/16)·(kh·kw + 1)·64. */
export function dwWgAccBytes(C: i32, kh: i32, kw: i32): i32 {
  return ((C + DW_CB - 1) / DW_CB) * (kh * kw + 1) * 64;
}

/**
 * NV (4 or 1) channel vectors of one item over one block: x at xB (channel c of pixel 0 of image 0),
 * dY at dyB (channel c of the block's first pixel), rows [r0, r1), valid columns [oxa, oxb); the
 * block's sums are added into accP[0 .. 4·NV).
 */
// @ts-ignore: decorator
@inline function dwWgRun(NV: i32, xB: usize, H: i32, W: i32, cB: usize, dyB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  let z = f32x4.splat(0.0);
  let a0 = z, a1 = z, a2 = z, a3 = z;
  let pixXB = <usize>sw * cB;
  let cnt0 = oxb - oxa;
  let n = r0 / OH;
  let oy = r0 - n * OH;
  let r = r0;
  let xp: usize = 0, dp: usize = 0;
  let cnt = 0;
  let rowD = dyB + <usize>oxa * cB;
  let rowDB = <usize>OW * cB;
  while (true) {
    let nx: usize = 0, nd: usize = 0;
    let more = false;
    while (r < r1) {
      let iy = oy * sh + iyOff;
      let rx = xB + (<usize>(n * H + iy) * <usize>W + <usize>ixa) * cB;
      let rd = rowD;
      r++;
      rowD += rowDB;
      if (++oy == OH) {
        oy = 0;
        n++;
      }
      if (iy < 0 || iy >= H) continue;
      if (cnt == 0) {
        xp = rx;
        dp = rd;
        cnt = cnt0;
        continue;
      }
      if (rx == xp + <usize>cnt * pixXB && rd == dp + <usize>cnt * cB) {
        cnt += cnt0;
        continue;
      }
      nx = rx;
      nd = rd;
      more = true;
      break;
    }
    if (cnt == 0) break;
    for (let k = 0; k < cnt; k++) {
      a0 = fma(v128.load(xp), v128.load(dp), a0);
      if (NV > 1) {
        a1 = fma(v128.load(xp, 16), v128.load(dp, 16), a1);
        a2 = fma(v128.load(xp, 32), v128.load(dp, 32), a2);
        a3 = fma(v128.load(xp, 48), v128.load(dp, 48), a3);
      }
      xp += pixXB;
      dp += cB;
    }
    if (!more) break;
    xp = nx;
    dp = nd;
    cnt = cnt0;
  }
  v128.store(accP, f32x4.add(v128.load(accP), a0));
  if (NV > 1) {
    v128.store(accP, f32x4.add(v128.load(accP, 16), a1), 16);
    v128.store(accP, f32x4.add(v128.load(accP, 32), a2), 32);
    v128.store(accP, f32x4.add(v128.load(accP, 48), a3), 48);
  }
}

function dwWgRun4(xB: usize, H: i32, W: i32, cB: usize, dyB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  dwWgRun(4, xB, H, W, cB, dyB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}
function dwWgRun1(xB: usize, H: i32, W: i32, cB: usize, dyB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  dwWgRun(1, xB, H, W, cB, dyB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}

/** One scalar channel of an item over one block (the C % 4 tail), as dwWgRun without run merging. */
function dwWgRunS(xB: usize, H: i32, W: i32, cB: usize, dyB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  let s: f32 = 0;
  let pixXB = <usize>sw * cB;
  let n = r0 / OH;
  let oy = r0 - n * OH;
  let rowD = dyB + <usize>oxa * cB;
  for (let r = r0; r < r1; r++) {
    let iy = oy * sh + iyOff;
    if (iy >= 0 && iy < H) {
      let xp = xB + (<usize>(n * H + iy) * <usize>W + <usize>ixa) * cB;
      let dp = rowD;
      for (let k = oxa; k < oxb; k++) {
        s += load<f32>(xp) * load<f32>(dp);
        xp += pixXB;
        dp += cB;
      }
    }
    rowD += <usize>OW * cB;
    if (++oy == OH) {
      oy = 0;
      n++;
    }
  }
  store<f32>(accP, load<f32>(accP) + s);
}

/** accP[0..nch) += Σ over `count` pixels of dY channels [0, nch) at dp (pixel stride cB). */
function dwBiasBlock(dp: usize, count: i32, cB: usize, nch: i32, accP: usize): void {
  let c = 0;
  for (; c + 4 <= nch; c += 4) {
    let s = f32x4.splat(0.0);
    let q = dp + (<usize>c << 2);
    for (let i = 0; i < count; i++) {
      s = f32x4.add(s, v128.load(q));
      q += cB;
    }
    let o = accP + (<usize>c << 2);
    v128.store(o, f32x4.add(v128.load(o), s));
  }
  for (; c < nch; c++) {
    let s: f32 = 0;
    let q = dp + (<usize>c << 2);
    for (let i = 0; i < count; i++) {
      s += load<f32>(q);
      q += cB;
    }
    let o = accP + (<usize>c << 2);
    store<f32>(o, load<f32>(o) + s);
  }
}

// @ts-ignore: decorator
@inline function ceilDivPos(a: i32, s: i32): i32 { return a <= 0 ? 0 : (a + s - 1) / s; }

/**
 * dwconv2d_wgrad(x, H, W, C, dy, N, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, dW, db, acc, i0, i1):
 * items [i0, i1) of ceil(C/16)·kh·kw, item = channel block·kh·kw + tap. acc: dwWgAccBytes.
 */
export function dwconv2dWgrad(x: usize, H: i32, W: i32, C: i32, dy: usize, N: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, dW: usize, db: usize, acc: usize, i0: i32, i1: i32): void {
  if (i1 <= i0) return;
  let taps = kh * kw;
  let CB = (C + DW_CB - 1) / DW_CB;
  let items = CB * taps;
  let accBias = acc + <usize>items * 64;
  for (let i = i0; i < i1; i++) {
    zeroF32(acc + <usize>i * 64, 16);
    if (db != 0 && i % taps == 0) zeroF32(accBias + <usize>(i / taps) * 64, 16);
  }
  let rows = N * OH;
  let rb = dwBlockRows(rows, OW, C);
  let cB = <usize>C << 2;
  for (let r0 = 0; r0 < rows; r0 += rb) {
    let r1 = imin(r0 + rb, rows);
    let blockDy = dy + <usize>r0 * <usize>OW * cB;
    for (let i = i0; i < i1; i++) {
      let tap = i % taps;
      let cb = i / taps;
      let c0 = cb * DW_CB;
      let nch = imin(DW_CB, C - c0);
      let ky = tap / kw;
      let kx = tap - ky * kw;
      let oxa = ceilDivPos(pl - kx * dw, sw);
      let lastX = W - 1 + pl - kx * dw;
      let oxb = lastX < 0 ? 0 : imin(OW, lastX / sw + 1);
      let accP = acc + <usize>i * 64;
      let dyB = blockDy + (<usize>c0 << 2);
      if (oxb > oxa) {
        let xB = x + (<usize>c0 << 2);
        let ixa = oxa * sw - pl + kx * dw;
        let iyOff = ky * dh - pt;
        if (nch == DW_CB) dwWgRun4(xB, H, W, cB, dyB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
        else {
          let c = 0;
          for (; c + 4 <= nch; c += 4) dwWgRun1(xB + (<usize>c << 2), H, W, cB, dyB + (<usize>c << 2), r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP + (<usize>c << 2));
          for (; c < nch; c++) dwWgRunS(xB + (<usize>c << 2), H, W, cB, dyB + (<usize>c << 2), r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP + (<usize>c << 2));
        }
      }
      if (db != 0 && tap == 0) dwBiasBlock(dyB, (r1 - r0) * OW, cB, nch, accBias + <usize>cb * 64);
    }
  }
  for (let i = i0; i < i1; i++) {
    let tap = i % taps;
    let cb = i / taps;
    let c0 = cb * DW_CB;
    let nch = imin(DW_CB, C - c0);
    let accP = acc + <usize>i * 64;
    for (let j = 0; j < nch; j++) {
      let o = dW + (<usize>((c0 + j) * taps + tap) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(accP + (<usize>j << 2)));
    }
    if (db != 0 && tap == 0) {
      for (let j = 0; j < nch; j++) {
        let o = db + (<usize>(c0 + j) << 2);
        store<f32>(o, load<f32>(o) + load<f32>(accBias + <usize>cb * 64 + (<usize>j << 2)));
      }
    }
  }
}

/**
 * dX[p, c0..C) += Σ over the tap list (byte offsets of dY pixels from dyImg, of weight rows from
 * wpk; `cnt` entries as u32 pairs at list) of dy·w.
 */
function dwDgPixel(dyImg: usize, list: usize, cnt: i32, wpk: usize, xp: usize, C: i32, c0: i32): void {
  let c = c0;
  for (; c + 16 <= C; c += 16) {
    let o = <usize>c << 2;
    let s0 = v128.load(xp + o), s1 = v128.load(xp + o, 16), s2 = v128.load(xp + o, 32), s3 = v128.load(xp + o, 48);
    for (let e = 0; e < cnt; e++) {
      let dp = dyImg + <usize>load<u32>(list + (<usize>e << 3)) + o;
      let wp = wpk + <usize>load<u32>(list + (<usize>e << 3), 4) + o;
      s0 = fma(v128.load(dp), v128.load(wp), s0);
      s1 = fma(v128.load(dp, 16), v128.load(wp, 16), s1);
      s2 = fma(v128.load(dp, 32), v128.load(wp, 32), s2);
      s3 = fma(v128.load(dp, 48), v128.load(wp, 48), s3);
    }
    v128.store(xp + o, s0);
    v128.store(xp + o, s1, 16);
    v128.store(xp + o, s2, 32);
    v128.store(xp + o, s3, 48);
  }
  for (; c + 4 <= C; c += 4) {
    let o = <usize>c << 2;
    let s = v128.load(xp + o);
    for (let e = 0; e < cnt; e++) {
      let dp = dyImg + <usize>load<u32>(list + (<usize>e << 3)) + o;
      let wp = wpk + <usize>load<u32>(list + (<usize>e << 3), 4) + o;
      s = fma(v128.load(dp), v128.load(wp), s);
    }
    v128.store(xp + o, s);
  }
  for (; c < C; c++) {
    let o = <usize>c << 2;
    let s = load<f32>(xp + o);
    for (let e = 0; e < cnt; e++) {
      let dp = dyImg + <usize>load<u32>(list + (<usize>e << 3)) + o;
      let wp = wpk + <usize>load<u32>(list + (<usize>e << 3), 4) + o;
      s += load<f32>(dp) * load<f32>(wp);
    }
    store<f32>(xp + o, s);
  }
}

/**
 * 3x3, stride 1, dilation 1, all 9 taps inside dY: dX pixels [0, count) of a row, channels [0, Cv).
 * dyp: dY at (row iy + pt − 2, column ix + pl − 2) of the first pixel. dX[i] += Σ_{a,b} dY[a][i + b]·w[2 − a][2 − b]:
 * the forward sliding window (dwconv.ts dw3x3Row) with the flipped kernel, reading each dY column once.
 */
function dwDg3x3Row(dyp: usize, rowB: usize, cB: usize, Cv: i32, Cp: i32, count: i32, wpk: usize, xp: usize): void {
  let wtB = <usize>Cp << 2;
  for (let c = 0; c < Cv; c += 4) {
    let o = <usize>c << 2;
    let w = wpk + o;
    // f{a}{b} = w[2 − a][2 − b] (tap (2 − a)·3 + 2 − b = 8 − 3a − b)
    let f00 = v128.load(w + 8 * wtB), f01 = v128.load(w + 7 * wtB), f02 = v128.load(w + 6 * wtB);
    let f10 = v128.load(w + 5 * wtB), f11 = v128.load(w + 4 * wtB), f12 = v128.load(w + 3 * wtB);
    let f20 = v128.load(w + 2 * wtB), f21 = v128.load(w + wtB), f22 = v128.load(w);
    let d0 = dyp + o;
    let x0 = xp + o;
    let d1 = d0 + cB;
    // accA: pixel i with columns 0, 1 added; accB: pixel i + 1 with column 0 (= this column 1) added.
    let accA = f32x4.mul(v128.load(d0), f00);
    accA = fma(v128.load(d0 + rowB), f10, accA);
    accA = fma(v128.load(d0 + 2 * rowB), f20, accA);
    let c0 = v128.load(d1), c1 = v128.load(d1 + rowB), c2 = v128.load(d1 + 2 * rowB);
    accA = fma(c0, f01, accA);
    accA = fma(c1, f11, accA);
    accA = fma(c2, f21, accA);
    let accB = f32x4.mul(c0, f00);
    accB = fma(c1, f10, accB);
    accB = fma(c2, f20, accB);
    let dc = d1 + cB;
    for (let i = 0; i < count; i++) {
      c0 = v128.load(dc);
      c1 = v128.load(dc + rowB);
      c2 = v128.load(dc + 2 * rowB);
      let out = fma(c0, f02, accA);
      out = fma(c1, f12, out);
      out = fma(c2, f22, out);
      accA = fma(c0, f01, accB);
      accA = fma(c1, f11, accA);
      accA = fma(c2, f21, accA);
      accB = f32x4.mul(c0, f00);
      accB = fma(c1, f10, accB);
      accB = fma(c2, f20, accB);
      v128.store(x0, f32x4.add(v128.load(x0), out));
      x0 += cB;
      dc += cB;
    }
  }
}

/** Builds the tap list of dX pixel (iy, ix) at `list`; returns its length. */
function dwDgTaps(iy: i32, ix: i32, OH: i32, OW: i32, C: i32, Cp: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, list: usize): i32 {
  let cnt = 0;
  for (let ky = 0; ky < kh; ky++) {
    let ty = iy + pt - ky * dh;
    if (ty < 0) break;
    let oy = ty / sh;
    if (oy * sh != ty || oy >= OH) continue;
    for (let kx = 0; kx < kw; kx++) {
      let tx = ix + pl - kx * dw;
      if (tx < 0) break;
      let ox = tx / sw;
      if (ox * sw != tx || ox >= OW) continue;
      store<u32>(list + (<usize>cnt << 3), <u32>((oy * OW + ox) * C) << 2);
      store<u32>(list + (<usize>cnt << 3), <u32>((ky * kw + kx) * Cp) << 2, 4);
      cnt++;
    }
  }
  return cnt;
}

/**
 * dwconv2d_dgrad(dy, OH, OW, C, H, W, kh, kw, sh, sw, dh, dw, pt, pl, wpk, dx, p0, p1, scratch):
 * dX pixels [p0, p1) of N·H·W. scratch: kh·kw·8 bytes (the pixel's tap list).
 */
export function dwconv2dDgrad(dy: usize, OH: i32, OW: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, wpk: usize, dx: usize, p0: i32, p1: i32, scratch: usize): void {
  let Cp = (C + 3) & ~3;
  let Cv = C & ~3;
  let cB = <usize>C << 2;
  let dyRowB = <usize>OW * cB;
  let dyImgB = <usize>OH * dyRowB;
  let hw = H * W;
  let slide = kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && Cv > 0;
  // dX columns whose 3 taps are all inside dY (stride 1): ix + pl − 2 ≥ 0 and ix + pl < OW.
  let ixLo = imax(0, 2 - pl);
  let ixHi = imin(W, OW - pl);
  let p = p0;
  while (p < p1) {
    let n = p / hw;
    let rem = p - n * hw;
    let iy = rem / W;
    let ixa = rem - iy * W;
    let ixb = imin(W, ixa + (p1 - p));
    let dyImg = dy + <usize>n * dyImgB;
    let xRow = dx + <usize>(p - ixa) * cB;
    let fa = ixb, fb = ixb;
    if (slide && iy + pt - 2 >= 0 && iy + pt < OH) {
      fa = imax(ixa, ixLo);
      fb = imax(fa, imin(ixb, ixHi));
    }
    for (let ix = ixa; ix < ixb; ix++) {
      if (ix == fa && fb > fa) {
        let dyp = dyImg + <usize>(iy + pt - 2) * dyRowB + <usize>(fa + pl - 2) * cB;
        dwDg3x3Row(dyp, dyRowB, cB, Cv, Cp, fb - fa, wpk, xRow + <usize>fa * cB);
        if (Cv < C) {
          for (let q = fa; q < fb; q++) {
            let cnt = dwDgTaps(iy, q, OH, OW, C, Cp, kh, kw, sh, sw, dh, dw, pt, pl, scratch);
            dwDgPixel(dyImg, scratch, cnt, wpk, xRow + <usize>q * cB, C, Cv);
          }
        }
        ix = fb - 1;
        continue;
      }
      let cnt = dwDgTaps(iy, ix, OH, OW, C, Cp, kh, kw, sh, sw, dh, dw, pt, pl, scratch);
      if (cnt > 0) dwDgPixel(dyImg, scratch, cnt, wpk, xRow + <usize>ix * cB, C, 0);
    }
    p += ixb - ixa;
  }
}

/** dwconv2d_pack_weights(w, C, taps, dst): [C][1][kh][kw] → [taps][Cp] (Cp = C rounded up to 4, zeros). */
export function dwconv2dPackWeights(w: usize, C: i32, taps: i32, dst: usize): void {
  let Cp = (C + 3) & ~3;
  for (let t = 0; t < taps; t++) {
    let d = dst + (<usize>(t * Cp) << 2);
    for (let c = 0; c < C; c++) store<f32>(d + (<usize>c << 2), load<f32>(w + (<usize>(c * taps + t) << 2)));
    for (let c = C; c < Cp; c++) store<f32>(d + (<usize>c << 2), 0.0);
  }
}
