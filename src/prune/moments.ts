/**
 * The sums least-squares reconstruction solves from (reconstruct.ts): per group of a conv, the Gram
 * matrix G = Σ x xᵀ of the im2col rows x (a trailing 1 for the bias) and the products C = Σ x yᵀ
 * with the dense layer's outputs y, over sampled output pixels of the calibration images.
 *
 * These products are most of reconstruction's time (a ResNet-20 3x3 conv with 64 input channels
 * has 577 unknowns and ~74,000 rows: 12 G multiply-adds for G alone). Two engines compute them:
 * - 'wasm' (default): rows are gathered into an f32 panel X [rows][K] (K = C/group·kh·kw, no bias
 *   column) in the training kernels' memory, and XᵀX, XᵀY and the column sums come from conv2d_wgrad
 *   run as the weight gradient of a 1x1 conv (TrainKernels.matmulTN; threaded, SIMD). Sums are f32
 *   within a chunk of at most CHUNK rows (the kernel itself adds blocks of ≤ 1024 pixels) and f64
 *   across chunks, so rounding stays near f32's 1e-7 per chunk however many rows there are.
 * - 'js': every product in f64 in JavaScript: the oracle the tests hold the wasm engine to, and the
 *   engine for tiny reductions (depthwise groups, K = 9) where a kernel call per group costs more than it saves.
 */
import { fail } from '../errors.js';
import { resolveWindow } from '../graph/geometry.js';
import type { NodeOf } from '../graph/ir.js';
import type { FloatTensor } from '../graph/tensor.js';
import { TrainKernels } from '../kernels/wasm/train.js';
import { TrainMemory } from '../train/memory.js';
import { startTrainKernels, type TrainKernelContext } from '../train/wasm-ops.js';

type ConvNode = NodeOf<'Conv'>;

/** Per group of a conv: Gram matrix of the im2col rows (bias column last) and their products with the targets. */
export interface Moments {
  readonly k1: number;
  /** [groups][k1·k1], upper triangle filled. */
  readonly gram: Float64Array[];
  /** [groups][k1·ocPerGroup], row-major by reduction index. */
  readonly cross: Float64Array[];
  /** Per output channel: Σ y², Σ y. */
  readonly y2: Float64Array;
  readonly y1: Float64Array;
  rows: number;
}

export type ProductsEngine = 'wasm' | 'js';

/** Reductions below this size go to the JS engine even when the wasm one runs. */
const WASM_MIN_K = 16;
/** Most rows per wasm chunk; fewer when the panel X would pass CHUNK_BYTES. */
const CHUNK = 4096;
const CHUNK_BYTES = 8 << 20;

export function newMoments(k1: number, groups: number, OC: number): Moments {
  return {
    k1,
    gram: Array.from({ length: groups }, () => new Float64Array(k1 * k1)),
    cross: Array.from({ length: groups }, () => new Float64Array(k1 * (OC / groups))),
    y2: new Float64Array(OC),
    y1: new Float64Array(OC),
    rows: 0,
  };
}

/** The wasm engine's kernels and memory, kept across the layers of one reconstruction. */
export class WasmProducts {
  private constructor(private readonly mem: TrainMemory, private readonly ctx: TrainKernelContext) {}

  static async start(threads: number): Promise<WasmProducts> {
    const mem = new TrainMemory(32 << 20);
    return new WasmProducts(mem, await startTrainKernels(mem, threads));
  }

  dispose(): void {
    this.ctx.dispose();
  }

  /** A chunk buffer set for reductions of size K and ny targets: rows per chunk and the allocations. */
  open(K: number, ny: number): WasmChunk {
    const step = TrainKernels.MATMUL_ROW;
    const rows = Math.max(step, Math.min(CHUNK, Math.floor(CHUNK_BYTES / (4 * K) / step) * step));
    const m = this.mem;
    const ptrs = {
      x: m.alloc(rows * K * 4, 'reconstruct'),
      y: m.alloc(rows * ny * 4, 'reconstruct'),
      gram: m.alloc(K * K * 4, 'reconstruct'),
      gsum: m.alloc(K * 4, 'reconstruct'),
      cross: m.alloc(ny * K * 4, 'reconstruct'),
      csum: m.alloc(ny * 4, 'reconstruct'),
    };
    return new WasmChunk(m, this.ctx.tk, K, ny, rows, ptrs);
  }
}

