/**
 * Column-wise N:M sparse convolution at tile level (colnm, tile NR = 8; conv2d_colnm4: tiles of 4), NHWC:
 * Y[P, OC] = X̂[P, K]·W[K, OC] where every tile of 8 output channels keeps the same number Kt of rows
 * of K (k = (ky·kw + kx)·Cin + ci) and skips the others entirely. The im2col gather is fused into
 * the micro-kernel: kept row j of a tile is one byte offset off_j = tapOff[tap] + 4·ci from a pixel's
 * window origin in x, so f32_gemm_colnm_4x8 splats the 4 pixels' inputs straight from x
 * (x(origin_m + off_j)) while the tile's prepared rows (8 weights + off_j) stream past: no panel, no
 * copy, Kt/K of the dense work. Windows that leave the image run tap by tap, the origins of pixels
 * whose tap falls in the padding pointed at a zero row (origin = zeros − tapOff, so origin + off_j =
 * zeros + 4·ci), partial sums kept in scratch between runs. Design and measurements:
 * docs/sparse-kernels.md.
 *
 * Packed weights (packing.ts, packColNmWeights): values [ceil(OC/8)][Kt][8] (tail tile zero-padded),
 * index [ceil(OC/8)][Kt] u32, entry = (tap << 16) | ci of the kept row, ascending.
 */
import { NR } from "./layout";
import { fma, storeRow, zeroF32, imin, imax } from "./common";

/** Scratch: [0, 32) storeRow staging, [32, 48) a border run's 4 bases, then the tables. */
const CN_TMP: usize = 0;
const CN_HDR: i32 = 256;
/** Pixels per block: every weight tile runs over a block before the next one (the block's inputs stay in L2, its tables in L1). */
const CN_MC: i32 = 256;
/** Bytes of one prepared kept row: 8 weights, the row's input offset, padding (16-byte aligned). */
const CN_ROWB: usize = 48;
/** Most kept rows per K chunk: a chunk's prepared rows (≤ 15 KiB) stay in L1 while the block's groups run. */
const CN_KC: i32 = 320;
/**
 * Tile-inner order (f32_gemm_colnm_4x8_tiles) for tiles of at most CN_TKT kept rows, in batches of
 * at most CN_TROWS prepared rows (24 KiB, in L1 with the group's inputs). With so few rows a tile's
 * pass over a group is short and the per-tile revisits of the inputs and output lines dominate;
 * from 16 rows on the tile-outer order is as fast or faster (1x1 64→256 1:4: 3.43x vs 3.35x;
 * 2:4: 1.92x vs 1.75x on 64→64; 1:8: 4.5x → 4.8–5.0x on 64→64, 4.9x → 5.3x on 64→256, one thread).
 */
const CN_TKT: i32 = 8;
const CN_TROWS: i32 = 512;

/**
 * Bytes of scratch one conv2d_colnm call needs: header | pixel table (base, iy, ix: CN_MC u32 each;
 * inside flags: CN_MC bytes) | partial sums [CN_MC / 4][128 bytes] | a chunk's prepared rows
 * [min(Kt, CN_KC)][48 bytes] | seg[K + 1] | tapOff[K] | zeros[K] (16-byte aligned) | with Kt ≤ CN_TKT,
 * a tile batch's prepared rows [CN_TROWS][48 bytes].
 */
export function convColNmScratchBytes(Kt: i32, K: i32): i32 {
  return CN_HDR + CN_MC * 13 + CN_MC * 32 + (Kt < CN_KC ? Kt : CN_KC) * 48 + (((K + 4) & ~3) << 2) + (((K + 3) & ~3) << 3) + (Kt <= CN_TKT ? CN_TROWS * 48 : 0);
}

/**
 * 4x8 micro-kernel over n kept rows, for G groups of 4 pixels whose window origins are the u32s at
 * pb (4 per group; group g writes y rows 4g..4g+3): acc[m][0..8) += x(b_m + off_j)·w_j[0..8) for
 * j < n, rows of CN_ROWB bytes from w0: the row's 8 weights, then its input offset off_j (u32).
 * accIn = 0 starts from the bias (0 = none), else from the 8 v128 partial sums at accIn; accOut != 0
 * stores the sums there, accOut = 0 runs the epilogue (res, act; rows ≤ 4 pixel rows, nc ≤ 8
 * channels) into y rows m at y + m·ys.
 * Group g's partial sums are at accIn/accOut + 128·g. G > 1 only with rows = 4.
 * Per row: 1 offset load, 4 splat loads, 2 weight vectors, 8 multiply-adds (14 live v128, like the
 * dense 4x8), two rows per trip with an exit test after each (see the dense generator's header);
 * weights and offsets share one pointer so V8 keeps every address in a register.
 */
