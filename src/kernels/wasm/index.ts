/**
 * Loader and typed ABI of the dense WebAssembly SIMD kernels (browser-safe: no node:* imports).
 * The binaries come from src/kernels/wasm/assembly via scripts/build-wasm.mjs; the ABI, naming
 * grammar and weight layouts are documented in ./README.md and ./packing.ts.
 *
 * All kernel arguments are numbers: pointers are byte offsets into the memory the caller passes
 * (f32 little-endian, NHWC), sizes are element counts, work ranges are half-open so an executor can
 * split them across threads. No kernel allocates; 0 as a bias/res pointer means "none", which is
 * why nothing may live at offset 0: the caller allocates only at or above RESERVED_BYTES.
 */
import * as binaries from './generated/wasm-binaries.js';
import { MR, NR } from './packing.js';

/**
 * Bytes at the start of memory the module reserves: it has no data segment or stack, but offset 0
 * must stay unused (0 means "none") and dwconv2d keeps 16 zero bytes at offset 512.
 */
export const RESERVED_BYTES: number = binaries.reservedBytes;

/** Activation codes of the `act` argument. Epilogue order: acc + bias (+ residual) → activation. */
export const Act = {
  none: 0,
  relu: 1,
  /** clip(a0, a1); relu6 = clip(0, 6). */
  clip: 2,
  /** x·clip(x/6 + 1/2, 0, 1). */
  hardswish: 3,
  /** clip(a0·x + a1, 0, 1). */
  hardsigmoid: 4,
  sigmoid: 5,
  /** x·sigmoid(x). */
  silu: 6,
} as const;
export type ActCode = (typeof Act)[keyof typeof Act];

/** Dense conv (and Gemm as a 1x1 conv on a 1x1 image): pixels [p0, p1) x output-channel tiles [t0, t1). */
export type Conv2dFn = (
  x: number, H: number, W: number, xc: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, Cin: number,
  wpk: number, bias: number, OC: number, y: number, yc: number, res: number,
  act: number, a0: number, a1: number, p0: number, p1: number, t0: number, t1: number, scratch: number,
) => void;

/**
 * One MR x 8 micro-kernel: rows of A at a + m·as, packed tile w ([K][8]), nc ≤ 8 valid channels;
 * tmp: 32 scratch bytes; acc = 1 adds to the partial sums already in y instead of starting from bias.
 */
export type GemmMicrokernelFn = (
  a: number, as: number, K: number, w: number, bias: number, y: number, ys: number, res: number,
  nc: number, act: number, a0: number, a1: number, tmp: number, acc: number,
) => void;

export type DwConv2dFn = (
  x: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  wpk: number, bias: number, y: number, res: number, act: number, a0: number, a1: number, p0: number, p1: number,
) => void;

export type MaxPool2dFn = (
  x: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, y: number, p0: number, p1: number,
) => void;

export type AvgPool2dFn = (
  x: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, pt: number, pl: number, pb: number, pr: number, countIncludePad: number,
  y: number, p0: number, p1: number,
) => void;

export type GlobalAvgPoolFn = (x: number, HW: number, C: number, y: number, n0: number, n1: number) => void;
export type AddFn = (a: number, b: number, y: number, n: number, act: number, a0: number, a1: number, i0: number, i1: number) => void;
export type MulChannelFn = (x: number, s: number, y: number, HW: number, C: number, n0: number, n1: number) => void;
export type ActivationFn = (x: number, y: number, n: number, act: number, a0: number, a1: number, i0: number, i1: number) => void;
export type SoftmaxRowsFn = (x: number, y: number, rows: number, cols: number) => void;

/** The conv2d variants with a fixed micro-kernel height (for the profiler). */
export type Conv2dVariant = 'f32_conv2d_6x8' | 'f32_conv2d_4x8';
export type GemmMicrokernel = 'f32_gemm_1x8' | 'f32_gemm_2x8' | 'f32_gemm_3x8' | 'f32_gemm_4x8' | 'f32_gemm_5x8' | 'f32_gemm_6x8';

