/**
 * Typed driver of the WebAssembly training kernels (browser-safe): forward convolution, its data and
 * weight gradients (dense, grouped and depthwise), BatchNorm reductions and relu backward, on
 * tensors that live in the kernels' memory.
 *
 * Contract
 * - Tensors are byte offsets into `kernels.memory` (f32, 16-byte aligned, none below RESERVED_BYTES).
 *   Rank-4 activations are NHWC with dense channels; shapes are passed in IR order: x [N, C, H, W],
 *   conv weights OIHW [Cout, C/group, kh, kw] (row-major, as the IR stores them), bias [Cout].
 * - convForward writes y (= conv(x, w) + b). convBackwardData and convBackwardWeight ACCUMULATE:
 *   dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b (db 0: no bias gradient). Pass zeroed buffers for "=".
 * - Attributes are the IR's ConvAttrs; pads are resolved with resolveWindow (auto_pad, asymmetric
 *   pads). Depthwise convs (group = C = Cout, one filter per channel) are detected automatically and
 *   run the depthwise kernels; every other group count runs the dense kernels once per group.
 * - Temporary memory (packed weights, gradient accumulators, per-thread scratch) comes from the
 *   `workspace` allocator and is freed before the method returns; `*WorkspaceBytes` give the peak a
 *   call holds, so a planner can account for it. Nothing else is allocated in wasm memory.
 * - With a `runner` (ThreadPool.run's signature; the memory must be shared), each kernel call is
 *   split across runner.threads threads when it has enough work; every kernel gives bit-identical
 *   results for any split, so threaded and single-threaded training agree exactly.
 *
 * Kernels: forward = conv2d / dwconv2d (weights packed per call by conv2d_pack_weights);
 * data gradient = conv2d_acc over the stride's sub-pixel phases (for stride s, dX pixels with
 * iy ≡ r (mod s) form a stride-1 conv of dY with the taps ky·d ≡ r + pt (mod s), flipped and
 * in/out-transposed: s² dense GEMMs with no zero-inserted dY), or dwconv2d_dgrad; weight gradient =
 * conv2d_wgrad / dwconv2d_wgrad (README.md, "Training kernels").
 */
import type { ConvAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { KERNEL_INDEX } from '../../runtime/wasm/kernels.js';
import type { KernelName } from '../../runtime/wasm/plan-types.js';
import { convScratchBytes, type WasmKernels } from './index.js';
import { MR, NR } from './packing.js';

/** Memory for the kernels' temporaries: byte offsets into the kernels' memory, 16-byte aligned. */
export interface TrainWorkspace {
  alloc(bytes: number): number;
  free(ptr: number): void;
}

/** ThreadPool.run (src/runtime/wasm/threads.ts): fn is the index in KERNEL_NAMES; scratch = scratchBase + thread·scratchBytes. */
export interface TrainRunner {
  readonly threads: number;
  run(fn: number, args: ArrayLike<number>, lo: number, hi: number, scratch: number, total: number, grain: number, scratchBase: number, scratchBytes: number): void;
}

export interface TrainKernelsOptions {
  readonly runner?: TrainRunner;
  /** Multiply-adds (or element operations) per thread below which a call stays on the calling thread (default 200 000). */
  readonly minWorkPerThread?: number;
  /** Weight-gradient kernel of dense convs: by output row (conv2d_wgrad), by gathered X̂ panel (conv2d_wgrad_gather), or picked per layer (default). */
  readonly wgrad?: 'auto' | 'direct' | 'gather';
}

/** IR-order shape [N, C, H, W] / [Cout, C/group, kh, kw]. */
export type Shape4 = readonly number[];

/** Resolved geometry of one conv. */
export interface ConvGeometry {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly OC: number; readonly OH: number; readonly OW: number;
  readonly G: number; readonly cinG: number; readonly ocG: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number; readonly pt: number; readonly pl: number;
  /** group = C = Cout with one input channel per group: the depthwise kernels run. */
  readonly depthwise: boolean;
}

export function convGeometry(xShape: Shape4, wShape: Shape4, attrs: ConvAttrs): ConvGeometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [OC, cinG, kh, kw] = wShape as [number, number, number, number];
  const G = attrs.group;
  if (xShape.length !== 4 || wShape.length !== 4 || cinG * G !== C || OC % G !== 0) {
    throw new Error(`internal error: conv shapes x ${JSON.stringify(xShape)}, w ${JSON.stringify(wShape)} disagree with group ${G}`);
  }
  const r = resolveWindow({ ...attrs, kernelShape: [kh, kw] }, H, W);
  return {
    N, C, H, W, OC, OH: r.outH, OW: r.outW, G, cinG, ocG: OC / G, kh, kw,
    sh: attrs.strides[0], sw: attrs.strides[1], dh: attrs.dilations[0], dw: attrs.dilations[1], pt: r.pads[0], pl: r.pads[1],
    depthwise: G === C && OC === C && cinG === 1,
  };
}