export function f32_gemm_colnm_4x8(pb: usize, G: i32, n: i32, w0: usize, bias: usize, accIn: usize, accOut: usize, y: usize, ys: usize, res: usize, rows: i32, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize): void {
  for (let g = 0; g < G; g++) {
    let b0 = <usize>load<u32>(pb), b1 = <usize>load<u32>(pb, 4), b2 = <usize>load<u32>(pb, 8), b3 = <usize>load<u32>(pb, 12);
    pb += 16;
    let w = w0;
    let c0x0: v128, c0x1: v128, c1x0: v128, c1x1: v128, c2x0: v128, c2x1: v128, c3x0: v128, c3x1: v128;
    if (accIn != 0) {
      c0x0 = v128.load(accIn); c0x1 = v128.load(accIn, 16);
      c1x0 = v128.load(accIn, 32); c1x1 = v128.load(accIn, 48);
      c2x0 = v128.load(accIn, 64); c2x1 = v128.load(accIn, 80);
      c3x0 = v128.load(accIn, 96); c3x1 = v128.load(accIn, 112);
    } else {
      c0x0 = f32x4.splat(0.0);
      c0x1 = f32x4.splat(0.0);
      if (bias != 0) {
        c0x0 = v128.load(bias);
        c0x1 = v128.load(bias, 16);
      }
      c1x0 = c0x0; c1x1 = c0x1;
      c2x0 = c0x0; c2x1 = c0x1;
      c3x0 = c0x0; c3x1 = c0x1;
    }
    let k = n;
    if (k > 0) {
      while (true) {
        let o0 = <usize>load<u32>(w, 32);
        let w0x0 = v128.load(w);
        let w0x1 = v128.load(w, 16);
        let v0 = v128.load32_splat(b0 + o0);
        c0x0 = fma(v0, w0x0, c0x0);
        c0x1 = fma(v0, w0x1, c0x1);
        let v1 = v128.load32_splat(b1 + o0);
        c1x0 = fma(v1, w0x0, c1x0);
        c1x1 = fma(v1, w0x1, c1x1);
        let v2 = v128.load32_splat(b2 + o0);
        c2x0 = fma(v2, w0x0, c2x0);
        c2x1 = fma(v2, w0x1, c2x1);
        let v3 = v128.load32_splat(b3 + o0);
        c3x0 = fma(v3, w0x0, c3x0);
        c3x1 = fma(v3, w0x1, c3x1);
        if (--k == 0) break;
        let o1 = <usize>load<u32>(w, CN_ROWB + 32);
        let w1x0 = v128.load(w, CN_ROWB);
        let w1x1 = v128.load(w, CN_ROWB + 16);
        let u0 = v128.load32_splat(b0 + o1);
        c0x0 = fma(u0, w1x0, c0x0);
        c0x1 = fma(u0, w1x1, c0x1);
        let u1 = v128.load32_splat(b1 + o1);
        c1x0 = fma(u1, w1x0, c1x0);
        c1x1 = fma(u1, w1x1, c1x1);
        let u2 = v128.load32_splat(b2 + o1);
        c2x0 = fma(u2, w1x0, c2x0);
        c2x1 = fma(u2, w1x1, c2x1);
        let u3 = v128.load32_splat(b3 + o1);
        c3x0 = fma(u3, w1x0, c3x0);
        c3x1 = fma(u3, w1x1, c3x1);
        w += 2 * CN_ROWB;
        if (--k == 0) break;
      }
    }
    if (accOut != 0) {
      v128.store(accOut, c0x0); v128.store(accOut, c0x1, 16);
      v128.store(accOut, c1x0, 32); v128.store(accOut, c1x1, 48);
      v128.store(accOut, c2x0, 64); v128.store(accOut, c2x1, 80);
      v128.store(accOut, c3x0, 96); v128.store(accOut, c3x1, 112);
      accOut += 128;
      if (accIn != 0) accIn += 128;
      continue;
    }
    if (nc == 8 && act <= 2) {
      if (res != 0) {
        c0x0 = f32x4.add(c0x0, v128.load(res));
        c0x1 = f32x4.add(c0x1, v128.load(res, 16));
        if (rows > 1) {
          c1x0 = f32x4.add(c1x0, v128.load(res + ys));
          c1x1 = f32x4.add(c1x1, v128.load(res + ys, 16));
        }
        if (rows > 2) {
          c2x0 = f32x4.add(c2x0, v128.load(res + 2 * ys));
          c2x1 = f32x4.add(c2x1, v128.load(res + 2 * ys, 16));
        }
        if (rows > 3) {
          c3x0 = f32x4.add(c3x0, v128.load(res + 3 * ys));
          c3x1 = f32x4.add(c3x1, v128.load(res + 3 * ys, 16));
        }
      }
      if (act == 1) {
        // relu: one pmax per vector (pmax(0, v) maps NaN to 0 like actV).
        let z = f32x4.splat(0.0);
        c0x0 = f32x4.pmax(z, c0x0); c0x1 = f32x4.pmax(z, c0x1);
        c1x0 = f32x4.pmax(z, c1x0); c1x1 = f32x4.pmax(z, c1x1);
        c2x0 = f32x4.pmax(z, c2x0); c2x1 = f32x4.pmax(z, c2x1);
        c3x0 = f32x4.pmax(z, c3x0); c3x1 = f32x4.pmax(z, c3x1);
      } else if (act == 2) {
        let vlo = f32x4.splat(lo);
        let vhi = f32x4.splat(hi);
        c0x0 = f32x4.pmin(f32x4.pmax(vlo, c0x0), vhi);
        c0x1 = f32x4.pmin(f32x4.pmax(vlo, c0x1), vhi);
        c1x0 = f32x4.pmin(f32x4.pmax(vlo, c1x0), vhi);
        c1x1 = f32x4.pmin(f32x4.pmax(vlo, c1x1), vhi);
        c2x0 = f32x4.pmin(f32x4.pmax(vlo, c2x0), vhi);
        c2x1 = f32x4.pmin(f32x4.pmax(vlo, c2x1), vhi);
        c3x0 = f32x4.pmin(f32x4.pmax(vlo, c3x0), vhi);
        c3x1 = f32x4.pmin(f32x4.pmax(vlo, c3x1), vhi);
      }
      v128.store(y, c0x0);
      v128.store(y, c0x1, 16);
      if (rows > 1) {
        v128.store(y + ys, c1x0);
        v128.store(y + ys, c1x1, 16);
      }
      if (rows > 2) {
        v128.store(y + 2 * ys, c2x0);
        v128.store(y + 2 * ys, c2x1, 16);
      }
      if (rows > 3) {
        v128.store(y + 3 * ys, c3x0);
        v128.store(y + 3 * ys, c3x1, 16);
      }
    } else {
      storeRow(y, res, c0x0, c0x1, nc, act, lo, hi, tmp);
      if (rows > 1) storeRow(y + ys, res != 0 ? res + ys : 0, c1x0, c1x1, nc, act, lo, hi, tmp);
      if (rows > 2) storeRow(y + 2 * ys, res != 0 ? res + 2 * ys : 0, c2x0, c2x1, nc, act, lo, hi, tmp);
      if (rows > 3) storeRow(y + 3 * ys, res != 0 ? res + 3 * ys : 0, c3x0, c3x1, nc, act, lo, hi, tmp);
    }
    y += 4 * ys;
    if (res != 0) res += 4 * ys;
    if (accIn != 0) accIn += 128;
  }
}

