/**
 * DEPrune depthwise convolution under diagonal-wise refactorization (DR), NHWC, any kh x kw, stride,
 * dilation and padding. Every kept (channel, tap) weight is one row of its channel group's sub-GEMM;
 * pruned rows are skipped, so the multiply-adds are exactly the kept weights x output pixels.
 *
 * SIMD runs over 4 consecutive output pixels of ONE channel, so each channel can loop over its own
 * kept taps (packing.ts, packDepthwiseDr: per channel a list of (tap, weight)). That needs the input
 * channel-planar: input rows are transposed (4x4 f32 blocks) into a line buffer in scratch,
 *     buf[c][slot][phase q][i] = x[n][iy][i·sw + q − pl][c]   (0 outside the image),
 * one row per slot, the sw phases de-interleaved so stride-sw windows read contiguous vectors; the
 * buffer keeps the rows of the current output row's windows and shifts (copies the rows it keeps to
 * the front) when it runs out of slots, so every input row is transposed once per call.
 * Output rows are the outer loop (x is read, and y written, row after row); per output row, channels
 * go in blocks of 16: a strip kernel (f32-dwconv-dr/, one template) computes R output rows x 4V pixels
 * of each channel into a small planar tile, and dwDrStore transposes it back to NHWC with residual +
 * activation (the y row stays in L1 across the blocks). Output rows of ≤ 8 pixels go R rows per strip.
 */
import { actV, actS, zeroF32, imin } from "./common";
import { dwDrStrips } from "./f32-dwconv-dr/index";

/** Most vectors of 4 pixels per strip (scripts/gen-wasm-sparse-kernels.mjs VMAX). */
const DWDR_VMAX: i32 = 4;
/** Channels per block (per strip-kernel call): the output tile is [16][DWDR_VMAX] vectors, and y is written 64 bytes a pixel. */
const DWDR_CB: i32 = 16;
/** Line-buffer bytes to aim for (all channels; it lives in L2): more slots = fewer shifts. */
const DWDR_BUF_BYTES: i32 = 512 * 1024;

/** Floats of one phase of a planar row: every 4-pixel vector a strip reads at any tap. */
// @ts-ignore: decorator
@inline function dwDrPhaseLen(OW: i32, kw: i32, sw: i32, dw: i32): i32 {
  return (OW + 3 + ((kw - 1) * dw) / sw + 3) & ~3;
}

/** Output rows per strip: rows of few vectors are stacked so a strip has up to DWDR_VMAX vectors. */
// @ts-ignore: decorator
@inline function dwDrRowsPerStrip(OW: i32): i32 {
  let nv = (OW + 3) >> 2;
  return nv >= DWDR_VMAX ? 1 : DWDR_VMAX / nv;
}

/** Line-buffer slots: the windows of one strip, plus as many more as DWDR_BUF_BYTES allows (up to 6·sh). */
// @ts-ignore: decorator
@inline function dwDrSlots(C: i32, OW: i32, kh: i32, sh: i32, dh: i32, rowF: i32): i32 {
  let need = (kh - 1) * dh + 1 + (dwDrRowsPerStrip(OW) - 1) * sh;
  let fit = DWDR_BUF_BYTES / (C * rowF * 4);
  let more = need + 6 * sh;
  let L = fit < more ? fit : more;
  return L > need ? L : need;
}

/**
 * Scratch bytes of one dwconv2d_dr call: tap table [kh·kw] | every channel's entries [C·kh·kw] x 8
 * bytes (at most) | output tile [16][DWDR_VMAX][4] floats | line buffer [C][slots][sw·PL] floats.
 */
export function dwDrScratchBytes(C: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  let taps = kh * kw;
  let rowF = sw * dwDrPhaseLen(OW, kw, sw, dw);
  return (((taps + 3) & ~3) << 2) + C * taps * 8 + DWDR_CB * DWDR_VMAX * 16 + C * dwDrSlots(C, OW, kh, sh, dh, rowF) * rowF * 4;
}

/** dst[0..n) = src[0..n), front to back (dst ≤ src: the line buffer's shift overlaps). */
function moveF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function imax0(a: i32, b: i32): i32 { return a > b ? a : b; }

/**
 * Transposes channels [0, nch) of input row xrow (pixels of C channels, xrow at the block's first
 * channel; 0 = a padding row) into the planar slot at dst (channel ch at dst + ch·chanB, phase q at
 * + q·PL floats), zeros outside the image. 4 pixels x 4 channels per 4x4 transpose.
 */