/**
 * One sub-pixel phase of a strided transposed conv along one axis: input (dX) indices
 * first + s·j (j < count) receive taps k0 + m·kStep (m < taps) of a stride-1 conv over dY with
 * dilation dil and begin padding pad.
 */
export interface AxisPhase {
  readonly first: number; readonly count: number;
  readonly k0: number; readonly kStep: number; readonly taps: number;
  readonly dil: number; readonly pad: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The phases r = 0..s−1 of one axis with at least one tap and one input index: dX[first + s·j] +=
 * Σ_m dY[j − pad + m·dil]·w[k0 + m·kStep] (taps with k·d ≡ r (mod s), listed last-first so the
 * dY offset grows with m).
 */
export function axisPhases(inSize: number, k: number, s: number, d: number, p: number): AxisPhase[] {
  const out: AxisPhase[] = [];
  const g = gcd(s, d);
  for (let r = 0; r < s; r++) {
    const ks: number[] = [];
    for (let ky = 0; ky < k; ky++) if ((((ky * d - r) % s) + s) % s === 0) ks.push(ky);
    const first = (((r - p) % s) + s) % s;
    const count = first < inSize ? Math.floor((inSize - 1 - first) / s) + 1 : 0;
    if (ks.length === 0 || count === 0) continue;
    const jA = (first + p - r) / s;
    const kLast = ks[ks.length - 1]!;
    const eLast = (r - kLast * d) / s;
    out.push({ first, count, k0: kLast, kStep: -(s / g), taps: ks.length, dil: d / g, pad: -(jA + eLast) });
  }
  return out;
}

const MIN_WORK_PER_THREAD = 200_000;
const F32 = 4;

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

type KernelFn = (...a: number[]) => void;

export class TrainKernels {
  readonly memory: WebAssembly.Memory;
  private readonly runner: TrainRunner | undefined;
  private readonly minWork: number;
  private readonly wgradMode: 'auto' | 'direct' | 'gather';

  constructor(readonly kernels: WasmKernels, private readonly workspace: TrainWorkspace, opts: TrainKernelsOptions = {}) {
    this.memory = kernels.memory;
    this.runner = opts.runner !== undefined && opts.runner.threads > 1 ? opts.runner : undefined;
    if (this.runner !== undefined && !kernels.shared) throw new Error('internal error: threaded training kernels need the shared-memory build');
    this.minWork = opts.minWorkPerThread ?? MIN_WORK_PER_THREAD;
    this.wgradMode = opts.wgrad ?? 'auto';
  }

  /** Threads a call with `work` multiply-adds runs on. */
  private threadsFor(work: number): number {
    const r = this.runner;
    return r !== undefined && work >= this.minWork * r.threads ? r.threads : 1;
  }

  /** Per-thread scratch blocks for the largest call of a method: the bytes to allocate. */
  private scratchTotal(perThread: number): number {
    return perThread > 0 ? align64(perThread) * (this.runner?.threads ?? 1) : 0;
  }

  /**
   * One kernel call over [0, total): args[lo], args[hi] are the range slots, args[scr] the scratch
   * slot (−1: none) filled from scrBase + thread·scrBytes.
   */
  private exec(fn: KernelName, args: number[], lo: number, hi: number, scr: number, total: number, grain: number, scrBase: number, scrBytes: number, work: number): void {
    if (total <= 0) return;
    const threads = this.threadsFor(work);
    if (threads > 1) {
      this.runner!.run(KERNEL_INDEX.get(fn)!, args, lo, hi, scr, total, grain, scrBase, align64(scrBytes));
      return;
    }
    args[lo] = 0;
    args[hi] = total;
    if (scr >= 0) args[scr] = scrBase;
    (this.kernels[fn] as KernelFn)(...args);
  }

