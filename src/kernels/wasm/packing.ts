/**
 * JS-side packing of weights into the layouts the WebAssembly kernels read (done once per model).
 *
 * Dense conv / Gemm weights — tiles of NR = 8 output channels, each tile [K][NR], K = kh·kw·Cin in
 * (ky, kx, ci) order, the last tile zero-padded past OC:
 *
 *     tile t (channels 8t .. 8t+7)           k = (ky·kw + kx)·Cin + ci
 *     ┌──────────────────────────────┐
 *     │ k=0   : w[8t][0..] … w[8t+7] │  8 floats: W[k, 8t + j] = w[8t + j][ci][ky][kx]
 *     │ k=1   : …                    │
 *     │ k=K-1 : …                    │
 *     └──────────────────────────────┘  tile t+1 follows at byte offset (t+1)·K·8·4
 *
 *   packed length = ceil(OC / 8) · K · 8 floats. A grouped conv packs each group's
 *   [OC/g][Cin/g][kh][kw] slice on its own and the executor offsets x, y and wpk per group.
 *   Gemm's B ([K][N], or [N][K] with transB) packs exactly as a 1x1 conv with Cin = K, OC = N
 *   (fold Gemm's alpha into B and beta·C into the bias before packing).
 *
 * Bias — OC floats zero-padded to a multiple of 8 (the micro-kernel loads a whole tile's bias).
 *
 * Depthwise weights — tap-major, channels padded to a multiple of 4 with zeros:
 *
 *     tap (ky·kw + kx) : [ w[0][0][ky][kx], w[1][0][ky][kx], …, w[C-1][0][ky][kx], 0 … ]   Cp = ceil(C/4)·4 floats
 *
 *   packed length = kh·kw·Cp floats; the bias uses packBias(b, C).
 *
 * Column-wise N:M conv weights (conv2d_colnm; packColNmWeights) — every tile of 8 output channels
 * keeps the same number Kt of K rows (its own rows, from colNmMask), packed densely:
 *
 *     values: tile t : [ kept row 0 : w[8t..8t+7] at k = keptRows[t][0] ] … [ kept row Kt−1 ]   [ceil(OC/8)][Kt][8] floats
 *     index:  tile t : [ (tap << 16) | ci  of each kept row, ascending ]                           [ceil(OC/8)][Kt] u32
 *             k = tap·Cin + ci, tap = ky·kw + kx; the kernel turns (tap, ci) into a byte offset from
 *             a pixel's window origin in NHWC x once per call geometry (tap·(dh·W or dw)·xc + ci)·4.
 *
 *   The tail tile is zero-padded past OC like the dense one; bias as packBias.
 *   Tiles of 4 (conv2d_colnm4, packColNmWeights(..., 4)): the same with 4 for 8 — [ceil(OC/4)][Kt][4]
 *   values, [ceil(OC/4)][Kt] index.
 *
 * DEPrune depthwise weights (dwconv2d_dr; packDepthwiseDr) — per channel, its kept (nonzero) taps:
 *
 *     words [0, C]          : start[c] = index of channel c's first entry (start[C] = entries)
 *     (word C + 1 if C even) : 0, so the entries start 8-byte aligned at word 2·ceil((C + 1)/2)
 *     entry e (2 words)      : tap (ky·kw + kx) as u32, weight as f32 bits;  channel c owns [start[c], start[c+1])
 *
 *   Pruned (zero) weights have no entry, so a channel's work is its kept count; bias as packBias(b, C).
 */

/** Output channels per weight tile (the micro-kernel width: two v128 of f32). */
export const NR = 8;
/** Rows of the micro-kernel conv2d uses (pixels per register block): split pixel ranges at multiples of it. 6 is offered to the profiler (f32_conv2d_6x8). */
export const MR = 4;
/** Channel padding of depthwise weights (one v128 of f32). */
export const DW_CHANNEL_ALIGN = 4;

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

function checkLength(name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`internal error: ${name} has ${got} values, expected ${want}`);
}