interface ChunkPtrs {
  readonly x: number;
  readonly y: number;
  readonly gram: number;
  readonly gsum: number;
  readonly cross: number;
  readonly csum: number;
}

/** Rows gathered for one (conv, group): `add` when `full`, then fold into the f64 moments. */
export class WasmChunk {
  count = 0;

  constructor(private readonly mem: TrainMemory, private readonly tk: TrainKernels, readonly K: number, readonly ny: number, readonly capacity: number, private readonly p: ChunkPtrs) {}

  /** Views of the row panels (taken fresh: a memory that is not shared detaches on growth). */
  get x(): Float32Array {
    return this.mem.f32(this.p.x, this.capacity * this.K);
  }

  get y(): Float32Array {
    return this.mem.f32(this.p.y, this.capacity * this.ny);
  }

  /** Adds the gathered rows' products into group g of `mo` and empties the chunk. */
  flush(mo: Moments, g: number): void {
    const n = this.count;
    if (n === 0) return;
    const { K, ny, tk, mem, p } = this;
    const rows = Math.ceil(n / TrainKernels.MATMUL_ROW) * TrainKernels.MATMUL_ROW;
    // Zero rows up to the kernel's row multiple add nothing to any sum.
    if (rows > n) {
      mem.zero(p.x + n * K * 4, (rows - n) * K * 4);
      mem.zero(p.y + n * ny * 4, (rows - n) * ny * 4);
    }
    mem.zero(p.gram, K * K * 4);
    mem.zero(p.gsum, K * 4);
    mem.zero(p.cross, ny * K * 4);
    mem.zero(p.csum, ny * 4);
    tk.matmulTN(p.x, K, p.x, K, rows, p.gram, p.gsum);
    tk.matmulTN(p.x, K, p.y, ny, rows, p.cross, p.csum);
    const k1 = mo.k1;
    const gram = mo.gram[g]!, cross = mo.cross[g]!;
    const gs = mem.f32(p.gram, K * K), gsum = mem.f32(p.gsum, K);
    // gs[s·K + r] = Σ x_r x_s: the upper triangle of G, row r.
    for (let r = 0; r < K; r++) {
      const row = r * k1;
      for (let s = r; s < K; s++) gram[row + s]! += gs[s * K + r]!;
      gram[row + K]! += gsum[r]!;
    }
    gram[K * k1 + K]! += n;
    const cs = mem.f32(p.cross, ny * K), csum = mem.f32(p.csum, ny);
    for (let o = 0; o < ny; o++) {
      for (let r = 0; r < K; r++) cross[r * ny + o]! += cs[o * K + r]!;
      cross[K * ny + o]! += csum[o]!;
    }
    this.count = 0;
  }

  close(): void {
    for (const ptr of Object.values(this.p)) this.mem.release(ptr);
  }
}

const BLOCK = 64;

/**
 * out[r·ny + s] += Σ_p xt[r·BLOCK + p]·yt[s·BLOCK + p] for one block of P rows: with yt = xt and
 * `upper` the upper triangle of XᵀX (columns from the row pair's first row on; the one element
 * below the diagonal a pair also computes is never read), otherwise every column of XᵀY. Two rows
 * against four columns per pass, so each loaded element feeds several products.
 */
function addProducts(out: Float64Array, xt: Float64Array, nx: number, yt: Float64Array, ny: number, P: number, upper: boolean): void {
  for (let r = 0; r < nx; r += 2) {
    const r0 = r * BLOCK;
    // An odd last row pairs with itself; its second sums are dropped.
    const r1 = r + 1 < nx ? r0 + BLOCK : r0;
    const two = r + 1 < nx;
    let s = upper ? r : 0;
    for (; s + 3 < ny; s += 4) {
      const s0 = s * BLOCK, s1 = s0 + BLOCK, s2 = s1 + BLOCK, s3 = s2 + BLOCK;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let p = 0; p < P; p++) {
        const x0 = xt[r0 + p]!, x1 = xt[r1 + p]!;
        const y0 = yt[s0 + p]!, y1 = yt[s1 + p]!, y2 = yt[s2 + p]!, y3 = yt[s3 + p]!;
        a0 += x0 * y0; a1 += x0 * y1; a2 += x0 * y2; a3 += x0 * y3;
        b0 += x1 * y0; b1 += x1 * y1; b2 += x1 * y2; b3 += x1 * y3;
      }
      const g0 = r * ny + s;
      out[g0]! += a0; out[g0 + 1]! += a1; out[g0 + 2]! += a2; out[g0 + 3]! += a3;
      if (two) {
        const g1 = g0 + ny;
        out[g1]! += b0; out[g1 + 1]! += b1; out[g1 + 2]! += b2; out[g1 + 3]! += b3;
      }
    }
    for (; s < ny; s++) {
      const so = s * BLOCK;
      let a = 0, b = 0;
      for (let p = 0; p < P; p++) {
        a += xt[r0 + p]! * yt[so + p]!;
        b += xt[r1 + p]! * yt[so + p]!;
      }
      out[r * ny + s]! += a;
      if (two) out[(r + 1) * ny + s]! += b;
    }
  }
}