  private alloc(bytes: number): number {
    return bytes > 0 ? this.workspace.alloc(bytes) : 0;
  }

  private free(...ptrs: number[]): void {
    for (const p of ptrs) if (p !== 0) this.workspace.free(p);
  }

  // ---- forward ----

  /** Peak workspace bytes of convForward. */
  convForwardWorkspaceBytes(xShape: Shape4, wShape: Shape4, attrs: ConvAttrs, hasBias = true): number {
    const g = convGeometry(xShape, wShape, attrs);
    return Object.values(this.forwardPlan(g, hasBias)).reduce((a, b) => a + b, 0);
  }

  private forwardPlan(g: ConvGeometry, hasBias: boolean): { weights: number; bias: number; scratch: number } {
    if (g.depthwise) return { weights: align64(g.kh * g.kw * Math.ceil(g.C / 4) * 4 * F32), bias: hasBias ? align64(Math.ceil(g.C / NR) * NR * F32) : 0, scratch: 0 };
    const T = Math.ceil(g.ocG / NR);
    const K = g.kh * g.kw * g.cinG;
    return { weights: align64(T * K * NR * F32), bias: hasBias ? align64(T * NR * F32) : 0, scratch: this.scratchTotal(convScratchBytes(K)) };
  }

  /** y = conv(x, w) + b (b 0: none); y NHWC [N, OH, OW, Cout]. */
  convForward(x: number, xShape: Shape4, w: number, wShape: Shape4, b: number, y: number, attrs: ConvAttrs): void {
    const g = convGeometry(xShape, wShape, attrs);
    const k = this.kernels;
    const plan = this.forwardPlan(g, b !== 0);
    const wpk = this.alloc(plan.weights), bias = this.alloc(plan.bias), scr = this.alloc(plan.scratch);
    try {
      const P = g.N * g.OH * g.OW;
      const taps = g.kh * g.kw;
      if (g.depthwise) {
        k.dwconv2d_pack_weights(w, g.C, taps, wpk);
        if (b !== 0) k.f32_copy_pad(b, g.C, bias, Math.ceil(g.C / NR) * NR);
        const args = [x, g.H, g.W, g.C, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, wpk, bias, y, 0, 0, 0, 0, 0, 0];
        this.exec('dwconv2d', args, 21, 22, -1, P, 1, 0, 0, P * g.C * taps);
        return;
      }
      const K = taps * g.cinG;
      const T = Math.ceil(g.ocG / NR);
      const byPixel = P >= 4 * MR && P >= g.ocG;
      for (let gi = 0; gi < g.G; gi++) {
        k.conv2d_pack_weights(w + gi * g.ocG * K * F32, g.ocG, g.cinG, g.kh, g.kw, 0, 0, 1, g.kh, 0, 1, g.kw, wpk);
        if (b !== 0) k.f32_copy_pad(b + gi * g.ocG * F32, g.ocG, bias, T * NR);
        const args = [x + gi * g.cinG * F32, g.H, g.W, g.C, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.cinG, wpk, bias, g.ocG,
          y + gi * g.ocG * F32, g.OC, 0, 0, 0, 0, 0, P, 0, T, 0];
        if (byPixel) this.exec('conv2d', args, 24, 25, 28, P, MR, scr, convScratchBytes(K), P * g.ocG * K);
        else this.exec('conv2d', args, 26, 27, 28, T, 1, scr, convScratchBytes(K), P * g.ocG * K);
      }
    } finally {
      this.free(wpk, bias, scr);
    }
  }

  // ---- data gradient ----

  /** Peak workspace bytes of convBackwardData. */
  convBackwardDataWorkspaceBytes(xShape: Shape4, wShape: Shape4, attrs: ConvAttrs): number {
    const p = this.dataPlan(convGeometry(xShape, wShape, attrs));
    return p.weights + p.scratch;
  }