/**
 * 4x4 micro-kernel for tiles of 4 output channels (conv2d_colnm4): f32_gemm_colnm_4x8's contract
 * with one weight vector per prepared row (the row's first 16 bytes) and nc ≤ 4. Four pixels x one
 * vector are only 4 multiply-add chains, too few to hide the multiply-add latency, so every pixel
 * keeps two sums: the tile's even kept rows (started from the bias) and its odd ones (from 0), added
 * in the epilogue. The parity is the global row index's (`par` = that of the first row given), so a
 * pixel's sums do not depend on how a run was cut (chunks, border taps, thread splits): results stay
 * bit-identical for any split. Partial sums: even at slot + 32m, odd at slot + 32m + 16.
 * Per 2 rows 2 offset loads, 8 splat loads, 2 weight vectors and 8 multiply-adds on 8 chains.
 */
export function f32_gemm_colnm_4x4(pb: usize, G: i32, n: i32, w0: usize, bias: usize, accIn: usize, accOut: usize, y: usize, ys: usize, res: usize, rows: i32, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, par: i32): void {
  let zero = f32x4.splat(0.0);
  // A = the sums of the first row given and every second one after it; B = the others.
  let offA: usize = par != 0 ? 16 : 0;
  let offB: usize = 16 - offA;
  for (let g = 0; g < G; g++) {
    let b0 = <usize>load<u32>(pb), b1 = <usize>load<u32>(pb, 4), b2 = <usize>load<u32>(pb, 8), b3 = <usize>load<u32>(pb, 12);
    pb += 16;
    let w = w0;
    let a0: v128, a1: v128, a2: v128, a3: v128, e0: v128, e1: v128, e2: v128, e3: v128;
    if (accIn != 0) {
      a0 = v128.load(accIn + offA); a1 = v128.load(accIn + offA, 32); a2 = v128.load(accIn + offA, 64); a3 = v128.load(accIn + offA, 96);
      e0 = v128.load(accIn + offB); e1 = v128.load(accIn + offB, 32); e2 = v128.load(accIn + offB, 64); e3 = v128.load(accIn + offB, 96);
    } else {
      let bv = bias != 0 ? v128.load(bias) : zero;
      let ev = par != 0 ? zero : bv;
      let ov = par != 0 ? bv : zero;
      a0 = ev; a1 = ev; a2 = ev; a3 = ev;
      e0 = ov; e1 = ov; e2 = ov; e3 = ov;
    }
    let k = n;
    if (k > 0) {
      while (true) {
        let o0 = <usize>load<u32>(w, 32);
        let wv = v128.load(w);
        a0 = fma(v128.load32_splat(b0 + o0), wv, a0);
        a1 = fma(v128.load32_splat(b1 + o0), wv, a1);
        a2 = fma(v128.load32_splat(b2 + o0), wv, a2);
        a3 = fma(v128.load32_splat(b3 + o0), wv, a3);
        if (--k == 0) break;
        let o1 = <usize>load<u32>(w, CN_ROWB + 32);
        let wu = v128.load(w, CN_ROWB);
        e0 = fma(v128.load32_splat(b0 + o1), wu, e0);
        e1 = fma(v128.load32_splat(b1 + o1), wu, e1);
        e2 = fma(v128.load32_splat(b2 + o1), wu, e2);
        e3 = fma(v128.load32_splat(b3 + o1), wu, e3);
        w += 2 * CN_ROWB;
        if (--k == 0) break;
      }
    }
    if (accOut != 0) {
      v128.store(accOut + offA, a0); v128.store(accOut + offA, a1, 32); v128.store(accOut + offA, a2, 64); v128.store(accOut + offA, a3, 96);
      v128.store(accOut + offB, e0); v128.store(accOut + offB, e1, 32); v128.store(accOut + offB, e2, 64); v128.store(accOut + offB, e3, 96);
      accOut += 128;
      if (accIn != 0) accIn += 128;
      continue;
    }
    // even + odd (IEEE addition is commutative, so A + B is the same whichever holds the even rows).
    let c0 = f32x4.add(a0, e0), c1 = f32x4.add(a1, e1), c2 = f32x4.add(a2, e2), c3 = f32x4.add(a3, e3);
    if (nc == 4 && act <= 2) {
      if (res != 0) {
        c0 = f32x4.add(c0, v128.load(res));
        if (rows > 1) c1 = f32x4.add(c1, v128.load(res + ys));
        if (rows > 2) c2 = f32x4.add(c2, v128.load(res + 2 * ys));
        if (rows > 3) c3 = f32x4.add(c3, v128.load(res + 3 * ys));
      }
      if (act == 1) {
        c0 = f32x4.pmax(zero, c0); c1 = f32x4.pmax(zero, c1); c2 = f32x4.pmax(zero, c2); c3 = f32x4.pmax(zero, c3);
      } else if (act == 2) {
        let vlo = f32x4.splat(lo);
        let vhi = f32x4.splat(hi);
        c0 = f32x4.pmin(f32x4.pmax(vlo, c0), vhi); c1 = f32x4.pmin(f32x4.pmax(vlo, c1), vhi);
        c2 = f32x4.pmin(f32x4.pmax(vlo, c2), vhi); c3 = f32x4.pmin(f32x4.pmax(vlo, c3), vhi);
      }
      v128.store(y, c0);
      if (rows > 1) v128.store(y + ys, c1);
      if (rows > 2) v128.store(y + 2 * ys, c2);
      if (rows > 3) v128.store(y + 3 * ys, c3);
    } else {
      storeRow(y, res, c0, zero, nc, act, lo, hi, tmp);
      if (rows > 1) storeRow(y + ys, res != 0 ? res + ys : 0, c1, zero, nc, act, lo, hi, tmp);
      if (rows > 2) storeRow(y + 2 * ys, res != 0 ? res + 2 * ys : 0, c2, zero, nc, act, lo, hi, tmp);
      if (rows > 3) storeRow(y + 3 * ys, res != 0 ? res + 3 * ys : 0, c3, zero, nc, act, lo, hi, tmp);
    }
    y += 4 * ys;
    if (res != 0) res += 4 * ys;
    if (accIn != 0) accIn += 128;
  }
}