/**
 * Output pixels sampled from calibration image `image`: every `every`-th of the plane, the phase
 * moving from image to image so that all positions are sampled across the calibration set.
 */
export function samplePositions(image: number, every: number, plane: number): number[] {
  const pos: number[] = [];
  for (let p = samplePhase(image, every); p < plane; p += every) pos.push(p);
  return pos;
}

function samplePhase(image: number, every: number): number {
  return (image * 7) % every;
}

/** samplePositions(image, every, plane).length, without building the list. */
function sampleCount(image: number, every: number, plane: number): number {
  return Math.max(0, Math.ceil((plane - samplePhase(image, every)) / every));
}

/**
 * The dense layer's output at the sampled pixels of every calibration image, gathered once by a
 * pass of the dense network that serves many layers (reconstruct.ts) instead of recomputing the
 * dense prefix for each layer. Layout: row r = (image, q-th sampled pixel of that image), rows of
 * image i from rowStart[i], each row all `channels` dense output channels: data[r·channels + c].
 */
export interface SampledTargets {
  readonly channels: number;
  readonly outH: number;
  readonly outW: number;
  readonly every: number;
  /** [images + 1]: first row of each image. */
  readonly rowStart: Int32Array;
  readonly data: Float32Array;
}

/** Bytes the sampled targets of a layer take (before allocating them). */
export function sampledTargetBytes(images: number, channels: number, plane: number, every: number): number {
  let rows = 0;
  for (let i = 0; i < images; i++) rows += sampleCount(i, every, plane);
  return rows * channels * 4;
}

export function newSampledTargets(images: number, channels: number, outH: number, outW: number, every: number): SampledTargets {
  const rowStart = new Int32Array(images + 1);
  for (let i = 0; i < images; i++) rowStart[i + 1] = rowStart[i]! + sampleCount(i, every, outH * outW);
  return { channels, outH, outW, every, rowStart, data: new Float32Array(rowStart[images]! * channels) };
}

/** Gathers the sampled pixels of a batch of dense outputs y (NHWC, shape [N, H, W, C], images firstImage…) into `t`. */
export function gatherTargets(t: SampledTargets, y: FloatTensor, firstImage: number): void {
  const [n, H, W, C] = y.shape as [number, number, number, number];
  if (C !== t.channels || H !== t.outH || W !== t.outW || firstImage + n > t.rowStart.length - 1) fail('SHAPE_MISMATCH', `reconstruction: dense output ${y.shape.join('x')} (NHWC, images from ${firstImage}) does not fit its sampled targets`);
  const plane = H * W;
  for (let img = 0; img < n; img++) {
    let r = t.rowStart[firstImage + img]!;
    for (const px of samplePositions(firstImage + img, t.every, plane)) {
      const at = (img * plane + px) * C;
      t.data.set(y.data.subarray(at, at + C), r++ * C);
    }
  }
}

/**
 * Adds the rows of one batch: x the conv's input in the pruned network (NHWC, shape [N, H, W, C],
 * images firstImage…), against the dense conv's output at the sampled pixels (`targets`). `wasm`
 * undefined: the JS engine.
 */