  private dataPlan(g: ConvGeometry): { weights: number; scratch: number; py: AxisPhase[]; px: AxisPhase[] } {
    const py = axisPhases(g.H, g.kh, g.sh, g.dh, g.pt);
    const px = axisPhases(g.W, g.kw, g.sw, g.dw, g.pl);
    if (g.depthwise) return { weights: align64(g.kh * g.kw * Math.ceil(g.C / 4) * 4 * F32), scratch: this.scratchTotal(g.kh * g.kw * 8), py, px };
    const T = Math.ceil(g.cinG / NR);
    let weights = 0;
    for (const a of py) for (const c of px) weights += align64(T * a.taps * c.taps * g.ocG * NR * F32);
    return { weights, scratch: this.scratchTotal(convScratchBytes(g.kh * g.kw * g.ocG)), py, px };
  }

  /**
   * dx += ∂(conv)/∂x · dy: dy NHWC [N, OH, OW, Cout], dx NHWC [N, H, W, C]. overwrite: dx = … instead
   * (dx's old contents are ignored; for a gradient buffer handed out unzeroed).
   */
  convBackwardData(dy: number, w: number, dx: number, xShape: Shape4, wShape: Shape4, attrs: ConvAttrs, overwrite = false): void {
    const g = convGeometry(xShape, wShape, attrs);
    const k = this.kernels;
    const plan = this.dataPlan(g);
    // The phase convs write every dX pixel only when every phase has taps (a 1x1 stride-2 conv leaves
    // 3 of 4 pixels without gradient); depthwise dgrad accumulates. Otherwise zero, then accumulate.
    const covers = !g.depthwise && plan.py.reduce((n, a) => n + a.count, 0) === g.H && plan.px.reduce((n, c) => n + c.count, 0) === g.W;
    if (overwrite && !covers) k.f32_copy_pad(0, 0, dx, g.N * g.H * g.W * g.C);
    const ov = overwrite && covers ? 1 : 0;
    const wpk = this.alloc(plan.weights), scr = this.alloc(plan.scratch);
    try {
      const taps = g.kh * g.kw;
      if (g.depthwise) {
        k.dwconv2d_pack_weights(w, g.C, taps, wpk);
        const P = g.N * g.H * g.W;
        const args = [dy, g.OH, g.OW, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, wpk, dx, 0, 0, 0];
        // ~taps / (sh·sw) multiply-adds per dX element
        this.exec('dwconv2d_dgrad', args, 16, 17, 18, P, 1, scr, taps * 8, (P * g.C * taps) / (g.sh * g.sw));
        return;
      }
      const T = Math.ceil(g.cinG / NR);
      for (let gi = 0; gi < g.G; gi++) {
        const wg = w + gi * g.ocG * g.cinG * taps * F32;
        // Pack every phase of this group first, then run them (no call depends on another's output rows).
        const packs: { a: AxisPhase; c: AxisPhase; ptr: number }[] = [];
        let ptr = wpk;
        for (const a of plan.py) {
          for (const c of plan.px) {
            k.conv2d_pack_weights(wg, g.ocG, g.cinG, g.kh, g.kw, 1, a.k0, a.kStep, a.taps, c.k0, c.kStep, c.taps, ptr);
            packs.push({ a, c, ptr });
            ptr += align64(T * a.taps * c.taps * g.ocG * NR * F32);
          }
        }
        for (const { a, c, ptr: wp } of packs) {
          const P = g.N * a.count * c.count;
          const K = a.taps * c.taps * g.ocG;
          const y = dx + ((a.first * g.W + c.first) * g.C + gi * g.cinG) * F32;
          const args = [dy + gi * g.ocG * F32, g.OH, g.OW, g.OC, a.count, c.count, a.taps, c.taps, 1, 1, a.dil, c.dil, a.pad, c.pad, g.ocG, wp, g.cinG,
            y, g.sw * g.C, g.sh * g.W * g.C, g.H * g.W * g.C, 0, P, 0, T, 0, ov];
          const byPixel = P >= 4 * MR && P >= g.cinG;
          if (byPixel) this.exec('conv2d_acc', args, 21, 22, 25, P, MR, scr, convScratchBytes(K), P * g.cinG * K);
          else this.exec('conv2d_acc', args, 23, 24, 25, T, 1, scr, convScratchBytes(K), P * g.cinG * K);
        }
      }
    } finally {
      this.free(wpk, scr);
    }
  }