// @ts-ignore: decorator
@inline function colnmKernel(tw: i32, j0: i32, pb: usize, G: i32, n: i32, w0: usize, bias: usize, accIn: usize, accOut: usize, y: usize, ys: usize, res: usize, rows: i32, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize): void {
  if (tw == 8) f32_gemm_colnm_4x8(pb, G, n, w0, bias, accIn, accOut, y, ys, res, rows, nc, act, lo, hi, tmp);
  else f32_gemm_colnm_4x4(pb, G, n, w0, bias, accIn, accOut, y, ys, res, rows, nc, act, lo, hi, tmp, j0 & 1);
}

/**
 * G groups of 4 pixels (window origins: the u32s at pb, 4 per group, all inside the image; group g
 * writes y rows 4g..4g+3), each through T full tiles (nc = 8), each tile's whole Kt = n prepared rows at w0 + t·wStride, bias at
 * bias + 32t (0 = none), output at y + 32t, res + 32t. The tile-inner order of small layers: the
 * group's inputs stay in L1 across all tiles, and each output line is finished at once instead of
 * being revisited once per tile. Its row loop repeats f32_gemm_colnm_4x8's on purpose: a tile loop
 * folded into that kernel cost every shape 5–9% (1x1 64→64 1:4 3.35x → 3.05x, 1:8 5.13x → 4.82x,
 * same session): the extra loop state competes with the row loop for V8's registers.
 */