export function accumulate(mo: Moments, conv: ConvNode, x: FloatTensor, targets: SampledTargets, map: Int32Array | undefined, firstImage: number, wasm?: WasmProducts): void {
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const { channels: OCd, outH: OH, outW: OW, every } = targets;
  const OC = map?.length ?? OCd;
  const a = conv.attrs;
  const win = resolveWindow(a, H, W);
  if (win.outH !== OH || win.outW !== OW) fail('INVALID_MODEL', `reconstruction: '${conv.name}' output ${OH}x${OW} does not match its window (${win.outH}x${win.outW})`);
  const [kh, kw] = a.kernelShape;
  const [sh, sw] = a.strides;
  const [dh, dw] = a.dilations;
  const [pt, pl] = win.pads;
  const G = a.group;
  const cg = C / G, ocg = OC / G, k1 = mo.k1, K = k1 - 1;
  const plane = OH * OW;
  const positions = Array.from({ length: n }, (_, img) => samplePositions(firstImage + img, every, plane));
  /**
   * Writes pixel px's im2col vector (group g of image img) to out[off + r·stride], r < K, r = (c·kh + i)·kw + j
   * (the weight's layout). The input is NHWC: each tap's channels are read contiguously.
   */
  const khw = kh * kw;
  const im2col = (out: Float32Array | Float64Array, off: number, stride: number, img: number, g: number, px: number): void => {
    const oh = Math.floor(px / OW), ow = px % OW;
    const cStride = khw * stride;
    for (let i = 0; i < kh; i++) {
      const ih = oh * sh - pt + i * dh;
      const inRow = ih >= 0 && ih < H;
      for (let j = 0; j < kw; j++) {
        const iw = ow * sw - pl + j * dw;
        let o = off + (i * kw + j) * stride;
        if (inRow && iw >= 0 && iw < W) {
          const base = ((img * H + ih) * W + iw) * C + g * cg;
          for (let c = 0; c < cg; c++, o += cStride) out[o] = x.data[base + c]!;
        } else {
          for (let c = 0; c < cg; c++, o += cStride) out[o] = 0;
        }
      }
    }
  };
  /** Dense target of output channel o (group g) at the q-th sampled pixel of image img; also adds it to Σy, Σy². */
  const target = (img: number, g: number, o: number, q: number): number => {
    const oc = g * ocg + o;
    const v = targets.data[(targets.rowStart[firstImage + img]! + q) * OCd + (map === undefined ? oc : map[oc]!)]!;
    mo.y2[oc]! += v * v;
    mo.y1[oc]! += v;
    return v;
  };
  if (wasm !== undefined && K >= WASM_MIN_K) {
    const chunk = wasm.open(K, ocg);
    try {
      let xv = chunk.x, yv = chunk.y;
      for (let g = 0; g < G; g++) {
        for (let img = 0; img < n; img++) {
          const pos = positions[img]!;
          for (let q = 0; q < pos.length; q++) {
            if (chunk.count === chunk.capacity) {
              chunk.flush(mo, g);
              xv = chunk.x;
              yv = chunk.y;
            }
            const r = chunk.count++;
            im2col(xv, r * K, 1, img, g, pos[q]!);
            for (let o = 0; o < ocg; o++) yv[r * ocg + o] = target(img, g, o, q);
          }
        }
        chunk.flush(mo, g);
        xv = chunk.x;
        yv = chunk.y;
      }
    } finally {
      chunk.close();
    }
  } else {
    // Rows in blocks of BLOCK pixels, transposed (reduction index major) so the products run over contiguous memory.
    const xt = new Float64Array(k1 * BLOCK);
    const yt = new Float64Array(ocg * BLOCK);
    for (let g = 0; g < G; g++) {
      const gram = mo.gram[g]!, cross = mo.cross[g]!;
      for (let img = 0; img < n; img++) {
        const pos = positions[img]!;
        for (let q0 = 0; q0 < pos.length; q0 += BLOCK) {
          const P = Math.min(BLOCK, pos.length - q0);
          for (let p = 0; p < P; p++) {
            const px = pos[q0 + p]!;
            im2col(xt, p, BLOCK, img, g, px);
            xt[K * BLOCK + p] = 1;
            for (let o = 0; o < ocg; o++) yt[o * BLOCK + p] = target(img, g, o, q0 + p);
          }
          addProducts(gram, xt, k1, xt, k1, P, true);
          addProducts(cross, xt, k1, yt, ocg, P, false);
        }
      }
    }
  }
  for (const pos of positions) mo.rows += pos.length;
}