export type WasmKernels = {
  readonly memory: WebAssembly.Memory;
  readonly relaxed: boolean;
  readonly shared: boolean;
  /** Picks the micro-kernel height per call. */
  readonly conv2d: Conv2dFn;
  readonly dwconv2d: DwConv2dFn;
  readonly maxpool2d: MaxPool2dFn;
  readonly avgpool2d: AvgPool2dFn;
  readonly globalavgpool: GlobalAvgPoolFn;
  readonly add: AddFn;
  readonly mul_channel: MulChannelFn;
  readonly activation: ActivationFn;
  readonly softmax_rows: SoftmaxRowsFn;
  /** What the module itself computes for convScratchBytes (a test checks the JS mirror agrees). */
  readonly conv2d_scratch_bytes: (K: number) => number;
  /** n trips of 10 independent f32x4 multiply-adds on registers (80·n FLOP): the engine's SIMD peak, for benchmarks. */
  readonly f32_fma_peak: (n: number) => number;
} & { readonly [V in Conv2dVariant]: Conv2dFn } & { readonly [G in GemmMicrokernel]: GemmMicrokernelFn } & SparseKernels & TrainingKernels;

export interface KernelOptions {
  /** Use the build with f32x4.relaxed_madd (check relaxedSimdSupported() first). */
  readonly relaxed: boolean;
  /** Memory is a shared WebAssembly.Memory (threads). */
  readonly shared: boolean;
}

/** One entry per conv2d variant: the list the tests, benchmarks and profiler iterate. */
export interface ConvKernelInfo {
  readonly name: Conv2dVariant;
  readonly mr: number;
  readonly nr: number;
}
export const CONV_KERNELS: readonly ConvKernelInfo[] = [
  { name: 'f32_conv2d_6x8', mr: 6, nr: NR },
  { name: 'f32_conv2d_4x8', mr: 4, nr: NR },
];

export interface GemmMicrokernelInfo {
  readonly name: GemmMicrokernel;
  readonly mr: number;
  readonly nr: number;
}
export const GEMM_MICROKERNELS: readonly GemmMicrokernelInfo[] = [
  { name: 'f32_gemm_1x8', mr: 1, nr: NR },
  { name: 'f32_gemm_2x8', mr: 2, nr: NR },
  { name: 'f32_gemm_3x8', mr: 3, nr: NR },
  { name: 'f32_gemm_4x8', mr: 4, nr: NR },
  { name: 'f32_gemm_5x8', mr: 5, nr: NR },
  { name: 'f32_gemm_6x8', mr: 6, nr: NR },
];

/**
 * Scratch bytes one conv2d call with reduction length K = kh·kw·Cin needs (one buffer per
 * concurrently running call; today 256 + 32 KiB for every K). Mirror of assembly/layout.ts.
 */