export function f32_gemm_colnm_4x8_tiles(pb: usize, G: i32, T: i32, n: i32, w0: usize, wStride: usize, bias0: usize, y0: usize, ys: usize, res0: usize, act: i32, lo: f32, hi: f32, tmp: usize): void {
  for (let g = 0; g < G; g++) {
    let b0 = <usize>load<u32>(pb), b1 = <usize>load<u32>(pb, 4), b2 = <usize>load<u32>(pb, 8), b3 = <usize>load<u32>(pb, 12);
    pb += 16;
    let bias = bias0, y = y0, res = res0;
    y0 += 4 * ys;
    if (res0 != 0) res0 += 4 * ys;
    for (let t = 0; t < T; t++) {
      let w = w0 + <usize>t * wStride;
      let c0x0 = f32x4.splat(0.0), c0x1 = f32x4.splat(0.0);
      if (bias != 0) {
        c0x0 = v128.load(bias);
        c0x1 = v128.load(bias, 16);
        bias += 32;
      }
      let c1x0 = c0x0, c1x1 = c0x1, c2x0 = c0x0, c2x1 = c0x1, c3x0 = c0x0, c3x1 = c0x1;
      let k = n;
      while (true) {
        let o0 = <usize>load<u32>(w, 32);
        let w0x0 = v128.load(w);
        let w0x1 = v128.load(w, 16);
        let v0 = v128.load32_splat(b0 + o0);
        c0x0 = fma(v0, w0x0, c0x0);
        c0x1 = fma(v0, w0x1, c0x1);
        let v1 = v128.load32_splat(b1 + o0);
        c1x0 = fma(v1, w0x0, c1x0);
        c1x1 = fma(v1, w0x1, c1x1);
        let v2 = v128.load32_splat(b2 + o0);
        c2x0 = fma(v2, w0x0, c2x0);
        c2x1 = fma(v2, w0x1, c2x1);
        let v3 = v128.load32_splat(b3 + o0);
        c3x0 = fma(v3, w0x0, c3x0);
        c3x1 = fma(v3, w0x1, c3x1);
        if (--k == 0) break;
        let o1 = <usize>load<u32>(w, CN_ROWB + 32);
        let w1x0 = v128.load(w, CN_ROWB);
        let w1x1 = v128.load(w, CN_ROWB + 16);
        let u0 = v128.load32_splat(b0 + o1);
        c0x0 = fma(u0, w1x0, c0x0);
        c0x1 = fma(u0, w1x1, c0x1);
        let u1 = v128.load32_splat(b1 + o1);
        c1x0 = fma(u1, w1x0, c1x0);
        c1x1 = fma(u1, w1x1, c1x1);
        let u2 = v128.load32_splat(b2 + o1);
        c2x0 = fma(u2, w1x0, c2x0);
        c2x1 = fma(u2, w1x1, c2x1);
        let u3 = v128.load32_splat(b3 + o1);
        c3x0 = fma(u3, w1x0, c3x0);
        c3x1 = fma(u3, w1x1, c3x1);
        w += 2 * CN_ROWB;
        if (--k == 0) break;
      }
      if (act <= 2) {
        if (res != 0) {
          c0x0 = f32x4.add(c0x0, v128.load(res));
          c0x1 = f32x4.add(c0x1, v128.load(res, 16));
          c1x0 = f32x4.add(c1x0, v128.load(res + ys));
          c1x1 = f32x4.add(c1x1, v128.load(res + ys, 16));
          c2x0 = f32x4.add(c2x0, v128.load(res + 2 * ys));
          c2x1 = f32x4.add(c2x1, v128.load(res + 2 * ys, 16));
          c3x0 = f32x4.add(c3x0, v128.load(res + 3 * ys));
          c3x1 = f32x4.add(c3x1, v128.load(res + 3 * ys, 16));
        }
        if (act == 1) {
          let z = f32x4.splat(0.0);
          c0x0 = f32x4.pmax(z, c0x0); c0x1 = f32x4.pmax(z, c0x1);
          c1x0 = f32x4.pmax(z, c1x0); c1x1 = f32x4.pmax(z, c1x1);
          c2x0 = f32x4.pmax(z, c2x0); c2x1 = f32x4.pmax(z, c2x1);
          c3x0 = f32x4.pmax(z, c3x0); c3x1 = f32x4.pmax(z, c3x1);
        } else if (act == 2) {
          let vlo = f32x4.splat(lo);
          let vhi = f32x4.splat(hi);
          c0x0 = f32x4.pmin(f32x4.pmax(vlo, c0x0), vhi); c0x1 = f32x4.pmin(f32x4.pmax(vlo, c0x1), vhi);
          c1x0 = f32x4.pmin(f32x4.pmax(vlo, c1x0), vhi); c1x1 = f32x4.pmin(f32x4.pmax(vlo, c1x1), vhi);
          c2x0 = f32x4.pmin(f32x4.pmax(vlo, c2x0), vhi); c2x1 = f32x4.pmin(f32x4.pmax(vlo, c2x1), vhi);
          c3x0 = f32x4.pmin(f32x4.pmax(vlo, c3x0), vhi); c3x1 = f32x4.pmin(f32x4.pmax(vlo, c3x1), vhi);
        }
        v128.store(y, c0x0); v128.store(y, c0x1, 16);
        v128.store(y + ys, c1x0); v128.store(y + ys, c1x1, 16);
        v128.store(y + 2 * ys, c2x0); v128.store(y + 2 * ys, c2x1, 16);
        v128.store(y + 3 * ys, c3x0); v128.store(y + 3 * ys, c3x1, 16);
      } else {
        storeRow(y, res, c0x0, c0x1, 8, act, lo, hi, tmp);
        storeRow(y + ys, res != 0 ? res + ys : 0, c1x0, c1x1, 8, act, lo, hi, tmp);
        storeRow(y + 2 * ys, res != 0 ? res + 2 * ys : 0, c2x0, c2x1, 8, act, lo, hi, tmp);
        storeRow(y + 3 * ys, res != 0 ? res + 3 * ys : 0, c3x0, c3x1, 8, act, lo, hi, tmp);
      }
      y += 32;
      if (res != 0) res += 32;
    }
  }
}