/** OIHW [OC][Cin][kh][kw] → tiles [ceil(OC/8)][kh·kw·Cin][8]. */
export function packConvWeights(w: Float32Array, OC: number, Cin: number, kh: number, kw: number): Float32Array {
  checkLength('conv weight', w.length, OC * Cin * kh * kw);
  const K = kh * kw * Cin;
  const tiles = Math.ceil(OC / NR);
  const out = new Float32Array(tiles * K * NR);
  for (let oc = 0; oc < OC; oc++) {
    const base = Math.floor(oc / NR) * K * NR + (oc % NR);
    for (let ci = 0; ci < Cin; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const k = (ky * kw + kx) * Cin + ci;
          out[base + k * NR] = w[((oc * Cin + ci) * kh + ky) * kw + kx]!;
        }
      }
    }
  }
  return out;
}

/** [C][1][kh][kw] → [kh·kw][roundUp(C, 4)]. */
export function packDepthwiseWeights(w: Float32Array, C: number, kh: number, kw: number): Float32Array {
  checkLength('depthwise weight', w.length, C * kh * kw);
  const Cp = roundUp(C, DW_CHANNEL_ALIGN);
  const out = new Float32Array(kh * kw * Cp);
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < kh * kw; t++) out[t * Cp + c] = w[c * kh * kw + t]!;
  }
  return out;
}

/** Gemm B ([K][N], or [N][K] when transB) → the 1x1-conv tile layout with OC = N. */
export function packGemmWeights(b: Float32Array, K: number, N: number, transB: boolean): Float32Array {
  checkLength('Gemm B', b.length, K * N);
  const tiles = Math.ceil(N / NR);
  const out = new Float32Array(tiles * K * NR);
  for (let n = 0; n < N; n++) {
    const base = Math.floor(n / NR) * K * NR + (n % NR);
    for (let k = 0; k < K; k++) out[base + k * NR] = transB ? b[n * K + k]! : b[k * N + n]!;
  }
  return out;
}

/** Bias (or zeros) padded to a multiple of 8. */
export function packBias(b: Float32Array | undefined, OC: number): Float32Array {
  const out = new Float32Array(roundUp(Math.max(OC, 1), NR));
  if (b !== undefined) {
    checkLength('bias', b.length, OC);
    out.set(b);
  }
  return out;
}

/** Floats of packed conv weights for OC output channels and reduction length K. */
export function packedConvLength(OC: number, K: number): number {
  return Math.ceil(OC / NR) * K * NR;
}

// ---- Sparse layouts (header above): column-wise N:M conv, DEPrune depthwise ----

export interface ColNmPacked {
  /** [ceil(OC/8)][Kt][8] weights of the kept rows. */
  readonly values: Float32Array;
  /** [ceil(OC/8)][Kt] u32: (tap << 16) | ci of each kept row, ascending. */
  readonly index: Uint32Array;
  /** Kept rows per tile. */
  readonly Kt: number;
}

/** colnm tile widths with a sparse kernel: 8 (conv2d_colnm, NR) and 4 (conv2d_colnm4); others run dense. */
export const COLNM_KERNEL_TILES = [8, 4] as const;
export type ColNmKernelTile = (typeof COLNM_KERNEL_TILES)[number];

/**
 * OIHW [OC][Cin][kh][kw] (zeros where pruned) + each tile's kept rows (colNmMask's keptRows: ascending
 * k = (ky·kw + kx)·Cin + ci) → the conv2d_colnm layout (tile 8) or conv2d_colnm4's (tile 4). Every
 * tile must keep the same count.
 */
