/**
 * Training kernels of dense convolution (NHWC activations, OIHW weights, gradients accumulate):
 *
 * - conv2d_wgrad: dW[K, OC] += X̂ᵀ[K, P]·dY[P, OC] (K = (ky, kx, ci), P = N·OH·OW) and db += Σ dY.
 *   Work items are (oc tile of 8, tap, ci block of 4) — disjoint pieces of the output, so threads
 *   never write the same element. Pixels go in blocks of whole output rows (size fixed by the layer);
 *   per block each item runs a 4x8 register tile over the block's valid pixels of its tap (4 ci of x
 *   splatted from NHWC x, 8 channels of dY as two vectors; padding taps skipped, rows that continue
 *   in memory merged into one run) and adds the block's sums into its [4][8] slot of `acc`; the
 *   call ends by adding its items' slots into OIHW dW.
 * - conv2d_acc: the conv2d GEMM with y += X̂·W (no bias/epilogue) and output pixels on a strided
 *   grid y + (n·yn + oy·yr + ox·yp)·4: the sub-pixel (phase) convolutions of the data gradient,
 *   dX += conv_transpose(dY, W), one call per (row phase, column phase) of the stride.
 * - conv2d_pack_weights: OIHW → the conv2d tile layout, optionally in/out-transposed and with a
 *   strided / reversed tap subset (the phase kernels of conv2d_acc).
 *
 * Every item / pixel sums in an order fixed by the layer, so any split of a work range gives
 * bit-identical results.
 */
import { NR, CONV_TMP_BYTES, CONV_A_BYTES, CONV_MC_SMALL, CONV_MC_BIG, CONV_W_L2_BYTES } from "./layout";
import { copyF32, zeroF32, imin, imax, fma, stageRow, storeRow } from "./common";
import { gatherPanel } from "./conv";

// ---------------------------------------------------------------------------------------------
// Weight gradient
// ---------------------------------------------------------------------------------------------

/** Target bytes of one block's dY rows (they and the input rows under them stay in L1/L2 across all items). */
const WG_DY_BLOCK_BYTES: i32 = 16 * 1024;
/** Fewest / most pixels of a block (flushing a 4x8 tile costs ~24 ops, so blocks stay long). */
const WG_MIN_PIXELS: i32 = 128;
const WG_MAX_PIXELS: i32 = 1024;

/** Output rows per wgrad block: depends on the layer only (never on the work range). */
export function wgBlockRows(rows: i32, OW: i32, OC: i32): i32 {
  let rowB = <i64>OW * <i64>OC * 4;
  let r = <i32>(<i64>WG_DY_BLOCK_BYTES / imax64(rowB, 1));
  r = imax(r, (WG_MIN_PIXELS + OW - 1) / OW);
  r = imin(r, imax(1, WG_MAX_PIXELS / OW));
  return imax(1, imin(r, rows));
}

// @ts-ignore: decorator
@inline function imax64(a: i64, b: i64): i64 { return a > b ? a : b; }

/** Per-thread scratch of conv2d_wgrad: a staging copy of a partial (OC % 8) tile's dY block. */
export function wgScratchBytes(rows: i32, OW: i32, OC: i32): i32 {
  if (OC % NR == 0) return 0;
  return wgBlockRows(rows, OW, OC) * OW * (NR << 2);
}

/** Bytes of the shared accumulator workspace: items·128 + tiles·32. */
export function wgAccBytes(Cin: i32, kh: i32, kw: i32, OC: i32): i32 {
  let T = (OC + NR - 1) / NR;
  return T * kh * kw * ((Cin + 3) >> 2) * 128 + T * 32;
}

/**
 * One item's sums over one block: ROWS input channels at x (xB = channel ci of pixel 0 of image 0)
 * times 8 dY channels (dyB = pixel 0 of the block, pixel stride dyPB), output rows [r0, r1) of the
 * N·OH rows, the valid output columns [oxa, oxb) of this tap; the block's sums are added into the
 * item's [4][8] slot at accP. Runs of rows that continue in memory (x and dY) are one loop.
 */
