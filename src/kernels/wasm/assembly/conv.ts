/**
 * Dense convolution as GEMM over NHWC: Y[P, OC] = X̂[P, K]·W[K, OC], K = kh·kw·Cin in (ky, kx, ci)
 * order, P = N·OH·OW. Pixels go in blocks of mc and K in chunks of kc; a (block, chunk) panel of X̂
 * is gathered straight from x into scratch (im2col fused into packing, zeros for padding) and stays
 * in L1 while every weight tile's [kc][8] slice runs over its MR-row panels. 1x1 stride-1 unpadded
 * convs (and Gemm) read the rows of x in place instead.
 */
import { NR, CONV_TMP_BYTES, CONV_A_BYTES, CONV_MC_SMALL, CONV_MC_BIG, CONV_W_L2_BYTES } from "./layout";
import { copyF32, zeroF32, imin } from "./common";
import { gemmRows } from "./f32-gemm/index";

/** Gathers columns [k0, k0 + kn) of X̂ rows [pc, pe) into dst (row stride kn floats), zeros for padding. */
export function gatherPanel(pc: i32, pe: i32, k0: i32, kn: i32, x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, dst: usize): void {
  let ohw = OH * OW;
  let n = pc / ohw;
  let r = pc - n * ohw;
  let oy = r / OW;
  let ox = r - oy * OW;
  let pixB = <usize>xc << 2;
  let rowB = <usize>W * pixB;
  let rowK = kw * Cin;
  let k1 = k0 + kn;
  // A kernel row's taps are contiguous in x when channels are dense and dilation is 1.
  let rowRun = dw == 1 && xc == Cin;
  for (let p = pc; p < pe; p++) {
    let img = x + <usize>n * <usize>H * rowB;
    let iy0 = oy * sh - pt;
    let ix0 = ox * sw - pl;
    let inX = ix0 >= 0 && ix0 + (kw - 1) * dw < W;
    let k = k0;
    while (k < k1) {
      let ky = k / rowK;
      let kr = k - ky * rowK;
      let iy = iy0 + ky * dh;
      if (iy < 0 || iy >= H) {
        let run = imin(rowK - kr, k1 - k);
        zeroF32(dst, run);
        dst += <usize>run << 2;
        k += run;
        continue;
      }
      let row = img + <usize>iy * rowB;
      if (rowRun && inX) {
        let run = imin(rowK - kr, k1 - k);
        copyF32(dst, row + <usize>ix0 * pixB + (<usize>kr << 2), run);
        dst += <usize>run << 2;
        k += run;
        continue;
      }
      let kx = kr / Cin;
      let ci = kr - kx * Cin;
      let run = imin(Cin - ci, k1 - k);
      let ix = ix0 + kx * dw;
      if (ix < 0 || ix >= W) zeroF32(dst, run);
      else copyF32(dst, row + <usize>ix * pixB + (<usize>ci << 2), run);
      dst += <usize>run << 2;
      k += run;
    }
    if (++ox == OW) {
      ox = 0;
      if (++oy == OH) {
        oy = 0;
        n++;
      }
    }
  }
}

/**
 * The conv2d ABI with the micro-kernel height fixed to mr (4 or 6; tails use smaller kernels).
 * Blocking: pixels in blocks of mc, K in chunks of kc with mc·kc·4 ≤ CONV_A_BYTES, so one
 * (block, chunk) panel of X̂ stays in L1 while every weight tile's [kc][8] slice streams past it.
 */
export function conv2dMr(mr: i32, x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  if (p1 <= p0 || t1 <= t0) return; // empty share of a split (the blocking below divides by P)
  let K = kh * kw * Cin;
  let tmp = scratch;
  let panel = scratch + <usize>CONV_TMP_BYTES;
  let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
  let P = p1 - p0;
  // Pixels per block: few when the call's weights stay in L2 anyway (longer K chunks, fewer calls),
  // many when they do not (each block streams them from L3 once). Blocks are balanced so no
  // 1-pixel block re-reads the weights at the end.
  // Everything that fixes the K chunking (hence the order partial sums are added in) depends on
  // the layer only (K, all OC tiles), never on this call's range: any split across threads gives
  // bit-identical outputs.
  let wBytes = <i64>K * <i64>((OC + NR - 1) / NR) * (NR << 2);
  let mcMax = wBytes > <i64>CONV_W_L2_BYTES ? CONV_MC_BIG : CONV_MC_SMALL;
  let nb = (P + mcMax - 1) / mcMax;
  let mc = ((P + nb - 1) / nb + mr - 1) / mr * mr;
  // mc never exceeds mcMax rounded up to a whole panel, so the (block, chunk) panel fits CONV_A_BYTES.
  let mcCap = (mcMax + mr - 1) / mr * mr;
  let kc = imin(K, CONV_A_BYTES / (mcCap << 2));
  let chunks = (K + kc - 1) / kc;
  kc = (K + chunks - 1) / chunks;
  let tileB = <usize>K * (NR << 2);
  let ys = <usize>yc << 2;
  for (let pc = p0; pc < p1; pc += mc) {
    let pe = imin(pc + mc, p1);
    // K chunks outermost within the block; partial sums go through y (acc = 1), the epilogue
    // (residual, activation) runs with the last chunk only.
    for (let k0 = 0; k0 < K; k0 += kc) {
      let kn = imin(kc, K - k0);
      let first = k0 == 0;
      let last = k0 + kn == K;
      let actK = last ? act : 0;
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
        let bt = first && bias != 0 ? bias + (<usize>t * NR << 2) : 0;
        let yo = y + (<usize>pc * ys) + (<usize>t * NR << 2);
        let ro = last && res != 0 ? res + (<usize>pc * ys) + (<usize>t * NR << 2) : 0;
        let ap = a;
        for (let p = pc; p < pe; p += mr) {
          let rows = imin(mr, pe - p);
          gemmRows(rows, ap, as, kn, wt, bt, yo, ys, ro, nc, actK, a0, a1, tmp, first ? 0 : 1);
          ap += <usize>mr * as;
          yo += <usize>mr * ys;
          if (ro != 0) ro += <usize>mr * ys;
        }
      }
    }
  }
}

/**
 * Micro-kernel height for a call over P pixels. 4x8 is the one that does not spill in V8 on x64
 * (8 accumulators + 2 weight vectors + 4 splats = 14 of the 15 allocatable xmm registers); 6x8 spills
 * there and runs at ~60% of 4x8, so it is only offered to the profiler (engines with 32 vector
 * registers, e.g. arm64, may prefer it).
 */
export function pickMr(P: i32): i32 {
  return 4;
}