/**
 * Kept rows j0..j1 of one tile (values at wsrc: tw floats a row; index entries at idx), prepared at
 * dst for the micro-kernels: CN_ROWB-byte rows of the tw weights, then the byte offset of the row's
 * input from a window origin (tapOff[tap] + 4·ci) at byte 32.
 */
// @ts-ignore: decorator
@inline function prepareRows(dst: usize, wsrc: usize, idx: usize, j0: i32, j1: i32, tapOff: usize, tw: i32): void {
  for (let j = j0; j < j1; j++) {
    let e = load<u32>(idx + (<usize>j << 2));
    let row = dst + <usize>(j - j0) * CN_ROWB;
    if (tw == 8) {
      v128.store(row, v128.load(wsrc + (<usize>j << 5)));
      v128.store(row, v128.load(wsrc + (<usize>j << 5), 16), 16);
    } else {
      v128.store(row, v128.load(wsrc + (<usize>j << 4)));
    }
    store<i32>(row, load<i32>(tapOff + (<usize>(e >>> 16) << 2)) + (<i32>(e & 0xffff) << 2), 32);
  }
}

/**
 * conv2d_colnm: the conv2d ABI (pixels [p0, p1) x output-channel tiles [t0, t1), x/y/res at channel 0
 * of this group, row strides xc/yc) with the colnm packed weights: values [tiles][Kt][8], index
 * [tiles][Kt] (tap << 16 | ci). Pixels go in blocks of CN_MC: the block's window origins are
 * computed once (pixel table). Per tile, kept rows go in chunks of ≤ CN_KC: a chunk's rows are
 * prepared (weights + byte offset from a window origin) and stay in L1 while the block's groups of 4
 * pixels run f32_gemm_colnm_4x8 over them: runs of groups whose windows lie inside the image in one
 * call, border groups one run of taps at a time (seg: each tap's kept rows). Partial sums between
 * chunks and runs sit in scratch; the epilogue runs with a group's last run of the last chunk.
 */
export function conv2dColNm(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, values: usize, index: usize, Kt: i32, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  colNmDriver(x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, values, index, Kt, bias, OC, y, yc, res, act, a0, a1, p0, p1, t0, t1, scratch, 8);
}

/** conv2d_colnm with tiles of 4 output channels (packColNmWeights(..., 4): values [ceil(OC/4)][Kt][4]); t0, t1 count 4-channel tiles. */
export function conv2dColNm4(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, values: usize, index: usize, Kt: i32, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  colNmDriver(x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, values, index, Kt, bias, OC, y, yc, res, act, a0, a1, p0, p1, t0, t1, scratch, 4);
}