  // ---- weight gradient ----

  /** Peak workspace bytes of convBackwardWeight. */
  convBackwardWeightWorkspaceBytes(xShape: Shape4, wShape: Shape4, attrs: ConvAttrs): number {
    const p = this.weightPlan(convGeometry(xShape, wShape, attrs));
    return p.acc + p.scratch;
  }

  /**
   * The direct kernel reads x along output rows and pays a loop entry per row and tap; on short rows
   * (OW < 16) gathering X̂ panels first (conv2d_wgrad_gather) is faster.
   */
  private wgradGather(g: ConvGeometry): boolean {
    return this.wgradMode === 'gather' || (this.wgradMode === 'auto' && g.OW < 16);
  }

  private weightPlan(g: ConvGeometry): { acc: number; scratch: number; scratchPerThread: number; gather: boolean } {
    const k = this.kernels;
    if (g.depthwise) return { acc: align64(k.dwconv2d_wgrad_acc_bytes(g.C, g.kh, g.kw)), scratch: 0, scratchPerThread: 0, gather: false };
    if (this.wgradGather(g)) {
      const per = k.conv2d_wgrad_gather_scratch_bytes(g.ocG);
      return { acc: align64(k.conv2d_wgrad_gather_acc_bytes(g.cinG, g.kh, g.kw, g.ocG)), scratch: this.scratchTotal(per), scratchPerThread: per, gather: true };
    }
    const per = k.conv2d_wgrad_scratch_bytes(g.N * g.OH, g.OW, g.ocG);
    return { acc: align64(k.conv2d_wgrad_acc_bytes(g.cinG, g.kh, g.kw, g.ocG)), scratch: this.scratchTotal(per), scratchPerThread: per, gather: false };
  }

  /** dw += ∂(conv)/∂w, db += Σ dy (db 0: skipped): x NHWC [N, H, W, C], dy NHWC [N, OH, OW, Cout], dw OIHW, db [Cout]. */
  convBackwardWeight(x: number, dy: number, dw: number, db: number, xShape: Shape4, wShape: Shape4, attrs: ConvAttrs): void {
    const g = convGeometry(xShape, wShape, attrs);
    const plan = this.weightPlan(g);
    const acc = this.alloc(plan.acc), scr = this.alloc(plan.scratch);
    try {
      const taps = g.kh * g.kw;
      const P = g.N * g.OH * g.OW;
      if (g.depthwise) {
        const items = Math.ceil(g.C / 16) * taps;
        const args = [x, g.H, g.W, g.C, dy, g.N, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, dw, db, acc, 0, 0];
        this.exec('dwconv2d_wgrad', args, 19, 20, -1, items, 1, 0, 0, P * g.C * taps);
        return;
      }
      const T = Math.ceil(g.ocG / NR);
      const items = plan.gather ? T * Math.ceil((taps * g.cinG) / 4) : T * taps * Math.ceil(g.cinG / 4);
      for (let gi = 0; gi < g.G; gi++) {
        const args = [x + gi * g.cinG * F32, g.H, g.W, g.C, dy + gi * g.ocG * F32, g.N, g.OH, g.OW, g.OC, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl,
          g.cinG, g.ocG, dw + gi * g.ocG * g.cinG * taps * F32, db === 0 ? 0 : db + gi * g.ocG * F32, acc, 0, 0, 0];
        this.exec(plan.gather ? 'conv2d_wgrad_gather' : 'conv2d_wgrad', args, 22, 23, plan.scratchPerThread > 0 ? 24 : -1, items, 1, scr, plan.scratchPerThread, P * g.ocG * g.cinG * taps);
      }
    } finally {
      this.free(acc, scr);
    }
  }

  /** Pixels per row of the 1x1 "image" matmulTN lays its rows out on (conv2d_wgrad blocks whole rows). */
  static readonly MATMUL_ROW = 16;

  /** Peak workspace bytes of matmulTN. */
  matmulTNWorkspaceBytes(ka: number, nb: number, rows: number): number {
    return this.convBackwardWeightWorkspaceBytes(matmulImage(ka, rows), [nb, ka, 1, 1], POINTWISE);
  }