// @ts-ignore: decorator
@inline function wgItem(ROWS: i32, xB: usize, H: i32, W: i32, xcB: usize, dyB: usize, dyPB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  let z = f32x4.splat(0.0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  let pixXB = <usize>sw * xcB;
  let cnt0 = oxb - oxa;
  let n = r0 / OH;
  let oy = r0 - n * OH;
  let r = r0;
  let xp: usize = 0, dp: usize = 0;
  let cnt = 0;
  let rowD = dyB + <usize>oxa * dyPB;
  let rowDB = <usize>OW * dyPB;
  while (true) {
    // Collect the next run of rows that continue each other in memory.
    let nx: usize = 0, nd: usize = 0;
    let more = false;
    while (r < r1) {
      let iy = oy * sh + iyOff;
      let rx = xB + (<usize>(n * H + iy) * <usize>W + <usize>ixa) * xcB;
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
      if (rx == xp + <usize>cnt * pixXB && rd == dp + <usize>cnt * dyPB) {
        cnt += cnt0;
        continue;
      }
      nx = rx;
      nd = rd;
      more = true;
      break;
    }
    if (cnt == 0) break;
    // Two pixels per trip with an exit test after each (see README: V8 code generation notes).
    let k = cnt;
    while (true) {
      let d0 = v128.load(dp);
      let d1 = v128.load(dp, 16);
      let s0 = v128.load32_splat(xp);
      c00 = fma(s0, d0, c00);
      c01 = fma(s0, d1, c01);
      if (ROWS > 1) {
        let s1 = v128.load32_splat(xp, 4);
        c10 = fma(s1, d0, c10);
        c11 = fma(s1, d1, c11);
      }
      if (ROWS > 2) {
        let s2 = v128.load32_splat(xp, 8);
        c20 = fma(s2, d0, c20);
        c21 = fma(s2, d1, c21);
      }
      if (ROWS > 3) {
        let s3 = v128.load32_splat(xp, 12);
        c30 = fma(s3, d0, c30);
        c31 = fma(s3, d1, c31);
      }
      if (--k == 0) break;
      let xq = xp + pixXB;
      let dq = dp + dyPB;
      let e0 = v128.load(dq);
      let e1 = v128.load(dq, 16);
      let t0 = v128.load32_splat(xq);
      c00 = fma(t0, e0, c00);
      c01 = fma(t0, e1, c01);
      if (ROWS > 1) {
        let t1 = v128.load32_splat(xq, 4);
        c10 = fma(t1, e0, c10);
        c11 = fma(t1, e1, c11);
      }
      if (ROWS > 2) {
        let t2 = v128.load32_splat(xq, 8);
        c20 = fma(t2, e0, c20);
        c21 = fma(t2, e1, c21);
      }
      if (ROWS > 3) {
        let t3 = v128.load32_splat(xq, 12);
        c30 = fma(t3, e0, c30);
        c31 = fma(t3, e1, c31);
      }
      xp = xq + pixXB;
      dp = dq + dyPB;
      if (--k == 0) break;
    }
    if (!more) break;
    xp = nx;
    dp = nd;
    cnt = cnt0;
  }
  v128.store(accP, f32x4.add(v128.load(accP), c00));
  v128.store(accP, f32x4.add(v128.load(accP, 16), c01), 16);
  if (ROWS > 1) {
    v128.store(accP, f32x4.add(v128.load(accP, 32), c10), 32);
    v128.store(accP, f32x4.add(v128.load(accP, 48), c11), 48);
  }
  if (ROWS > 2) {
    v128.store(accP, f32x4.add(v128.load(accP, 64), c20), 64);
    v128.store(accP, f32x4.add(v128.load(accP, 80), c21), 80);
  }
  if (ROWS > 3) {
    v128.store(accP, f32x4.add(v128.load(accP, 96), c30), 96);
    v128.store(accP, f32x4.add(v128.load(accP, 112), c31), 112);
  }
}

function wgItem4(xB: usize, H: i32, W: i32, xcB: usize, dyB: usize, dyPB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  wgItem(4, xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}
function wgItem3(xB: usize, H: i32, W: i32, xcB: usize, dyB: usize, dyPB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  wgItem(3, xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}
function wgItem2(xB: usize, H: i32, W: i32, xcB: usize, dyB: usize, dyPB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  wgItem(2, xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}
function wgItem1(xB: usize, H: i32, W: i32, xcB: usize, dyB: usize, dyPB: usize, r0: i32, r1: i32, OH: i32, OW: i32, sh: i32, sw: i32, iyOff: i32, ixa: i32, oxa: i32, oxb: i32, accP: usize): void {
  wgItem(1, xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
}

/** accB[0..8) += Σ of `count` dY vectors pairs (8 channels) from dp, stride dpB. */
function wgBiasBlock(dp: usize, count: i32, dpB: usize, accB: usize): void {
  let s0 = f32x4.splat(0.0), s1 = s0;
  for (let i = 0; i < count; i++) {
    s0 = f32x4.add(s0, v128.load(dp));
    s1 = f32x4.add(s1, v128.load(dp, 16));
    dp += dpB;
  }
  v128.store(accB, f32x4.add(v128.load(accB), s0));
  v128.store(accB, f32x4.add(v128.load(accB, 16), s1), 16);
}

/** dst[p][0..8) = src[p][0..nc), zeros after, for `count` pixels (a partial tile's dY block, read without touching channels past nc). */
function stageTile(src: usize, count: i32, srcB: usize, nc: i32, dst: usize): void {
  let z = f32x4.splat(0.0);
  for (let p = 0; p < count; p++) {
    v128.store(dst, z);
    v128.store(dst, z, 16);
    for (let c = 0; c < nc; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
    src += srcB;
    dst += NR << 2;
  }
}

// @ts-ignore: decorator
@inline function ceilDivPos(a: i32, s: i32): i32 { return a <= 0 ? 0 : (a + s - 1) / s; }

/**
 * conv2d_wgrad(x, H, W, xc, dy, N, OH, OW, yc, kh, kw, sh, sw, dh, dw, pt, pl, Cin, OC, dW, db, acc, i0, i1, scratch):
 * dW[co][ci][ky][kx] += Σ x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, ci]·dy[n, oy, ox, co] (OIHW,
 * this group's [OC][Cin][kh][kw]), db[co] += Σ dy[.., co] when db ≠ 0. Items [i0, i1) of
 * ceil(OC/8)·kh·kw·ceil(Cin/4), item = (tile·kh·kw + tap)·ceil(Cin/4) + ci block.
 */
export function conv2dWgrad(x: usize, H: i32, W: i32, xc: i32, dy: usize, N: i32, OH: i32, OW: i32, yc: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, OC: i32, dW: usize, db: usize, acc: usize, i0: i32, i1: i32, scratch: usize): void {
  if (i1 <= i0) return;
  let taps = kh * kw;
  let CB = (Cin + 3) >> 2;
  let T = (OC + NR - 1) / NR;
  let items = T * taps * CB;
  let accBias = acc + <usize>items * 128;
  for (let i = i0; i < i1; i++) zeroF32(acc + <usize>i * 128, 32);
  if (db != 0) {
    for (let i = i0; i < i1; i++) if (i % (taps * CB) == 0) zeroF32(accBias + <usize>(i / (taps * CB)) * 32, 8);
  }
  let rows = N * OH;
  let rb = wgBlockRows(rows, OW, OC);
  let xcB = <usize>xc << 2;
  let ycB = <usize>yc << 2;
  for (let r0 = 0; r0 < rows; r0 += rb) {
    let r1 = imin(r0 + rb, rows);
    let blockDy = dy + <usize>r0 * <usize>OW * ycB;
    let staged = -1;
    for (let i = i0; i < i1; i++) {
      let cb = i % CB;
      let q = i / CB;
      let tap = q % taps;
      let t = q / taps;
      let nc = imin(NR, OC - t * NR);
      let nr = imin(4, Cin - (cb << 2));
      let dyB: usize, dyPB: usize;
      if (nc == NR) {
        dyB = blockDy + (<usize>t * NR << 2);
        dyPB = ycB;
      } else {
        if (staged != t) {
          stageTile(blockDy + (<usize>t * NR << 2), (r1 - r0) * OW, ycB, nc, scratch);
          staged = t;
        }
        dyB = scratch;
        dyPB = NR << 2;
      }
      let ky = tap / kw;
      let kx = tap - ky * kw;
      let oxa = ceilDivPos(pl - kx * dw, sw);
      let lastX = W - 1 + pl - kx * dw;
      let oxb = lastX < 0 ? 0 : imin(OW, lastX / sw + 1);
      if (oxb > oxa) {
        let xB = x + (<usize>(cb << 2) << 2);
        let ixa = oxa * sw - pl + kx * dw;
        let iyOff = ky * dh - pt;
        let accP = acc + <usize>i * 128;
        if (nr == 4) wgItem4(xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
        else if (nr == 3) wgItem3(xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
        else if (nr == 2) wgItem2(xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
        else wgItem1(xB, H, W, xcB, dyB, dyPB, r0, r1, OH, OW, sh, sw, iyOff, ixa, oxa, oxb, accP);
      }
      if (db != 0 && tap == 0 && cb == 0) wgBiasBlock(dyB, (r1 - r0) * OW, dyPB, accBias + <usize>t * 32);
    }
  }
  // Add the items' sums into OIHW dW (and the tiles' into db).
  for (let i = i0; i < i1; i++) {
    let cb = i % CB;
    let q = i / CB;
    let tap = q % taps;
    let t = q / taps;
    let nc = imin(NR, OC - t * NR);
    let nr = imin(4, Cin - (cb << 2));
    let accP = acc + <usize>i * 128;
    for (let r = 0; r < nr; r++) {
      let ci = (cb << 2) + r;
      for (let j = 0; j < nc; j++) {
        let o = dW + (<usize>(((t * NR + j) * Cin + ci) * taps + tap) << 2);
        store<f32>(o, load<f32>(o) + load<f32>(accP + (<usize>(r * NR + j) << 2)));
      }
    }
    if (db != 0 && tap == 0 && cb == 0) {
      for (let j = 0; j < nc; j++) {
        let o = db + (<usize>(t * NR + j) << 2);
        store<f32>(o, load<f32>(o) + load<f32>(accBias + (<usize>(t * NR + j) << 2)));
      }
    }
  }
}

// ---- Weight gradient, gather variant: X̂ panels as in conv2d (for short output rows) ----

/** Pixels per block of conv2d_wgrad_gather (fixed: the sums' order depends on the layer only). */
const WGG_MC: i32 = 128;
/** Bytes of one gathered [WGG_MC][kc] panel of X̂ (kc a multiple of 4). */
const WGG_PANEL_BYTES: i32 = 32 * 1024;

/** Per-thread scratch of conv2d_wgrad_gather: the panel, then the staged partial dY tile. */
export function wggScratchBytes(OC: i32): i32 {
  return WGG_PANEL_BYTES + (OC % NR != 0 ? WGG_MC * (NR << 2) : 0);
}

/** Bytes of conv2d_wgrad_gather's accumulator workspace: ceil(K/4)·tiles·128 + tiles·32. */
export function wggAccBytes(Cin: i32, kh: i32, kw: i32, OC: i32): i32 {
  let T = (OC + NR - 1) / NR;
  return ((kh * kw * Cin + 3) >> 2) * T * 128 + T * 32;
}

/**
 * ROWS (1..4) consecutive X̂ columns at a (pixel stride as) times 8 dY channels at dp (pixel stride
 * dpB) over cnt pixels; the sums are added into the [4][8] slot at accP.
 */
// @ts-ignore: decorator
@inline function wgTile(ROWS: i32, a: usize, as: usize, cnt: i32, dp: usize, dpB: usize, accP: usize): void {
  let z = f32x4.splat(0.0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  let k = cnt;
  if (k > 0) {
    while (true) {
      let d0 = v128.load(dp);
      let d1 = v128.load(dp, 16);
      let s0 = v128.load32_splat(a);
      c00 = fma(s0, d0, c00);
      c01 = fma(s0, d1, c01);
      if (ROWS > 1) { let s1 = v128.load32_splat(a, 4); c10 = fma(s1, d0, c10); c11 = fma(s1, d1, c11); }
      if (ROWS > 2) { let s2 = v128.load32_splat(a, 8); c20 = fma(s2, d0, c20); c21 = fma(s2, d1, c21); }
      if (ROWS > 3) { let s3 = v128.load32_splat(a, 12); c30 = fma(s3, d0, c30); c31 = fma(s3, d1, c31); }
      if (--k == 0) break;
      let aq = a + as;
      let dq = dp + dpB;
      let e0 = v128.load(dq);
      let e1 = v128.load(dq, 16);
      let t0 = v128.load32_splat(aq);
      c00 = fma(t0, e0, c00);
      c01 = fma(t0, e1, c01);
      if (ROWS > 1) { let t1 = v128.load32_splat(aq, 4); c10 = fma(t1, e0, c10); c11 = fma(t1, e1, c11); }
      if (ROWS > 2) { let t2 = v128.load32_splat(aq, 8); c20 = fma(t2, e0, c20); c21 = fma(t2, e1, c21); }
      if (ROWS > 3) { let t3 = v128.load32_splat(aq, 12); c30 = fma(t3, e0, c30); c31 = fma(t3, e1, c31); }
      a = aq + as;
      dp = dq + dpB;
      if (--k == 0) break;
    }
  }
  v128.store(accP, f32x4.add(v128.load(accP), c00));
  v128.store(accP, f32x4.add(v128.load(accP, 16), c01), 16);
  if (ROWS > 1) {
    v128.store(accP, f32x4.add(v128.load(accP, 32), c10), 32);
    v128.store(accP, f32x4.add(v128.load(accP, 48), c11), 48);
  }
  if (ROWS > 2) {
    v128.store(accP, f32x4.add(v128.load(accP, 64), c20), 64);
    v128.store(accP, f32x4.add(v128.load(accP, 80), c21), 80);
  }
  if (ROWS > 3) {
    v128.store(accP, f32x4.add(v128.load(accP, 96), c30), 96);
    v128.store(accP, f32x4.add(v128.load(accP, 112), c31), 112);
  }
}

function wgTile4(a: usize, as: usize, cnt: i32, dp: usize, dpB: usize, accP: usize): void { wgTile(4, a, as, cnt, dp, dpB, accP); }
function wgTile3(a: usize, as: usize, cnt: i32, dp: usize, dpB: usize, accP: usize): void { wgTile(3, a, as, cnt, dp, dpB, accP); }
function wgTile2(a: usize, as: usize, cnt: i32, dp: usize, dpB: usize, accP: usize): void { wgTile(2, a, as, cnt, dp, dpB, accP); }
function wgTile1(a: usize, as: usize, cnt: i32, dp: usize, dpB: usize, accP: usize): void { wgTile(1, a, as, cnt, dp, dpB, accP); }

/**
 * conv2d_wgrad_gather: the conv2d_wgrad ABI with items (k block of 4 consecutive X̂ columns in
 * (ky, kx, ci) order, oc tile): item = kb·ceil(OC/8) + tile, items [i0, i1) of ceil(K/4)·ceil(OC/8).
 * Pixels go in blocks of WGG_MC; per block the X̂ columns of this call's items are gathered from x
 * (zeros for padding, as conv2d) in chunks of WGG_PANEL_BYTES, so the inner loop never sees row
 * borders (the direct variant's per-row cost dominates on short rows). acc: wggAccBytes; scratch:
 * wggScratchBytes per thread.
 */
export function conv2dWgradGather(x: usize, H: i32, W: i32, xc: i32, dy: usize, N: i32, OH: i32, OW: i32, yc: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, OC: i32, dW: usize, db: usize, acc: usize, i0: i32, i1: i32, scratch: usize): void {
  if (i1 <= i0) return;
  let K = kh * kw * Cin;
  let KB = (K + 3) >> 2;
  let T = (OC + NR - 1) / NR;
  let items = KB * T;
  let accBias = acc + <usize>items * 128;
  let taps = kh * kw;
  for (let i = i0; i < i1; i++) {
    zeroF32(acc + <usize>i * 128, 32);
    if (db != 0 && i < T) zeroF32(accBias + <usize>i * 32, 8);
  }
  let P = N * OH * OW;
  let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
  let panel = scratch;
  let stage = scratch + <usize>WGG_PANEL_BYTES;
  let kcMax = (WGG_PANEL_BYTES / (WGG_MC << 2)) & ~3;
  let kLo = (i0 / T) << 2;
  let kHi = imin(K, ((i1 - 1) / T + 1) << 2);
  let ycB = <usize>yc << 2;
  for (let pc = 0; pc < P; pc += WGG_MC) {
    let pe = imin(pc + WGG_MC, P);
    let cnt = pe - pc;
    let blockDy = dy + <usize>pc * ycB;
    let staged = -1;
    for (let k0 = kLo; k0 < kHi; k0 += kcMax) {
      let kn = imin(kcMax, kHi - k0);
      let a: usize, as: usize;
      if (direct) {
        a = x + <usize>pc * (<usize>xc << 2) + (<usize>k0 << 2);
        as = <usize>xc << 2;
      } else {
        gatherPanel(pc, pe, k0, kn, x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, panel);
        a = panel;
        as = <usize>kn << 2;
      }
      let iA = imax(i0, (k0 >> 2) * T);
      let iB = imin(i1, ((k0 + kn + 3) >> 2) * T);
      for (let i = iA; i < iB; i++) {
        let kb = i / T;
        let t = i - kb * T;
        let nc = imin(NR, OC - t * NR);
        let nr = imin(4, K - (kb << 2));
        let dp: usize, dpB: usize;
        if (nc == NR) {
          dp = blockDy + (<usize>t * NR << 2);
          dpB = ycB;
        } else {
          if (staged != t) {
            stageTile(blockDy + (<usize>t * NR << 2), cnt, ycB, nc, stage);
            staged = t;
          }
          dp = stage;
          dpB = NR << 2;
        }
        let ak = a + (<usize>((kb << 2) - k0) << 2);
        let accP = acc + <usize>i * 128;
        if (nr == 4) wgTile4(ak, as, cnt, dp, dpB, accP);
        else if (nr == 3) wgTile3(ak, as, cnt, dp, dpB, accP);
        else if (nr == 2) wgTile2(ak, as, cnt, dp, dpB, accP);
        else wgTile1(ak, as, cnt, dp, dpB, accP);
        if (db != 0 && kb == 0) wgBiasBlock(dp, cnt, dpB, accBias + <usize>t * 32);
      }
    }
  }
  for (let i = i0; i < i1; i++) {
    let kb = i / T;
    let t = i - kb * T;
    let nc = imin(NR, OC - t * NR);
    let nr = imin(4, K - (kb << 2));
    let accP = acc + <usize>i * 128;
    for (let r = 0; r < nr; r++) {
      let k = (kb << 2) + r;
      let tap = k / Cin;
      let ci = k - tap * Cin;
      for (let j = 0; j < nc; j++) {
        let o = dW + (<usize>(((t * NR + j) * Cin + ci) * taps + tap) << 2);
        store<f32>(o, load<f32>(o) + load<f32>(accP + (<usize>(r * NR + j) << 2)));
      }
    }
    if (db != 0 && kb == 0) {
      for (let j = 0; j < nc; j++) {
        let o = db + (<usize>(t * NR + j) << 2);
        store<f32>(o, load<f32>(o) + load<f32>(accBias + (<usize>(t * NR + j) << 2)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Accumulating conv on a strided output grid (data gradient phases)
// ---------------------------------------------------------------------------------------------


/**
 * ROWS (1..4) x 8 accumulate tile: y[r][0..nc) += A[r][0..kc)·B[kc][8] (rows of A at a + r·as, of y at
 * y + r·ys; tmp: 32 bytes). One multiply-add chain per row in k order for every ROWS, so a pixel's
 * sum does not depend on which panel (hence which work split) it lands in — unlike the generated
 * 1x8/2x8 micro-kernels, which split their chains for latency.
 */
// @ts-ignore: decorator
@inline function accTile(ROWS: i32, a: usize, as: usize, kc: i32, w: usize, y: usize, ys: usize, nc: i32, tmp: usize, ld: bool): void {
  let a0 = a;
  let a1 = a0 + as;
  let a2 = a1 + as;
  let a3 = a2 + as;
  let z = f32x4.splat(0.0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  // ld false: y is overwritten (its old contents are garbage), the chains start at zero.
  if (ld && nc == NR) {
    c00 = v128.load(y);
    c01 = v128.load(y, 16);
    if (ROWS > 1) { c10 = v128.load(y + ys); c11 = v128.load(y + ys, 16); }
    if (ROWS > 2) { c20 = v128.load(y + 2 * ys); c21 = v128.load(y + 2 * ys, 16); }
    if (ROWS > 3) { c30 = v128.load(y + 3 * ys); c31 = v128.load(y + 3 * ys, 16); }
  } else if (ld) {
    stageRow(y, nc, tmp);
    c00 = v128.load(tmp);
    c01 = v128.load(tmp, 16);
    if (ROWS > 1) { stageRow(y + ys, nc, tmp); c10 = v128.load(tmp); c11 = v128.load(tmp, 16); }
    if (ROWS > 2) { stageRow(y + 2 * ys, nc, tmp); c20 = v128.load(tmp); c21 = v128.load(tmp, 16); }
    if (ROWS > 3) { stageRow(y + 3 * ys, nc, tmp); c30 = v128.load(tmp); c31 = v128.load(tmp, 16); }
  }
  let k = kc;
  if (k > 0) {
    while (true) {
      let b0 = v128.load(w, 0);
      let b1 = v128.load(w, 16);
      let s0 = v128.load32_splat(a0, 0);
      c00 = fma(s0, b0, c00);
      c01 = fma(s0, b1, c01);
      if (ROWS > 1) { let s1 = v128.load32_splat(a1, 0); c10 = fma(s1, b0, c10); c11 = fma(s1, b1, c11); }
      if (ROWS > 2) { let s2 = v128.load32_splat(a2, 0); c20 = fma(s2, b0, c20); c21 = fma(s2, b1, c21); }
      if (ROWS > 3) { let s3 = v128.load32_splat(a3, 0); c30 = fma(s3, b0, c30); c31 = fma(s3, b1, c31); }
      if (--k == 0) break;
      let e0 = v128.load(w, 32);
      let e1 = v128.load(w, 48);
      let t0 = v128.load32_splat(a0, 4);
      c00 = fma(t0, e0, c00);
      c01 = fma(t0, e1, c01);
      if (ROWS > 1) { let t1 = v128.load32_splat(a1, 4); c10 = fma(t1, e0, c10); c11 = fma(t1, e1, c11); }
      if (ROWS > 2) { let t2 = v128.load32_splat(a2, 4); c20 = fma(t2, e0, c20); c21 = fma(t2, e1, c21); }
      if (ROWS > 3) { let t3 = v128.load32_splat(a3, 4); c30 = fma(t3, e0, c30); c31 = fma(t3, e1, c31); }
      a0 += 8;
      a1 += 8;
      a2 += 8;
      a3 += 8;
      w += 64;
      if (--k == 0) break;
    }
  }
  if (nc == NR) {
    v128.store(y, c00);
    v128.store(y, c01, 16);
    if (ROWS > 1) { v128.store(y + ys, c10); v128.store(y + ys, c11, 16); }
    if (ROWS > 2) { v128.store(y + 2 * ys, c20); v128.store(y + 2 * ys, c21, 16); }
    if (ROWS > 3) { v128.store(y + 3 * ys, c30); v128.store(y + 3 * ys, c31, 16); }
    return;
  }
  storeRow(y, 0, c00, c01, nc, 0, 0, 0, tmp);
  if (ROWS > 1) storeRow(y + ys, 0, c10, c11, nc, 0, 0, 0, tmp);
  if (ROWS > 2) storeRow(y + 2 * ys, 0, c20, c21, nc, 0, 0, 0, tmp);
  if (ROWS > 3) storeRow(y + 3 * ys, 0, c30, c31, nc, 0, 0, 0, tmp);
}

function accTile4(a: usize, as: usize, kc: i32, w: usize, y: usize, ys: usize, nc: i32, tmp: usize, ld: bool): void { accTile(4, a, as, kc, w, y, ys, nc, tmp, ld); }
function accTile3(a: usize, as: usize, kc: i32, w: usize, y: usize, ys: usize, nc: i32, tmp: usize, ld: bool): void { accTile(3, a, as, kc, w, y, ys, nc, tmp, ld); }
function accTile2(a: usize, as: usize, kc: i32, w: usize, y: usize, ys: usize, nc: i32, tmp: usize, ld: bool): void { accTile(2, a, as, kc, w, y, ys, nc, tmp, ld); }
function accTile1(a: usize, as: usize, kc: i32, w: usize, y: usize, ys: usize, nc: i32, tmp: usize, ld: bool): void { accTile(1, a, as, kc, w, y, ys, nc, tmp, ld); }

/**
 * conv2d_acc(x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, wpk, OC, y, yp, yr, yn, p0, p1, t0, t1, scratch, ov):
 * y[n, oy, ox, 0..OC) += X̂·W (ov 1: =, y's old contents ignored) for output pixels [p0, p1) of N·OH·OW and tiles [t0, t1), the output
 * pixel (n, oy, ox) at y + (n·yn + oy·yr + ox·yp)·4 (strides in floats). Blocking and gather as
 * conv2d, K chunks fixed by the layer, and one accumulation chain per pixel whatever the panel
 * height (accTile), so any split of either range is bit-identical; register panels never cross an
 * output row unless the grid is dense (yr = OW·yp, yn = OH·yr).
 * scratch: convScratchBytes(K).
 */
export function conv2dAcc(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, OC: i32, y: usize, yp: i32, yr: i32, yn: i32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize, ov: i32): void {
  if (p1 <= p0 || t1 <= t0) return;
  let mr = 4;
  let K = kh * kw * Cin;
  let tmp = scratch;
  let panel = scratch + <usize>CONV_TMP_BYTES;
  let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
  let flat = <i64>yr == <i64>OW * <i64>yp && <i64>yn == <i64>OH * <i64>yr;
  let P = p1 - p0;
  let wBytes = <i64>K * <i64>((OC + NR - 1) / NR) * (NR << 2);
  let mcMax = wBytes > <i64>CONV_W_L2_BYTES ? CONV_MC_BIG : CONV_MC_SMALL;
  let nb = (P + mcMax - 1) / mcMax;
  let mc = ((P + nb - 1) / nb + mr - 1) / mr * mr;
  let mcCap = (mcMax + mr - 1) / mr * mr;
  let kc = imin(K, CONV_A_BYTES / (mcCap << 2));
  let chunks = (K + kc - 1) / kc;
  kc = (K + chunks - 1) / chunks;
  let tileB = <usize>K * (NR << 2);
  let ys = <usize>yp << 2;
  let ohw = OH * OW;
  for (let pc = p0; pc < p1; pc += mc) {
    let pe = imin(pc + mc, p1);
    let n0 = pc / ohw;
    let rr = pc - n0 * ohw;
    let oy0 = rr / OW;
    let ox0 = rr - oy0 * OW;
    for (let k0 = 0; k0 < K; k0 += kc) {
      let kn = imin(kc, K - k0);
      let ld = ov == 0 || k0 > 0;
      let a: usize, as: usize;
      if (direct) {
        a = x + <usize>pc * (<usize>xc << 2) + (<usize>k0 << 2);
        as = <usize>xc << 2;
      } else {
        gatherPanel(pc, pe, k0, kn, x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, panel);
        a = panel;
        as = <usize>kn << 2;
      }
      for (let t = t0; t < t1; t++) {
        let nc = imin(NR, OC - t * NR);
        let wt = wpk + <usize>t * tileB + (<usize>k0 * NR << 2);
        let yt = y + (<usize>t * NR << 2);
        let n = n0, oy = oy0, ox = ox0;
        let p = pc;
        let ap = a;
        while (p < pe) {
          let rows = imin(mr, pe - p);
          if (!flat) rows = imin(rows, OW - ox);
          let yo = yt + (<usize>(<i64>n * <i64>yn + <i64>oy * <i64>yr + <i64>ox * <i64>yp) << 2);
          if (rows == 4) accTile4(ap, as, kn, wt, yo, ys, nc, tmp, ld);
          else if (rows == 3) accTile3(ap, as, kn, wt, yo, ys, nc, tmp, ld);
          else if (rows == 2) accTile2(ap, as, kn, wt, yo, ys, nc, tmp, ld);
          else accTile1(ap, as, kn, wt, yo, ys, nc, tmp, ld);
          ap += <usize>rows * as;
          p += rows;
          ox += rows;
          while (ox >= OW) {
            ox -= OW;
            if (++oy == OH) {
              oy = 0;
              n++;
            }
          }
        }
      }
    }
  }
}

/**
 * conv2d_pack_weights(w, OCw, Cinw, kh, kw, trans, ky0, kys, nky, kx0, kxs, nkx, dst): OIHW w
 * [OCw][Cinw][kh][kw] → conv2d tiles [ceil(O/8)][K][8] (zero-padded), K = (my·nkx + mx)·I + i,
 * value w[o][i][ky0 + my·kys][kx0 + mx·kxs] (trans = 0: O = OCw, I = Cinw) or w[i][o][…] (trans = 1:
 * O = Cinw, I = OCw). Forward: trans 0, (0, 1, kh), (0, 1, kw).
 */
export function conv2dPackWeights(w: usize, OCw: i32, Cinw: i32, kh: i32, kw: i32, trans: i32, ky0: i32, kys: i32, nky: i32, kx0: i32, kxs: i32, nkx: i32, dst: usize): void {
  let O = trans != 0 ? Cinw : OCw;
  let I = trans != 0 ? OCw : Cinw;
  let T = (O + NR - 1) / NR;
  let taps = kh * kw;
  // element (o, i) of OIHW at (o·Cinw + i)·taps, or (i·Cinw + o)·taps transposed
  let so = trans != 0 ? taps : Cinw * taps;
  let si = trans != 0 ? Cinw * taps : taps;
  let d = dst;
  for (let t = 0; t < T; t++) {
    let nc = imin(NR, O - t * NR);
    for (let my = 0; my < nky; my++) {
      let ky = ky0 + my * kys;
      for (let mx = 0; mx < nkx; mx++) {
        let tap = ky * kw + kx0 + mx * kxs;
        for (let i = 0; i < I; i++) {
          let src = w + (<usize>(i * si + tap) << 2);
          if (nc < NR) {
            v128.store(d, f32x4.splat(0.0));
            v128.store(d, f32x4.splat(0.0), 16);
          }
          for (let j = 0; j < nc; j++) store<f32>(d + (<usize>j << 2), load<f32>(src + (<usize>((t * NR + j) * so) << 2)));
          d += NR << 2;
        }
      }
    }
  }
}

/** dst[0..m) = src[0..n) then zeros (bias padding). */
export function f32CopyPad(src: usize, n: i32, dst: usize, m: i32): void {
  if (src != 0) copyF32(dst, src, n);
  else zeroF32(dst, n);
  zeroF32(dst + (<usize>n << 2), m - n);
}