function colNmDriver(x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, values: usize, index: usize, Kt: i32, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize, tw: i32): void {
  if (p1 <= p0 || t1 <= t0) return; // empty share of a split
  let taps = kh * kw;
  let K = taps * Cin;
  let tmp = scratch + CN_TMP;
  let qb = tmp + 32;
  let pBase = scratch + <usize>CN_HDR;
  let pIy = pBase + (<usize>CN_MC << 2);
  let pIx = pIy + (<usize>CN_MC << 2);
  let gIn = pIx + (<usize>CN_MC << 2);
  let accs = gIn + <usize>CN_MC;
  let rowsBuf = accs + (<usize>CN_MC << 5);
  let seg = rowsBuf + <usize>imin(Kt, CN_KC) * CN_ROWB;
  let tapOff = seg + (<usize>((K + 4) & ~3) << 2);
  let zeros = tapOff + (<usize>((K + 3) & ~3) << 2);
  let rowsAll = zeros + (<usize>((K + 3) & ~3) << 2);
  // Tile-inner order for interior groups of tiles with at most CN_TKT kept rows (8-wide tiles only),
  // tB full tiles per batch of prepared rows.
  let tF1 = imin(t1, OC >> 3);
  let tiled = tw == 8 && Kt > 0 && Kt <= CN_TKT && tF1 - t0 >= 2;
  let tB = tiled ? CN_TROWS / Kt : 0;
  let pixB = xc << 2;
  let rowB = W * pixB;
  let imgB = H * rowB;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) store<i32>(tapOff + (<usize>(ky * kw + kx) << 2), ky * dh * rowB + kx * dw * pixB);
  }
  // Some window leaves the image: border groups read zeros for the padded taps.
  let padded = pt > 0 || pl > 0 || (OH - 1) * sh - pt + (kh - 1) * dh >= H || (OW - 1) * sw - pl + (kw - 1) * dw >= W;
  if (padded) zeroF32(zeros, Cin);
  let ys = <usize>yc << 2;
  let tileWB = <usize>Kt * (<usize>tw << 2);
  let ohw = OH * OW;
  let yExt = (kh - 1) * dh;
  let xExt = (kw - 1) * dw;
  let chunks = Kt > CN_KC ? (Kt + CN_KC - 1) / CN_KC : 1;
  let kc = (Kt + chunks - 1) / chunks;
  let n = p0 / ohw;
  let r = p0 - n * ohw;
  let oy = r / OW;
  let ox = r - oy * OW;
  for (let pc = p0; pc < p1; pc += CN_MC) {
    let np = imin(CN_MC, p1 - pc);
    let ng = (np + 3) >> 2;
    // Pixel table: window origin (byte address, may lie outside the image), its (iy, ix), and per
    // group of 4 whether every window is inside. Built an output row segment at a time (iy and the
    // row test fixed, the origin stepping by sw pixels). A tail group repeats its first pixel.
    for (let q = 0; q < ng; q++) store<u8>(gIn + q, 1);
    let i = 0;
    while (i < np) {
      let cnt = imin(np - i, OW - ox);
      let iy = oy * sh - pt;
      let ix = ox * sw - pl;
      let rowIn = iy >= 0 && iy + yExt < H;
      let base = <i32>x + n * imgB + iy * rowB + ix * pixB;
      let step = sw * pixB;
      for (let e = i + cnt; i < e; i++) {
        let q = <usize>i << 2;
        store<u32>(pBase + q, <u32>base);
        store<i32>(pIy + q, iy);
        store<i32>(pIx + q, ix);
        if (!(rowIn && ix >= 0 && ix + xExt < W)) store<u8>(gIn + (i >> 2), 0);
        base += step;
        ix += sw;
      }
      ox += cnt;
      if (ox == OW) {
        ox = 0;
        if (++oy == OH) {
          oy = 0;
          n++;
        }
      }
    }
    for (; i < ng << 2; i++) {
      let q = <usize>i << 2;
      let f = <usize>(i & ~3) << 2;
      store<u32>(pBase + q, load<u32>(pBase + f));
      store<i32>(pIy + q, load<i32>(pIy + f));
      store<i32>(pIx + q, load<i32>(pIx + f));
    }
    if (tiled) {
      // Tile-inner order for the full tiles' interior groups, tB tiles at a time.
      for (let tb = t0; tb < tF1; tb += tB) {
        let te = imin(tF1, tb + tB);
        for (let t = tb; t < te; t++) {
          prepareRows(rowsAll + <usize>((t - tb) * Kt) * CN_ROWB, values + <usize>t * tileWB, index + (<usize>t * <usize>Kt << 2), 0, Kt, tapOff, 8);
        }
        let bt0 = bias != 0 ? bias + (<usize>tb * NR << 2) : 0;
        let g = 0;
        while (g < ng) {
          if (load<u8>(gIn + g) == 0 || (g << 2) + 4 > np) {
            g++;
            continue;
          }
          let ge = g + 1;
          while (ge < ng && load<u8>(gIn + ge) != 0 && (ge << 2) + 4 <= np) ge++;
          let yo = y + <usize>(pc + (g << 2)) * ys + (<usize>tb * NR << 2);
          let ro = res != 0 ? res + <usize>(pc + (g << 2)) * ys + (<usize>tb * NR << 2) : 0;
          f32_gemm_colnm_4x8_tiles(pBase + (<usize>g << 4), ge - g, te - tb, Kt, rowsAll, <usize>Kt * CN_ROWB, bt0, yo, ys, ro, act, a0, a1, tmp);
          g = ge;
        }
      }
    }
    for (let t = t0; t < t1; t++) {
      let idx = index + (<usize>t * <usize>Kt << 2);
      let wsrc = values + <usize>t * tileWB;
      // seg[tap] = first kept row of that tap.
      let tp = 0;
      for (let j = 0; j < Kt; j++) {
        let tap = <i32>(load<u32>(idx + (<usize>j << 2)) >>> 16);
        for (; tp <= tap; tp++) store<i32>(seg + (<usize>tp << 2), j);
      }
      for (; tp <= taps; tp++) store<i32>(seg + (<usize>tp << 2), Kt);
      let nc = imin(tw, OC - t * tw);
      let bt = bias != 0 ? bias + (<usize>(t * tw) << 2) : 0;
      let tc = <usize>(t * tw) << 2;
      for (let k0 = 0; k0 < Kt; k0 += kc) {
        let k1 = imin(Kt, k0 + kc);
        let first = k0 == 0, last = k1 == Kt;
        prepareRows(rowsBuf, wsrc, idx, k0, k1, tapOff, tw);
        let g = 0;
        while (g < ng) {
          let rows = imin(4, np - (g << 2));
          let yo = y + <usize>(pc + (g << 2)) * ys + tc;
          let ro = res != 0 ? res + <usize>(pc + (g << 2)) * ys + tc : 0;
          let acc = accs + (<usize>g << 7);
          if (load<u8>(gIn + g) != 0) {
            if (tiled && t < tF1 && rows == 4) {
              g++; // done in tile-inner order above
              continue;
            }
            // A run of groups with every window inside: one call over all of them (a tail group alone).
            let ge = g + 1;
            if (rows == 4) while (ge < ng && load<u8>(gIn + ge) != 0 && (ge << 2) + 4 <= np) ge++;
            colnmKernel(tw, k0, pBase + (<usize>g << 4), ge - g, k1 - k0, rowsBuf, bt, first ? 0 : acc, last ? 0 : acc, yo, ys, ro, rows, nc, act, a0, a1, tmp);
            g = ge;
            continue;
          }
          // Border group: runs of taps within the chunk; a run of taps valid for all 4 pixels merges
          // with the previous one. The bases of a run go to the 16 bytes at qb.
          let pg = pBase + (<usize>g << 4);
          let aA = load<u32>(pg), aB = load<u32>(pg, 4), aC = load<u32>(pg, 8), aD = load<u32>(pg, 12);
          let gy = pIy + (<usize>g << 4), gx = pIx + (<usize>g << 4);
          let iyA = load<i32>(gy), iyB = load<i32>(gy, 4), iyC = load<i32>(gy, 8), iyD = load<i32>(gy, 12);
          let ixA = load<i32>(gx), ixB = load<i32>(gx, 4), ixC = load<i32>(gx, 8), ixD = load<i32>(gx, 12);
          let started = !first, pend = false, pendAll = false;
          let pj = 0, pn = 0;
          let q0: u32 = 0, q1: u32 = 0, q2: u32 = 0, q3: u32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            let dy = ky * dh;
            let rA = <u32>(iyA + dy) < <u32>H, rB = <u32>(iyB + dy) < <u32>H, rC = <u32>(iyC + dy) < <u32>H, rD = <u32>(iyD + dy) < <u32>H;
            if (!(rA || rB || rC || rD)) continue;
            for (let kx = 0; kx < kw; kx++) {
              let tap = ky * kw + kx;
              let j0 = imax(k0, load<i32>(seg + (<usize>tap << 2)));
              let j1 = imin(k1, load<i32>(seg + (<usize>(tap + 1) << 2)));
              if (j0 >= j1) continue;
              let dx = kx * dw;
              let vA = rA && <u32>(ixA + dx) < <u32>W, vB = rB && <u32>(ixB + dx) < <u32>W;
              let vC = rC && <u32>(ixC + dx) < <u32>W, vD = rD && <u32>(ixD + dx) < <u32>W;
              if (!(vA || vB || vC || vD)) continue;
              let all = vA && vB && vC && vD;
              if (all && pend && pendAll && pj + pn == j0) {
                pn += j1 - j0;
                continue;
              }
              if (pend) {
                store<u32>(qb, q0); store<u32>(qb, q1, 4); store<u32>(qb, q2, 8); store<u32>(qb, q3, 12);
                colnmKernel(tw, pj, qb, 1, pn, rowsBuf + <usize>(pj - k0) * CN_ROWB, bt, started ? acc : 0, acc, yo, ys, ro, rows, nc, act, a0, a1, tmp);
                started = true;
              }
              let z = <u32>zeros - load<u32>(tapOff + (<usize>tap << 2));
              q0 = vA ? aA : z; q1 = vB ? aB : z; q2 = vC ? aC : z; q3 = vD ? aD : z;
              pend = true; pendAll = all; pj = j0; pn = j1 - j0;
            }
          }
          if (pend) {
            store<u32>(qb, q0); store<u32>(qb, q1, 4); store<u32>(qb, q2, 8); store<u32>(qb, q3, 12);
            colnmKernel(tw, pj, qb, 1, pn, rowsBuf + <usize>(pj - k0) * CN_ROWB, bt, started ? acc : 0, last ? 0 : acc, yo, ys, ro, rows, nc, act, a0, a1, tmp);
          } else if (last || !started) {
            // No valid tap in this chunk: still start from the bias (first chunk) and/or finish (last).
            colnmKernel(tw, k0, pg, 1, 0, rowsBuf, bt, started ? acc : 0, last ? 0 : acc, yo, ys, ro, rows, nc, act, a0, a1, tmp);
          }
          g++;
        }
      }
    }
  }
}