  /**
   * out[o·ka + r] += Σ_p a[p·ka + r]·b[p·nb + o] over p < rows (AᵀB of two row-major panels, stored
   * transposed), and sums[o] += Σ_p b[p·nb + o] (sums 0: skipped). This is the weight gradient of a
   * 1x1 conv (x = A, dy = B), so it runs on conv2d_wgrad: rows must be a multiple of MATMUL_ROW,
   * which makes the "image" MATMUL_ROW pixels wide — the kernel blocks whole output rows, and short
   * rows keep its blocks cache-sized. Zero rows add nothing, so callers pad with them.
   */
  matmulTN(a: number, ka: number, b: number, nb: number, rows: number, out: number, sums: number): void {
    if (rows % TrainKernels.MATMUL_ROW !== 0) throw new Error(`internal error: matmulTN rows ${rows} not a multiple of ${TrainKernels.MATMUL_ROW}`);
    if (rows === 0) return;
    this.convBackwardWeight(a, b, out, sums, matmulImage(ka, rows), [nb, ka, 1, 1], POINTWISE);
  }

  // ---- BatchNorm reductions, relu backward (P rows of C dense channels: NHWC with P = N·H·W) ----

  /** s1[c] = Σ (x − shift[c]), s2[c] = Σ (x − shift[c])² (written; shift 0: none). Mean = shift + s1/P, var = s2/P − (s1/P)². */
  channelStats(x: number, P: number, C: number, shift: number, s1: number, s2: number): void {
    this.exec('channel_stats', [x, P, C, shift, s1, s2, 0, 0], 6, 7, -1, C, 8, 0, 0, P * C);
  }

  /** sdy[c] = Σ dy, sdyx[c] = Σ dy·x̂ with x̂ = (x − mean)·invstd (written; mean 0: zeros, invstd 0: ones). */
  batchNormBackwardSums(dy: number, x: number, P: number, C: number, mean: number, invstd: number, sdy: number, sdyx: number): void {
    this.exec('bn_backward_sums', [dy, x, P, C, mean, invstd, sdy, sdyx, 0, 0], 8, 9, -1, C, 8, 0, 0, P * C);
  }

  /** dx[i] += y[i] > 0 ? dy[i] : 0 for i < n (y: the relu's output, or its input). */
  reluBackward(y: number, dy: number, dx: number, n: number): void {
    this.exec('relu_backward', [y, dy, dx, 0, 0], 3, 4, -1, n, 64, 0, 0, n);
  }

  /** dy[i] = y[i] > 0 ? dy[i] : 0 for i < n: the gradient overwrites dy. */
  reluBackwardInPlace(y: number, dy: number, n: number): void {
    this.exec('relu_backward_inplace', [y, dy, 0, 0], 2, 3, -1, n, 64, 0, 0, n);
  }

  /** y[p, c] = x[p, c]·scale[c] + shift[c] over P pixels of C channels (y may be x). */
  batchNormApply(x: number, P: number, C: number, scale: number, shift: number, y: number): void {
    this.exec('bn_apply', [x, C, scale, shift, y, 0, 0], 5, 6, -1, P, 1, 0, 0, P * C);
  }

  /** dx[p, c] += k[c]·dy[p, c] + u[c]·x[p, c] + b[c] over P pixels of C channels. */
  batchNormBackwardDx(dy: number, x: number, P: number, C: number, k: number, u: number, b: number, dx: number, accumulate = true): void {
    this.exec('bn_backward_dx', [dy, x, C, k, u, b, dx, 0, 0, accumulate ? 1 : 0], 7, 8, -1, P, 1, 0, 0, P * C);
  }
}

/** A 1x1 conv with unit strides and no padding (matmulTN's geometry). */
const POINTWISE: ConvAttrs = { group: 1, kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET' };

/** IR shape [1, ka, rows / MATMUL_ROW, MATMUL_ROW] of matmulTN's panel A viewed as an NHWC image. */
function matmulImage(ka: number, rows: number): Shape4 {
  return [1, ka, Math.max(1, rows / TrainKernels.MATMUL_ROW), TrainKernels.MATMUL_ROW];
}