function dwDrLoadRow(xrow: usize, W: i32, C: i32, nch: i32, sw: i32, pl: i32, PL: i32, dst: usize, chanB: usize): void {
  let rowF = sw * PL;
  if (xrow == 0) {
    for (let c = 0; c < nch; c++) zeroF32(dst + <usize>c * chanB, rowF);
    return;
  }
  let cB = <usize>C << 2;
  let stepB = <usize>sw * cB;
  let Cv = nch & ~3;
  let z = f32x4.splat(0.0);
  let chan4B = chanB << 2;
  for (let q = 0; q < sw; q++) {
    // Position i of phase q is column ix = i·sw + q − pl; inside the image for i in [iLo, iHi).
    let iLo = pl - q <= 0 ? 0 : (pl - q + sw - 1) / sw;
    let iHi = pl + W - q <= 0 ? 0 : (pl + W - q + sw - 1) / sw;
    iLo = imin(iLo, PL);
    iHi = imin(imax0(iHi, iLo), PL);
    let gA = (iLo + 3) & ~3;
    let gB = iHi & ~3;
    if (gB < gA) gB = gA;
    let qB = <usize>(q * PL) << 2;
    // Edge groups (some pixel outside the image) lane by lane, for every channel quad.
    for (let g = 0; g < PL; g += 4) {
      if (g == gA) {
        if (gB == PL) break;
        g = gB;
      }
      let s = xrow + <usize>(g * sw + q - pl) * cB;
      let d = dst + qB + (<usize>g << 2);
      let in0 = g >= iLo && g < iHi, in1 = g + 1 >= iLo && g + 1 < iHi, in2 = g + 2 >= iLo && g + 2 < iHi, in3 = g + 3 >= iLo && g + 3 < iHi;
      for (let c = 0; c < Cv; c += 4) {
        let o = <usize>c << 2;
        let r0 = in0 ? v128.load(s + o) : z;
        let r1 = in1 ? v128.load(s + stepB + o) : z;
        let r2 = in2 ? v128.load(s + 2 * stepB + o) : z;
        let r3 = in3 ? v128.load(s + 3 * stepB + o) : z;
        let t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        let t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        let t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        let dc = d + <usize>(c >> 2) * chan4B;
        v128.store(dc, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(dc + chanB, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(dc + 2 * chanB, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(dc + 3 * chanB, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
    }
    // Interior groups: 4 pixels of this phase, each read 16 channels (one cache line) at a time.
    let s = xrow + <usize>(gA * sw + q - pl) * cB;
    let d = dst + qB + (<usize>gA << 2);
    for (let g = gA; g < gB; g += 4) {
      for (let c = 0; c < Cv; c += 4) {
        let o = <usize>c << 2;
        let r0 = v128.load(s + o);
        let r1 = v128.load(s + stepB + o);
        let r2 = v128.load(s + 2 * stepB + o);
        let r3 = v128.load(s + 3 * stepB + o);
        let t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        let t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        let t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        let dc = d + <usize>(c >> 2) * chan4B;
        v128.store(dc, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(dc + chanB, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(dc + 2 * chanB, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(dc + 3 * chanB, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
      s += 4 * stepB;
      d += 16;
    }
    // Tail channels (nch % 4) one by one.
    for (let c = Cv; c < nch; c++) {
      let dc = dst + <usize>c * chanB + qB;
      let xc = xrow + (<usize>c << 2);
      for (let i = 0; i < PL; i++) {
        let v: f32 = 0;
        if (i >= iLo && i < iHi) v = load<f32>(xc + <usize>(i * sw + q - pl) * cB);
        store<f32>(dc + (<usize>i << 2), v);
      }
    }
  }
}

/**
 * Writes V vectors of 4 pixels (the last ones: cnt pixels in all) of nch channels from the strip tile
 * (channel ch's vectors at tile + ch·tileB) to NHWC y (pixel stride cB), + residual, activation:
 * per vector and channel quad a 4x4 transpose.
 */
function dwDrStore(tile: usize, tileB: usize, V: i32, cnt: i32, nch: i32, y: usize, res: usize, cB: usize, act: i32, a0: f32, a1: f32): void {
  let nq = nch & ~3;
  let clamp = act == 1 || act == 2;
  let vlo = f32x4.splat(act == 1 ? 0.0 : a0);
  let vhi = f32x4.splat(act == 1 ? Infinity : a1);
  let tileB2 = tileB << 1;
  let tileB4 = tileB << 2;
  for (let v = 0; v < V; v++) {
    let to = tile + (<usize>v << 4);
    let yo = y + <usize>(v << 2) * cB;
    let ro = res != 0 ? res + <usize>(v << 2) * cB : 0;
    let n = imin(4, cnt - (v << 2));
    if (n == 4 && ro == 0) {
      for (let c = 0; c < nq; c += 4) {
        let k0 = v128.load(to), k1 = v128.load(to + tileB), k2 = v128.load(to + tileB2), k3 = v128.load(to + tileB2 + tileB);
        let t0 = v128.shuffle<f32>(k0, k1, 0, 4, 1, 5);
        let t1 = v128.shuffle<f32>(k0, k1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(k2, k3, 0, 4, 1, 5);
        let t3 = v128.shuffle<f32>(k2, k3, 2, 6, 3, 7);
        let q0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5);
        let q1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
        let q2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5);
        let q3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
        if (clamp) {
          q0 = f32x4.pmin(f32x4.pmax(vlo, q0), vhi);
          q1 = f32x4.pmin(f32x4.pmax(vlo, q1), vhi);
          q2 = f32x4.pmin(f32x4.pmax(vlo, q2), vhi);
          q3 = f32x4.pmin(f32x4.pmax(vlo, q3), vhi);
        }
        let yc = yo + (<usize>c << 2);
        v128.store(yc, q0);
        v128.store(yc + cB, q1);
        v128.store(yc + 2 * cB, q2);
        v128.store(yc + 3 * cB, q3);
        to += tileB4;
      }
    } else {
      for (let c = 0; c < nq; c += 4) {
        let k0 = v128.load(to), k1 = v128.load(to + tileB), k2 = v128.load(to + tileB2), k3 = v128.load(to + tileB2 + tileB);
        let t0 = v128.shuffle<f32>(k0, k1, 0, 4, 1, 5);
        let t1 = v128.shuffle<f32>(k0, k1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(k2, k3, 0, 4, 1, 5);
        let t3 = v128.shuffle<f32>(k2, k3, 2, 6, 3, 7);
        let q0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5);
        let q1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
        let q2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5);
        let q3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
        let yc = yo + (<usize>c << 2);
        if (ro != 0) {
          let rc = ro + (<usize>c << 2);
          q0 = f32x4.add(q0, v128.load(rc));
          if (n > 1) q1 = f32x4.add(q1, v128.load(rc + cB));
          if (n > 2) q2 = f32x4.add(q2, v128.load(rc + 2 * cB));
          if (n > 3) q3 = f32x4.add(q3, v128.load(rc + 3 * cB));
        }
        if (clamp) {
          q0 = f32x4.pmin(f32x4.pmax(vlo, q0), vhi);
          q1 = f32x4.pmin(f32x4.pmax(vlo, q1), vhi);
          q2 = f32x4.pmin(f32x4.pmax(vlo, q2), vhi);
          q3 = f32x4.pmin(f32x4.pmax(vlo, q3), vhi);
        }
        v128.store(yc, q0);
        if (n > 1) v128.store(yc + cB, q1);
        if (n > 2) v128.store(yc + 2 * cB, q2);
        if (n > 3) v128.store(yc + 3 * cB, q3);
        to += tileB4;
      }
    }
    // Tail channels (nch % 4) one by one.
    for (let c = nq; c < nch; c++) {
      let tc = tile + <usize>c * tileB + (<usize>v << 4);
      for (let i = 0; i < n; i++) {
        let o = <usize>i * cB + (<usize>c << 2);
        let val = load<f32>(tc + (<usize>i << 2));
        if (ro != 0) val += load<f32>(ro + o);
        store<f32>(yo + o, actS(val, act, a0, a1));
      }
    }
    // Other activations in a pass of their own (no call in the loops above).
    if (act > 2) {
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < nq; c += 4) {
          let a = yo + <usize>i * cB + (<usize>c << 2);
          v128.store(a, actV(v128.load(a), act, a0, a1));
        }
      }
    }
  }
}

/**
 * dwconv2d_dr(x, H, W, C, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, packed, bias, y, res, act, a0, a1, p0, p1, scratch):
 * output pixels [p0, p1) of N·OH·OW (any split), all C channels; packed = packDepthwiseDr's words
 * (C + 1 entry starts, then 8-byte (tap, weight) entries); bias padded like packBias (0 = none);
 * scratch: dwDrScratchBytes(C, OW, kh, kw, sh, sw, dh, dw) bytes.
 */
export function dwconv2dDr(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, packed: usize, bias: usize, y: usize, res: usize, act: i32, a0: f32, a1: f32, p0: i32, p1: i32, scratch: usize): void {
  if (p1 <= p0) return;
  let taps = kh * kw;
  let tab = scratch;
  let ents = tab + (<usize>((taps + 3) & ~3) << 2);
  let tile = ents + <usize>(C * taps * 8);
  let buf = tile + <usize>(DWDR_CB * DWDR_VMAX * 16);
  let PL = dwDrPhaseLen(OW, kw, sw, dw);
  let rowF = sw * PL;
  let rowB = <usize>rowF << 2;
  let L = dwDrSlots(C, OW, kh, sh, dh, rowF);
  let chanB = <usize>L * rowB;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      let cx = kx * dw;
      store<i32>(tab + (<usize>(ky * kw + kx) << 2), (ky * dh * rowF + (cx % sw) * PL + cx / sw) << 2);
    }
  }
  // Every kept entry with its tap as a byte offset in the planar layout (channel order, as packed).
  let pent = packed + (<usize>((C + 2) & ~1) << 2);
  let kept = <i32>load<u32>(packed + (<usize>C << 2));
  for (let j = 0; j < kept; j++) {
    let src = pent + (<usize>j << 3);
    let dst = ents + (<usize>j << 3);
    store<u32>(dst, load<u32>(tab + (<usize>load<u32>(src) << 2)));
    store<u32>(dst, load<u32>(src, 4), 4);
  }
  let cB = <usize>C << 2;
  let xRowB = <usize>W * cB;
  let span = (kh - 1) * dh + 1;
  let RM = dwDrRowsPerStrip(OW);
  let ohw = OH * OW;
  let strideRowB = <usize>sh * rowB;
  // Line buffer: input rows [rb, rb + fill) of image bn sit in slots [0, fill).
  let bn = -1, rb = 0, fill = 0;
  let p = p0;
  while (p < p1) {
    let n = p / ohw;
    let rem = p - n * ohw;
    let oy = rem / OW;
    let oxa = rem - oy * OW;
    let oxb = imin(OW, oxa + (p1 - p));
    let R = 1;
    if (RM > 1 && oxa == 0 && oxb == OW) R = imin(RM, imin(OH - oy, (p1 - p) / OW));
    let lo = oy * sh - pt;
    let hi = lo + (R - 1) * sh + span;
    if (n != bn || lo < rb || lo > rb + fill) {
      bn = n;
      rb = lo;
      fill = 0;
    } else if (hi > rb + L) {
      let d = lo - rb;
      let keep = fill - d;
      if (keep > 0) {
        for (let c = 0; c < C; c++) moveF32(buf + <usize>c * chanB, buf + <usize>c * chanB + <usize>d * rowB, keep * rowF);
      }
      rb = lo;
      fill = keep;
    }
    while (rb + fill < hi) {
      let iy = rb + fill;
      let xrow: usize = iy >= 0 && iy < H ? x + <usize>n * <usize>H * xRowB + <usize>iy * xRowB : 0;
      dwDrLoadRow(xrow, W, C, C, sw, pl, PL, buf + <usize>fill * rowB, chanB);
      fill++;
    }
    let nvec = (oxb - oxa + 3) >> 2;
    let nst = R > 1 ? 1 : (nvec + DWDR_VMAX - 1) / DWDR_VMAX;
    let win = buf + <usize>(lo - rb) * rowB + (<usize>oxa << 2);
    let yRow = y + <usize>p * cB;
    let rRow = res != 0 ? res + <usize>p * cB : 0;
    for (let cb = 0; cb < C; cb += DWDR_CB) {
      let nch = imin(DWDR_CB, C - cb);
      let starts = packed + (<usize>cb << 2);
      let e = ents + (<usize>load<u32>(starts) << 3);
      let bb = bias != 0 ? bias + (<usize>cb << 2) : 0;
      let wcb = win + <usize>cb * chanB;
      let cbB = <usize>cb << 2;
      let v0 = 0;
      for (let s = 0; s < nst; s++) {
        let V = R > 1 ? nvec : (nvec - v0) / (nst - s);
        let tileB = <usize>(R * V) << 4;
        // Two call sites (multi-row / single-row strips) keep Binaryen from inlining the strip kernels
        // into this function, which would leave V8 one huge function to allocate registers for.
        if (R > 1) dwDrStrips(R, V, wcb, chanB, strideRowB, e, starts, nch, bb, tile);
        else dwDrStrips(1, V, wcb + (<usize>v0 << 4), chanB, strideRowB, e, starts, nch, bb, tile);
        let cnt0 = oxb - oxa - (v0 << 2);
        for (let r = 0; r < R; r++) {
          let P = <usize>(r * OW + (v0 << 2)) * cB + cbB;
          dwDrStore(tile + (<usize>(r * V) << 4), tileB, V, cnt0, nch, yRow + P, rRow != 0 ? rRow + P : 0, cB, act, a0, a1);
        }
        v0 += V;
      }
    }
    p += R > 1 ? R * OW : oxb - oxa;
  }
}