export function packColNmWeights(w: Float32Array, OC: number, Cin: number, kh: number, kw: number, keptRows: readonly Uint32Array[], tile: ColNmKernelTile = NR): ColNmPacked {
  checkLength('conv weight', w.length, OC * Cin * kh * kw);
  const K = kh * kw * Cin;
  const tiles = Math.ceil(OC / tile);
  if (keptRows.length !== tiles) throw new Error(`internal error: colnm packing got kept rows for ${keptRows.length} tiles, expected ${tiles}`);
  const Kt = tiles > 0 ? keptRows[0]!.length : 0;
  if (Cin > 0xffff || kh * kw > 0xffff) throw new Error(`internal error: colnm index holds Cin and kh·kw below 65536 (got ${Cin}, ${kh * kw})`);
  const values = new Float32Array(tiles * Kt * tile);
  const index = new Uint32Array(tiles * Kt);
  for (let t = 0; t < tiles; t++) {
    const rows = keptRows[t]!;
    if (rows.length !== Kt) throw new Error(`internal error: colnm tile ${t} keeps ${rows.length} rows, tile 0 keeps ${Kt}`);
    for (let j = 0; j < Kt; j++) {
      const k = rows[j]!;
      if (k >= K || (j > 0 && k <= rows[j - 1]!)) throw new Error(`internal error: colnm tile ${t}: kept rows must be ascending and below K = ${K}`);
      const tap = Math.floor(k / Cin), ci = k % Cin;
      const ky = Math.floor(tap / kw), kx = tap % kw;
      index[t * Kt + j] = ((tap << 16) | ci) >>> 0;
      for (let c = 0; c < tile && t * tile + c < OC; c++) values[(t * Kt + j) * tile + c] = w[(((t * tile + c) * Cin + ci) * kh + ky) * kw + kx]!;
    }
  }
  return { values, index, Kt };
}

export interface DepthwiseDrPacked {
  /** Channel starts, then (tap, weight bits) entries; see the header. Copy as bytes (its Float32 entries are raw bits). */
  readonly data: Uint32Array;
  /** Kept (nonzero) weights = entries. */
  readonly kept: number;
}

/** [C][1][kh][kw] (zeros where pruned) → per-channel lists of kept (tap, weight) for dwconv2d_dr. */
export function packDepthwiseDr(w: Float32Array, C: number, kh: number, kw: number): DepthwiseDrPacked {
  checkLength('depthwise weight', w.length, C * kh * kw);
  const taps = kh * kw;
  let kept = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) kept++;
  const head = 2 * Math.ceil((C + 1) / 2);
  const data = new Uint32Array(head + 2 * kept);
  const bits = new Float32Array(data.buffer);
  let e = 0;
  for (let c = 0; c < C; c++) {
    data[c] = e;
    for (let t = 0; t < taps; t++) {
      const v = w[c * taps + t]!;
      if (v === 0) continue;
      data[head + 2 * e] = t;
      bits[head + 2 * e + 1] = v;
      e++;
    }
  }
  data[C] = e;
  return { data, kept };
}

export interface DepthwiseVsPacked {
  /** i32 start[nb + 1], i32 tap[E], zero pad to 16 bytes, f32 w[E][4] (bit patterns in one buffer). */
  readonly data: Uint32Array;
  /** Kept (4-channel block, tap) units = E. */
  readonly kept: number;
  /** Units in all: ceil(C / 4)·kh·kw. */
  readonly units: number;
}

/**
 * [C][1][kh][kw] (zeros where pruned) → the vector-sparse table of dwconv2d_vs: for every block of 4
 * channels, the taps where any of its channels has a nonzero weight, with the block's 4 weights.
 */
export function packDepthwiseVs(w: Float32Array, C: number, kh: number, kw: number): DepthwiseVsPacked {
  checkLength('depthwise weight', w.length, C * kh * kw);
  const taps = kh * kw;
  const nb = Math.ceil(C / 4);
  const keep = (b: number, t: number): boolean => {
    for (let c = b * 4; c < Math.min(C, b * 4 + 4); c++) if (w[c * taps + t] !== 0) return true;
    return false;
  };
  let kept = 0;
  for (let b = 0; b < nb; b++) for (let t = 0; t < taps; t++) if (keep(b, t)) kept++;
  const wAt = Math.ceil((nb + 1 + kept) / 4) * 4;
  const data = new Uint32Array(wAt + 4 * kept);
  const bits = new Float32Array(data.buffer);
  let e = 0;
  for (let b = 0; b < nb; b++) {
    data[b] = e;
    for (let t = 0; t < taps; t++) {
      if (!keep(b, t)) continue;
      data[nb + 1 + e] = t;
      for (let l = 0; l < 4; l++) {
        const c = b * 4 + l;
        bits[wAt + 4 * e + l] = c < C ? w[c * taps + t]! : 0;
      }
      e++;
    }
  }
  data[nb] = e;
  return { data, kept, units: nb * taps };
}
