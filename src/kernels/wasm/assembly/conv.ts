/**
 * Dense convolution as GEMM over NHWC: Y[P, OC] = X̂[P, K]·W[K, OC], K = kh·kw·Cin in (ky, kx, ci)
 * order, P = N·OH·OW. Pixels go in blocks of `convBlockPixels(K)`: a block's rows of X̂ are gathered
 * (im2col fused into packing, zeros for padding) into scratch, then every weight tile [K][8] runs
 * over the block's MR-row panels, so a tile's weights stay in L1/L2 across the block and the block
 * stays in L2 across tiles. 1x1 stride-1 unpadded convs (and Gemm) read X rows in place.
 */
import { NR, CONV_TMP_BYTES, convBlockPixels } from "./layout";
import { copyF32, zeroF32, imin } from "./common";
import { gemmRows } from "./f32-gemm/index";

/** Gathers X̂ rows [pc, pe) into dst (row stride K floats). */
function gatherRows(pc: i32, pe: i32, x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, dst: usize): void {
  let ohw = OH * OW;
  let n = pc / ohw;
  let r = pc - n * ohw;
  let oy = r / OW;
  let ox = r - oy * OW;
  let pixB = <usize>xc << 2;
  let rowB = <usize>W * pixB;
  let tapF = Cin;
  let tapB = <usize>Cin << 2;
  // Taps of one kernel row are contiguous in x when channels are dense and dilation is 1.
  let rowRun = dw == 1 && xc == Cin;
  for (let p = pc; p < pe; p++) {
    let img = x + <usize>n * <usize>H * rowB;
    let iy0 = oy * sh - pt;
    let ix0 = ox * sw - pl;
    let inX = ix0 >= 0 && ix0 + (kw - 1) * dw < W;
    for (let ky = 0; ky < kh; ky++) {
      let iy = iy0 + ky * dh;
      if (iy < 0 || iy >= H) {
        zeroF32(dst, kw * tapF);
        dst += <usize>kw * tapB;
        continue;
      }
      let row = img + <usize>iy * rowB;
      if (rowRun && inX) {
        copyF32(dst, row + <usize>ix0 * pixB, kw * tapF);
        dst += <usize>kw * tapB;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        let ix = ix0 + kx * dw;
        if (ix < 0 || ix >= W) zeroF32(dst, tapF);
        else copyF32(dst, row + <usize>ix * pixB, tapF);
        dst += tapB;
      }
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

/** The conv2d ABI with the micro-kernel height fixed to mr (4 or 6; tails use smaller kernels). */
export function conv2dMr(mr: i32, x: usize, H: i32, W: i32, xc: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Cin: i32, wpk: usize, bias: usize, OC: i32, y: usize, yc: i32, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, t0: i32, t1: i32, scratch: usize): void {
  let K = kh * kw * Cin;
  let tmp = scratch;
  let panel = scratch + CONV_TMP_BYTES;
  let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
  let mc = convBlockPixels(K);
  let tileB = <usize>K * (NR << 2);
  let ys = <usize>yc << 2;
  for (let pc = p0; pc < p1; pc += mc) {
    let pe = imin(pc + mc, p1);
    let a: usize, as: usize;
    if (direct) {
      a = x + <usize>pc * (<usize>xc << 2);
      as = <usize>xc << 2;
    } else {
      gatherRows(pc, pe, x, H, W, xc, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, Cin, panel);
      a = panel;
      as = <usize>K << 2;
    }
    for (let t = t0; t < t1; t++) {
      let nc = imin(NR, OC - t * NR);
      let wt = wpk + <usize>t * tileB;
      let bt = bias != 0 ? bias + (<usize>t * NR << 2) : 0;
      let yo = y + (<usize>pc * ys) + (<usize>t * NR << 2);
      let ro = res != 0 ? res + (<usize>pc * ys) + (<usize>t * NR << 2) : 0;
      let ap = a;
      for (let p = pc; p < pe; p += mr) {
        let rows = imin(mr, pe - p);
        gemmRows(rows, ap, as, K, wt, bt, yo, ys, ro, nc, act, a0, a1, tmp);
        ap += <usize>mr * as;
        yo += <usize>mr * ys;
        if (ro != 0) ro += <usize>mr * ys;
      }
    }
  }
}

/** Micro-kernel height for a call over P pixels: fewest row-passes, weighing a pass of mr rows as mr + 3. */
export function pickMr(P: i32): i32 {
  let c6 = ((P + 5) / 6) * 9;
  let c4 = ((P + 3) / 4) * 7;
  return c4 < c6 ? 4 : 6;
}