export function convScratchBytes(K: number): number {
  return K >= 0 ? 256 + 32 * 1024 : 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const lut = new Uint8Array(128);
  for (let i = 0; i < B64.length; i++) lut[B64.charCodeAt(i)] = i;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = (lut[s.charCodeAt(i)]! << 18) | (lut[s.charCodeAt(i + 1)]! << 12) | (lut[s.charCodeAt(i + 2)]! << 6) | lut[s.charCodeAt(i + 3)]!;
    if (o < out.length) out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

function binaryFor(opts: KernelOptions): string {
  if (opts.relaxed) return opts.shared ? binaries.relaxedSimdShared : binaries.relaxedSimd;
  return opts.shared ? binaries.simdShared : binaries.simd;
}

let relaxedOk: boolean | undefined;

/**
 * Whether this engine validates the relaxed-SIMD binary. Node 20 needs
 * `--experimental-wasm-relaxed-simd` (v8.setFlagsFromString before the first compile); Chrome 114+
 * and Node 22+ have it on by default.
 */
export function relaxedSimdSupported(): boolean {
  relaxedOk ??= WebAssembly.validate(decodeBase64(binaries.relaxedSimd));
  return relaxedOk;
}

/** Whether this engine validates the plain SIMD binary (WebAssembly SIMD128). */
export function simdSupported(): boolean {
  return WebAssembly.validate(decodeBase64(binaries.simd));
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled module of one variant, cached; post it to workers and instantiate there with instantiateKernelsFromModule. */
export function compileKernels(opts: KernelOptions): Promise<WebAssembly.Module> {
  const key = `${opts.relaxed ? 'relaxed' : 'simd'}-${opts.shared ? 'shared' : 'local'}`;
  let m = modules.get(key);
  if (m === undefined) {
    m = WebAssembly.compile(decodeBase64(binaryFor(opts)));
    modules.set(key, m);
  }
  return m;
}

function exported<F>(exports: Record<string, unknown>, name: string): F {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`internal error: the wasm kernels have no export '${name}'`);
  return f as F;
}

/** Instantiates an already compiled kernel module on `memory` (in a worker: the module and memory it was sent). */
export async function instantiateKernelsFromModule(module: WebAssembly.Module, memory: WebAssembly.Memory, opts: KernelOptions): Promise<WasmKernels> {
  const inst = await WebAssembly.instantiate(module, { env: { memory } });
  const e = inst.exports;
  if (exported<() => number>(e, 'relaxed_simd')() !== (opts.relaxed ? 1 : 0)) throw new Error('internal error: kernel module built for the other SIMD flavour');
  if (exported<() => number>(e, 'tile_nr')() !== NR || exported<() => number>(e, 'tile_mr')() !== MR) throw new Error('internal error: packing.ts tile sizes disagree with the wasm kernels');
  return {
    memory,
    relaxed: opts.relaxed,
    shared: opts.shared,
    conv2d: exported(e, 'conv2d'),
    f32_conv2d_6x8: exported(e, 'f32_conv2d_6x8'),
    f32_conv2d_4x8: exported(e, 'f32_conv2d_4x8'),
    f32_gemm_1x8: exported(e, 'f32_gemm_1x8'),
    f32_gemm_2x8: exported(e, 'f32_gemm_2x8'),
    f32_gemm_3x8: exported(e, 'f32_gemm_3x8'),
    f32_gemm_4x8: exported(e, 'f32_gemm_4x8'),
    f32_gemm_5x8: exported(e, 'f32_gemm_5x8'),
    f32_gemm_6x8: exported(e, 'f32_gemm_6x8'),
    dwconv2d: exported(e, 'dwconv2d'),
    maxpool2d: exported(e, 'maxpool2d'),
    avgpool2d: exported(e, 'avgpool2d'),
    globalavgpool: exported(e, 'globalavgpool'),
    add: exported(e, 'add'),
    mul_channel: exported(e, 'mul_channel'),
    activation: exported(e, 'activation'),
    softmax_rows: exported(e, 'softmax_rows'),
    conv2d_scratch_bytes: exported(e, 'conv2d_scratch_bytes'),
    f32_fma_peak: exported(e, 'f32_fma_peak'),
    ...sparseKernels(e),
    ...trainingKernels(e),
  };
}

/**
 * Instantiates the kernels on `memory` (created by the caller: shared with a maximum for threads).
 * The caller allocates tensors only at or above RESERVED_BYTES.
 */
export async function instantiateKernels(memory: WebAssembly.Memory, opts: { relaxed: boolean; shared: boolean }): Promise<WasmKernels> {
  return instantiateKernelsFromModule(await compileKernels(opts), memory, opts);
}

export { MR, NR } from './packing.js';

// ---- Sparse kernels: column-wise N:M conv (colnm) and DEPrune depthwise (DR); layouts in packing.ts ----

/**
 * Column-wise N:M conv: the conv2d ABI with the colnm packing (packColNmWeights): `values`
 * [ceil(OC/8)][Kt][8], `index` [ceil(OC/8)][Kt] u32 ((tap << 16) | ci per kept row), Kt kept rows per
 * tile. Only the kept rows' inputs are read (straight from NHWC x). scratch: convColNmScratchBytes(Kt, K).
 * `conv2d_colnm4` is the same with tiles of 4 channels (packColNmWeights(..., 4)); t0, t1 count 4-channel tiles.
 */
export type Conv2dColNmFn = (
  x: number, H: number, W: number, xc: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, Cin: number,
  values: number, index: number, Kt: number, bias: number, OC: number, y: number, yc: number, res: number,
  act: number, a0: number, a1: number, p0: number, p1: number, t0: number, t1: number, scratch: number,
) => void;

/**
 * DEPrune depthwise conv (diagonal-wise refactorized, pruned (channel, tap) rows skipped): output
 * pixels [p0, p1) (any split), all C channels; `packed` from packDepthwiseDr, bias as packBias.
 * scratch: dwDrScratchBytes(C, OW, kh, kw, sh, sw, dh, dw).
 */
export type DwConv2dDrFn = (
  x: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  packed: number, bias: number, y: number, res: number, act: number, a0: number, a1: number, p0: number, p1: number, scratch: number,
) => void;

/**
 * Vector-sparse depthwise conv (DEPrune with (4-channel block, tap) units): dwconv2d's ABI plus the
 * table `vs` from packDepthwiseVs after the dense packing `wpk` (borders and tail channels use it).
 * scratch: dwVsScratchBytes(C, kh, kw). Output pixels [p0, p1), any split.
 */
export type DwConv2dVsFn = (
  x: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  wpk: number, vs: number, bias: number, y: number, res: number, act: number, a0: number, a1: number, p0: number, p1: number, scratch: number,
) => void;

/** Scratch bytes of one dwconv2d_vs call: 8 tap offsets and 8 weight vectors of a border pass, then an offset and a (ky, kx) per (4-channel block, tap). */
export function dwVsScratchBytes(C: number, kh: number, kw: number): number {
  return 160 + Math.ceil(C / 4) * kh * kw * 8;
}

export type SparseKernels = {
  readonly conv2d_colnm: Conv2dColNmFn;
  readonly conv2d_colnm4: Conv2dColNmFn;
  readonly dwconv2d_dr: DwConv2dDrFn;
  readonly dwconv2d_vs: DwConv2dVsFn;
  /** What the module computes for convColNmScratchBytes / dwDrScratchBytes (a test checks the JS mirrors agree). */
  readonly conv2d_colnm_scratch_bytes: (Kt: number, K: number) => number;
  readonly dwconv2d_dr_scratch_bytes: (C: number, OW: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number) => number;
};

function sparseKernels(e: Record<string, unknown>): SparseKernels {
  return {
    conv2d_colnm: exported(e, 'conv2d_colnm'),
    conv2d_colnm4: exported(e, 'conv2d_colnm4'),
    dwconv2d_dr: exported(e, 'dwconv2d_dr'),
    dwconv2d_vs: exported(e, 'dwconv2d_vs'),
    conv2d_colnm_scratch_bytes: exported(e, 'conv2d_colnm_scratch_bytes'),
    dwconv2d_dr_scratch_bytes: exported(e, 'dwconv2d_dr_scratch_bytes'),
  };
}

/**
 * Scratch bytes of one conv2d_colnm call, Kt kept rows per tile of a K-row reduction: 256 header
 * bytes + a 256-pixel table (13 bytes a pixel) + partial sums of its 64 groups (128 bytes each) +
 * a K chunk's prepared kept rows (≤ 320, 48 bytes each: 8 weights + input offset) + per-tap tables
 * and a zero row (K each, 16-byte aligned) + with Kt ≤ 8, a tile batch's prepared rows for the
 * tile-inner order (512 x 48 bytes).
 * Mirror of assembly/conv-colnm.ts.
 */
export function convColNmScratchBytes(Kt: number, K: number): number {
  const r4 = (n: number) => (n + 3) & ~3;
  return 256 + 256 * 13 + 256 * 32 + Math.min(Kt, 320) * 48 + r4(K + 1) * 4 + r4(K) * 8 + (Kt <= 8 ? 512 * 48 : 0);
}

/** dwconv2d_dr blocking (assembly/dwconv-dr.ts): vectors per strip, channels per block, line-buffer byte target. */
const DWDR_VMAX = 4, DWDR_CB = 16, DWDR_BUF_BYTES = 512 * 1024;

/**
 * Scratch bytes of one dwconv2d_dr call: tap table + every channel's (offset, weight) entries (C·kh·kw
 * at most) + a [16][4][4]-float output tile + the planar line buffer, C channels x slots x sw phases x
 * PL floats, PL = roundUp4(OW + 3 + floor((kw−1)·dw / sw)), slots ≥ the input rows of one strip's
 * windows (up to 6·sh more within 512 KiB). Mirror of assembly/dwconv-dr.ts.
 */
export function dwDrScratchBytes(C: number, OW: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number {
  const taps = kh * kw;
  const nv = (OW + 3) >> 2;
  const rowsPerStrip = nv >= DWDR_VMAX ? 1 : Math.floor(DWDR_VMAX / nv);
  const rowF = sw * ((OW + 3 + Math.floor(((kw - 1) * dw) / sw) + 3) & ~3);
  const need = (kh - 1) * dh + 1 + (rowsPerStrip - 1) * sh;
  const slots = Math.max(need, Math.min(Math.floor(DWDR_BUF_BYTES / (C * rowF * 4)), need + 6 * sh));
  return ((taps + 3) & ~3) * 4 + C * taps * 8 + DWDR_CB * DWDR_VMAX * 16 + C * slots * rowF * 4;
}

// ---- Training kernels (gradients, BatchNorm reductions); ABI in README.md, driver in ./train.ts ----

/**
 * Weight gradient of one conv group: dW (OIHW [OC][Cin][kh][kw]) += X̂ᵀ·dY, db [OC] += Σ dY (db 0: none).
 * x / dy point at channel 0 of the group in image 0 with pixel strides xc / yc. Work items [i0, i1) of
 * ceil(OC/8)·kh·kw·ceil(Cin/4) (any split, bit-identical). acc: conv2d_wgrad_acc_bytes (shared by the
 * threads of a call); scratch: conv2d_wgrad_scratch_bytes per thread (0 when OC % 8 = 0).
 */
export type Conv2dWgradFn = (
  x: number, H: number, W: number, xc: number, dy: number, N: number, OH: number, OW: number, yc: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, Cin: number, OC: number,
  dW: number, db: number, acc: number, i0: number, i1: number, scratch: number,
) => void;

/**
 * y += X̂·W (conv2d's GEMM without epilogue) on a strided output grid: pixel (n, oy, ox) of N·OH·OW at
 * y + (n·yn + oy·yr + ox·yp)·4. Pixels [p0, p1) x tiles [t0, t1); scratch: convScratchBytes(K).
 */
export type Conv2dAccFn = (
  x: number, H: number, W: number, xc: number, OH: number, OW: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, Cin: number,
  wpk: number, OC: number, y: number, yp: number, yr: number, yn: number, p0: number, p1: number, t0: number, t1: number, scratch: number,
  /** 1: overwrite y (its old contents are ignored), 0: accumulate. */
  ov: number,
) => void;

/** OIHW → conv2d tiles, optionally in/out transposed (trans 1) over the taps ky0 + my·kys (my < nky), kx0 + mx·kxs (mx < nkx). */
export type Conv2dPackWeightsFn = (
  w: number, OCw: number, Cinw: number, kh: number, kw: number, trans: number,
  ky0: number, kys: number, nky: number, kx0: number, kxs: number, nkx: number, dst: number,
) => void;

/** Depthwise weight gradient: items [i0, i1) of ceil(C/16)·kh·kw; acc: dwconv2d_wgrad_acc_bytes. */
export type DwConv2dWgradFn = (
  x: number, H: number, W: number, C: number, dy: number, N: number, OH: number, OW: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  dW: number, db: number, acc: number, i0: number, i1: number,
) => void;

/** Depthwise data gradient dX += conv_transpose(dY, w) for dX pixels [p0, p1) of N·H·W; wpk: depthwise packing; scratch: kh·kw·8 bytes. */
export type DwConv2dDgradFn = (
  dy: number, OH: number, OW: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, wpk: number, dx: number, p0: number, p1: number, scratch: number,
) => void;

export type TrainingKernels = {
  readonly conv2d_wgrad: Conv2dWgradFn;
  /**
   * conv2d_wgrad with X̂ gathered into panels (as conv2d) instead of read along output rows: items
   * (k block of 4 X̂ columns, oc tile), item = kb·ceil(OC/8) + tile, of ceil(kh·kw·Cin/4)·ceil(OC/8).
   * acc: conv2d_wgrad_gather_acc_bytes; scratch: conv2d_wgrad_gather_scratch_bytes per thread.
   */
  readonly conv2d_wgrad_gather: Conv2dWgradFn;
  readonly conv2d_acc: Conv2dAccFn;
  readonly conv2d_pack_weights: Conv2dPackWeightsFn;
  readonly dwconv2d_wgrad: DwConv2dWgradFn;
  readonly dwconv2d_dgrad: DwConv2dDgradFn;
  /** [C][1][kh][kw] → [taps][roundUp(C, 4)] (packDepthwiseWeights in wasm). */
  readonly dwconv2d_pack_weights: (w: number, C: number, taps: number, dst: number) => void;
  /** dst[0..m) = src[0..n) (src 0: zeros), then zeros. */
  readonly f32_copy_pad: (src: number, n: number, dst: number, m: number) => void;
  /** s1[c] = Σ (x − shift[c]), s2[c] = Σ (x − shift[c])² over P rows of C channels, channels [c0, c1) (shift 0: none). */
  readonly channel_stats: (x: number, P: number, C: number, shift: number, s1: number, s2: number, c0: number, c1: number) => void;
  /** sdy[c] = Σ dy, sdyx[c] = invstd[c]·Σ dy·(x − mean[c]) (mean 0: zeros, invstd 0: ones), channels [c0, c1). */
  readonly bn_backward_sums: (dy: number, x: number, P: number, C: number, mean: number, invstd: number, sdy: number, sdyx: number, c0: number, c1: number) => void;
  /** dx[i] += y[i] > 0 ? dy[i] : 0 over [i0, i1). */
  readonly relu_backward: (y: number, dy: number, dx: number, i0: number, i1: number) => void;
  /** y[p, c] = x[p, c]·scale[c] + shift[c] over pixels [p0, p1) of C channels (y may be x). */
  readonly bn_apply: (x: number, C: number, scale: number, shift: number, y: number, p0: number, p1: number) => void;
  /** dx[p, c] += k[c]·dy[p, c] + u[c]·x[p, c] + b[c] over pixels [p0, p1). */
  readonly bn_backward_dx: (dy: number, x: number, C: number, k: number, u: number, b: number, dx: number, p0: number, p1: number, acc: number) => void;
  /** dy[i] = y[i] > 0 ? dy[i] : 0 over [i0, i1). */
  readonly relu_backward_inplace: (y: number, dy: number, i0: number, i1: number) => void;
  readonly conv2d_wgrad_scratch_bytes: (rows: number, OW: number, OC: number) => number;
  readonly conv2d_wgrad_acc_bytes: (Cin: number, kh: number, kw: number, OC: number) => number;
  readonly dwconv2d_wgrad_acc_bytes: (C: number, kh: number, kw: number) => number;
  readonly conv2d_wgrad_gather_scratch_bytes: (OC: number) => number;
  readonly conv2d_wgrad_gather_acc_bytes: (Cin: number, kh: number, kw: number, OC: number) => number;
};

function trainingKernels(e: Record<string, unknown>): TrainingKernels {
  return {
    conv2d_wgrad: exported(e, 'conv2d_wgrad'),
    conv2d_wgrad_gather: exported(e, 'conv2d_wgrad_gather'),
    conv2d_acc: exported(e, 'conv2d_acc'),
    conv2d_pack_weights: exported(e, 'conv2d_pack_weights'),
    dwconv2d_wgrad: exported(e, 'dwconv2d_wgrad'),
    dwconv2d_dgrad: exported(e, 'dwconv2d_dgrad'),
    dwconv2d_pack_weights: exported(e, 'dwconv2d_pack_weights'),
    f32_copy_pad: exported(e, 'f32_copy_pad'),
    channel_stats: exported(e, 'channel_stats'),
    bn_backward_sums: exported(e, 'bn_backward_sums'),
    relu_backward: exported(e, 'relu_backward'),
    bn_apply: exported(e, 'bn_apply'),
    bn_backward_dx: exported(e, 'bn_backward_dx'),
    relu_backward_inplace: exported(e, 'relu_backward_inplace'),
    conv2d_wgrad_scratch_bytes: exported(e, 'conv2d_wgrad_scratch_bytes'),
    conv2d_wgrad_acc_bytes: exported(e, 'conv2d_wgrad_acc_bytes'),
    dwconv2d_wgrad_acc_bytes: exported(e, 'dwconv2d_wgrad_acc_bytes'),
    conv2d_wgrad_gather_scratch_bytes: exported(e, 'conv2d_wgrad_gather_scratch_bytes'),
    conv2d_wgrad_gather_acc_bytes: exported(e, 'conv2d_wgrad_gather_acc_bytes'),
  };
}
