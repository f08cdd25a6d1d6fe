/**
 * Lowering: a fused graph with bound shapes → a list of kernel calls over arena buffers.
 * Each op maps to a WebAssembly kernel when its shape and attributes allow; anything else runs
 * its reference kernel on the host (HostStep), so every graph the IR accepts still runs.
 */
import { ACTIVATION_CODES, type Activation, type ConvAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { evalNode } from '../../graph/infer.js';
import type { Graph, Node, NodeOf } from '../../graph/ir.js';
import type { ValueType } from '../../graph/ops/index.js';
import { NO_ACTIVATION } from '../../graph/attrs.js';
import { sizeOf, type FloatTensor, type Tensor } from '../../graph/tensor.js';
import type { Arg, KernelAlternative, KernelName, KernelStep, Step, ValueSlot } from './plan-types.js';
import type { LayerPattern } from '../../prune/metadata.js';
import type { WeightStore } from './weights.js';
import { nchwToNhwc, nhwcToNchw } from './layout.js';
import { dwVsScratchBytes } from '../../kernels/wasm/index.js';
import { COLNM_KERNEL_TILES, type ColNmKernelTile } from '../../kernels/wasm/packing.js';
import { nhwcPad, nhwcSlice, runNhwcPad, runNhwcSlice } from './host-ops.js';

/** The weight-packing functions of the kernel library (src/kernels/wasm/packing.ts). */
export interface Packing {
  readonly MR: number;
  readonly NR: number;
  packConvWeights(w: Float32Array, OC: number, Cin: number, kh: number, kw: number): Float32Array;
  packDepthwiseWeights(w: Float32Array, C: number, kh: number, kw: number): Float32Array;
  packGemmWeights(b: Float32Array, K: number, N: number, transB: boolean): Float32Array;
  packBias(b: Float32Array | undefined, OC: number): Float32Array;
  convScratchBytes(K: number): number;
  packColNmWeights(w: Float32Array, OC: number, Cin: number, kh: number, kw: number, keptRows: readonly Uint32Array[], tile?: ColNmKernelTile): { values: Float32Array; index: Uint32Array; Kt: number };
  packDepthwiseDr(w: Float32Array, C: number, kh: number, kw: number): { data: Uint32Array; kept: number };
  packDepthwiseVs(w: Float32Array, C: number, kh: number, kw: number): { data: Uint32Array; kept: number; units: number };
  convColNmScratchBytes(Kt: number, K: number): number;
  dwDrScratchBytes(C: number, OW: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number;
}

/**
 * Kept reduction rows per tile of NR output channels, read off the zeros of a pruned weight (a row
 * is kept when any channel of the tile has a non-zero there), every tile padded to the same count
 * with its lowest unkept rows (zero weights cost a little time and no accuracy).
 */
export function keptRowsFromZeros(w: Float32Array, OC: number, Cin: number, kh: number, kw: number, NR: number): Uint32Array[] {
  const K = kh * kw * Cin;
  const tiles: number[][] = [];
  for (let t0 = 0; t0 < OC; t0 += NR) {
    const rows: number[] = [];
    for (let k = 0; k < K; k++) {
      const tap = Math.floor(k / Cin), ci = k % Cin, ky = Math.floor(tap / kw), kx = tap % kw;
      for (let oc = t0; oc < Math.min(OC, t0 + NR); oc++) {
        if (w[((oc * Cin + ci) * kh + ky) * kw + kx] !== 0) {
          rows.push(k);
          break;
        }
      }
    }
    tiles.push(rows);
  }
  const Kt = Math.max(1, ...tiles.map((r) => r.length));
  return tiles.map((rows) => {
    const have = new Set(rows);
    for (let k = 0; rows.length < Kt && k < K; k++) if (!have.has(k)) rows.push(k);
    return Uint32Array.from(rows.sort((a, b) => a - b));
  });
}

export interface Lowered {
  readonly steps: readonly Step[];
  /** Buffers in the arena (root values only; aliases map onto them). */
  readonly slots: ReadonlyMap<string, ValueSlot>;
  /** value → the root value whose buffer it shares (Flatten of [N,C,1,1], Identity, ...). */
  readonly alias: ReadonlyMap<string, string>;
  readonly scratchBytes: number;
}

const F32 = 4;

function actArgs(a: Activation): [number, number, number] {
  return [ACTIVATION_CODES[a.kind], Number.isFinite(a.alpha) ? a.alpha : -3.4e38, Number.isFinite(a.beta) ? a.beta : 3.4e38];
}

/** Picks the kernel for a call with interchangeable candidates (the tuning cache, or the default). */
export type KernelChooser = (signature: string, candidates: readonly KernelName[], fallback: KernelName) => KernelName;

/** Dense conv variants the profiler times; 'conv2d' picks its micro-kernel by the built-in rule (the cost model). */
export const DENSE_CONV_CANDIDATES: readonly KernelName[] = ['conv2d', 'f32_conv2d_4x8', 'f32_conv2d_6x8'];
/** Cost model: use the colnm kernel when it reads at most this fraction of the dense work. */
const SPARSE_MAX_DENSITY = 0.75;
/** The same for tiles of 4 (conv2d_colnm4: twice the input splats per multiply-add). */
const SPARSE4_MAX_DENSITY = 0.5;
/**
 * The cost model's depthwise choice for a DEPrune-pruned layer (bench/results/dw-sparse-2026-12-05.md,
 * single thread). `density`: kept weights; `vsDensity`: kept (4-channel, tap) units.
 *  - DR (dwconv2d_dr) pays an NHWC → planar → NHWC layout change worth about a dense 3x3 layer, so it
 *    wins on 5x5 stride-1 layers (25 taps to skip: 1.2–1.4x at 50%, 1.5–1.7x at 70%) and on 3x3 only
 *    when nearly everything is pruned.
 *  - VS (dwconv2d_vs) costs one load and one multiply-add per kept unit and pixel where the dense
 *    sliding window shares its loads between neighbouring pixels: it wins on stride-2 layers from
 *    ~50% of the units gone (1.0–1.1x at 50%, 1.4–1.6x at 70%) and on stride-1 layers from ~90%.
 */
export function depthwiseKernelFor(kh: number, kw: number, strideH: number, density: number, vsDensity: number): KernelName {
  if (kh * kw >= 25 && strideH === 1 && density <= 0.6) return 'dwconv2d_dr';
  if (strideH >= 2 && vsDensity <= 0.55) return 'dwconv2d_vs';
  if (vsDensity <= 0.15) return 'dwconv2d_vs';
  if (density <= 0.05) return 'dwconv2d_dr';
  return 'dwconv2d';
}

export function lower(g: Graph, types: ReadonlyMap<string, ValueType>, store: WeightStore, pk: Packing, choose: KernelChooser = (_s, _c, f) => f, threads = 1, patterns: Readonly<Record<string, LayerPattern>> = {}): Lowered {
  const steps: Step[] = [];
  const slots = new Map<string, ValueSlot>();
  const alias = new Map<string, string>();
  let scratchBytes = 0;
  const root = (v: string): string => alias.get(v) ?? v;
  const shapeOf = (v: string): readonly number[] => types.get(v)!.shape;
  const constant = (v: string | undefined): Tensor | undefined => (v ? g.initializers.get(v) : undefined);
  const constFloat = (v: string | undefined): FloatTensor | undefined => {
    const t = constant(v);
    return t?.dtype === 'float32' ? t : undefined;
  };
  const slot = (v: string) => {
    const t = types.get(v)!;
    if (!slots.has(v)) slots.set(v, { bytes: sizeOf(t.shape) * (t.dtype === 'int64' ? 8 : F32), shape: t.shape, nhwc: t.shape.length === 4 });
  };
  const val = (v: string, offset = 0): Arg => ({ value: root(v), offset });
  const kernel = (node: Node, s: Omit<KernelStep, 'kind' | 'node' | 'op'>) => steps.push({ kind: 'kernel', node: node.name, op: node.op, ...s, reads: s.reads.map(root), writes: s.writes.map(root) });
  const aliasTo = (out: string, src: string) => alias.set(out, root(src));
  for (const i of g.inputs) if (!g.initializers.has(i.name)) slot(i.name);

  for (const node of g.nodes) {
    const out = node.outputs[0]!;
    if (!lowerNode(node)) hostStep(node);

    function lowerNode(n: Node): boolean {
      switch (n.op) {
        case 'Conv':
        case 'FusedConv':
          return lowerConv(n);
        case 'Gemm':
          return lowerGemm(n);
        case 'MaxPool':
        case 'AveragePool': {
          const [N, C, H, W] = shapeOf(n.inputs[0]!) as [number, number, number, number];
          const r = resolveWindow(n.attrs, H, W);
          const [kh, kw] = n.attrs.kernelShape;
          const [sh, sw] = n.attrs.strides;
          const [dh, dw] = n.attrs.dilations;
          slot(out);
          const P = N * r.outH * r.outW;
          const args: Arg[] = n.op === 'MaxPool'
            ? [val(n.inputs[0]!), H, W, C, r.outH, r.outW, kh, kw, sh, sw, dh, dw, r.pads[0], r.pads[1], val(out), { range: 'lo' }, { range: 'hi' }]
            : [val(n.inputs[0]!), H, W, C, r.outH, r.outW, kh, kw, sh, sw, r.pads[0], r.pads[1], r.pads[2], r.pads[3], n.attrs.countIncludePad ? 1 : 0, val(out), { range: 'lo' }, { range: 'hi' }];
          if (n.op === 'AveragePool' && (dh !== 1 || dw !== 1)) return false;
          kernel(n, { fn: n.op === 'MaxPool' ? 'maxpool2d' : 'avgpool2d', args, total: P, grain: 1, reads: [n.inputs[0]!], writes: [out], work: P * C * kh * kw });
          return true;
        }
        case 'GlobalAveragePool': {
          const [N, C, H, W] = shapeOf(n.inputs[0]!) as [number, number, number, number];
          slot(out);
          kernel(n, { fn: 'globalavgpool', args: [val(n.inputs[0]!), H * W, C, val(out), { range: 'lo' }, { range: 'hi' }], total: N, grain: 1, reads: [n.inputs[0]!], writes: [out], work: N * H * W * C });
          return true;
        }
        case 'Add': {
          const [a, b] = n.inputs as [string, string];
          if (constant(a) || constant(b) || shapeOf(a).join() !== shapeOf(b).join() || types.get(a)!.dtype !== 'float32') return false;
          slot(out);
          const count = sizeOf(shapeOf(out));
          kernel(n, { fn: 'add', args: [val(a), val(b), val(out), count, 0, 0, 0, { range: 'lo' }, { range: 'hi' }], total: count, grain: 64, reads: [a, b], writes: [out], work: count });
          return true;
        }
        case 'Mul': {
          // Squeeze-excite: [N,C,H,W] · [N,C,1,1]
          const [a, b] = n.inputs as [string, string];
          if (constant(a) || constant(b)) return false;
          const sa = shapeOf(a);
          const sb = shapeOf(b);
          const [x, s] = sb.length === 4 && sb[2] === 1 && sb[3] === 1 && sa.length === 4 && (sa[2]! > 1 || sa[3]! > 1) ? [a, b] : [b, a];
          const sx = shapeOf(x);
          const ss = shapeOf(s);
          if (sx.length !== 4 || ss.length !== 4 || ss[0] !== sx[0] || ss[1] !== sx[1] || ss[2] !== 1 || ss[3] !== 1) return false;
          slot(out);
          kernel(n, { fn: 'mul_channel', args: [val(x), val(s), val(out), sx[2]! * sx[3]!, sx[1]!, { range: 'lo' }, { range: 'hi' }], total: sx[0]!, grain: 1, reads: [x, s], writes: [out], work: sizeOf(sx) });
          return true;
        }
        case 'Relu':
        case 'Sigmoid':
        case 'HardSwish':
        case 'HardSigmoid':
        case 'Clip': {
          const act = elementwiseActivation(n);
          if (act === undefined || types.get(n.inputs[0]!)!.dtype !== 'float32') return false;
          slot(out);
          const count = sizeOf(shapeOf(out));
          kernel(n, { fn: 'activation', args: [val(n.inputs[0]!), val(out), count, ...actArgs(act), { range: 'lo' }, { range: 'hi' }], total: count, grain: 64, reads: [n.inputs[0]!], writes: [out], work: count });
          return true;
        }
        case 'Softmax': {
          const s = shapeOf(n.inputs[0]!);
          const axis = n.attrs.axis < 0 ? n.attrs.axis + s.length : n.attrs.axis;
          if (s.length !== 2 || axis !== 1) return false;
          slot(out);
          kernel(n, { fn: 'softmax_rows', args: [val(n.inputs[0]!), val(out), s[0]!, s[1]!], total: 1, grain: 1, reads: [n.inputs[0]!], writes: [out] });
          return true;
        }
        case 'Flatten':
        case 'Reshape':
        case 'Squeeze':
        case 'Unsqueeze': {
          // Free when NHWC and NCHW orders coincide: the input is not 4-D, or its H = W = 1 and so is any 4-D output.
          const si = shapeOf(n.inputs[0]!);
          const so = shapeOf(out);
          const same = (s: readonly number[]) => s.length !== 4 || (s[2] === 1 && s[3] === 1);
          if (constant(n.inputs[0]) || !same(si) || !same(so)) return false;
          aliasTo(out, n.inputs[0]!);
          return true;
        }
        case 'Slice': {
          const si = shapeOf(n.inputs[0]!);
          const [st, en, ax, sp] = [1, 2, 3, 4].map((i) => constant(n.inputs[i]));
          if (si.length !== 4 || constant(n.inputs[0]) || st === undefined || en === undefined || (n.inputs[3] && !ax) || (n.inputs[4] && !sp)) return false;
          const spec = nhwcSlice(si, st, en, ax, sp);
          slot(out);
          const src = n.inputs[0]!;
          steps.push({ kind: 'host', node: n.name, op: n.op, reads: [root(src)], writes: [root(out)], run: (mem, addr) => runNhwcSlice(mem, addr(root(src)) / F32, addr(root(out)) / F32, spec) });
          return true;
        }
        case 'Pad': {
          const si = shapeOf(n.inputs[0]!);
          const pads = constant(n.inputs[1]);
          const value = n.inputs[2] ? constant(n.inputs[2]) : undefined;
          const axes = n.inputs[3] ? constant(n.inputs[3]) : undefined;
          if (si.length !== 4 || n.attrs.mode !== 'constant' || constant(n.inputs[0]) || pads === undefined || (n.inputs[2] && !value) || (n.inputs[3] && !axes)) return false;
          const spec = nhwcPad(si, pads, value, axes);
          if (spec === undefined) return false;
          slot(out);
          const src = n.inputs[0]!;
          steps.push({ kind: 'host', node: n.name, op: n.op, reads: [root(src)], writes: [root(out)], run: (mem, addr) => runNhwcPad(mem, addr(root(src)) / F32, addr(root(out)) / F32, spec) });
          return true;
        }
        case 'Identity':
        case 'Dropout':
          if (constant(n.inputs[0])) return false;
          aliasTo(out, n.inputs[0]!);
          return true;
        default:
          return false;
      }
    }

    function elementwiseActivation(n: Node): Activation | undefined {
      switch (n.op) {
        case 'Relu': return { kind: 'relu', alpha: 0, beta: 0 };
        case 'Sigmoid': return { kind: 'sigmoid', alpha: 0, beta: 0 };
        case 'HardSwish': return { kind: 'hardswish', alpha: 0, beta: 0 };
        case 'HardSigmoid': return { kind: 'hardsigmoid', alpha: n.attrs.alpha, beta: n.attrs.beta };
        case 'Clip': {
          const lo = n.inputs[1] ? constFloat(n.inputs[1]) : undefined;
          const hi = n.inputs[2] ? constFloat(n.inputs[2]) : undefined;
          if ((n.inputs[1] && !lo) || (n.inputs[2] && !hi)) return undefined;
          return { kind: 'clip', alpha: lo?.data[0] ?? -Infinity, beta: hi?.data[0] ?? Infinity };
        }
        default: return undefined;
      }
    }

    function lowerConv(n: NodeOf<'Conv'> | NodeOf<'FusedConv'>): boolean {
      const w = constFloat(n.inputs[1]);
      const b = n.inputs[2] ? constFloat(n.inputs[2]) : undefined;
      if (w === undefined || (n.inputs[2] && b === undefined)) return false;
      const x = n.inputs[0]!;
      const [N, C, H, W] = shapeOf(x) as [number, number, number, number];
      const [OC, cinG, kh, kw] = w.shape as [number, number, number, number];
      const attrs: ConvAttrs = n.attrs;
      const r = resolveWindow({ ...attrs, kernelShape: [kh, kw] }, H, W);
      const act = n.op === 'FusedConv' ? n.attrs.activation : NO_ACTIVATION;
      const res = n.op === 'FusedConv' && n.attrs.residual ? n.inputs[3]! : undefined;
      const [sh, sw] = attrs.strides;
      const [dh, dw] = attrs.dilations;
      const P = N * r.outH * r.outW;
      const G = attrs.group;
      slot(out);
      const reads = res === undefined ? [x] : [x, res];
      if (G === C && OC === C && cinG === 1) {
        const bias = store.get(`dwb:${n.inputs[2] ?? ''}:${C}`, () => pk.packBias(b?.data, C));
        const common = [H, W, C, r.outH, r.outW, kh, kw, sh, sw, dh, dw, r.pads[0], r.pads[1]];
        const tail: Arg[] = [{ weight: bias }, val(out), res === undefined ? 0 : val(res), ...actArgs(act), { range: 'lo' }, { range: 'hi' }];
        const dense = (): KernelAlternative => ({ fn: 'dwconv2d', args: [val(x), ...common, { weight: store.get(`dw:${n.inputs[1]}`, () => pk.packDepthwiseWeights(w.data, C, kh, kw)) }, ...tail], total: P, grain: 1 });
        const pat = patterns[n.name]?.pattern;
        const alts: KernelAlternative[] = [];
        let density = 1;
        let vsDensity = 1;
        if (pat === 'dcp' || pat === 'dcp-b' || pat === 'dcp-bh') {
          // Vector-sparse NHWC kernel: skips (4-channel block, tap) units that are all zero (every pruned
          // unit with lanes = 4; few with element-wise masks, where DR is the sparse path).
          const vs = store.memo(`dwvs:${n.inputs[1]}`, () => pk.packDepthwiseVs(w.data, C, kh, kw));
          vsDensity = vs.kept / vs.units;
          scratchBytes = Math.max(scratchBytes, dwVsScratchBytes(C, kh, kw));
          alts.push({ fn: 'dwconv2d_vs', args: [val(x), ...common, { weight: store.get(`dw:${n.inputs[1]}`, () => pk.packDepthwiseWeights(w.data, C, kh, kw)) }, { weight: store.get(`dwvs:${n.inputs[1]}`, () => vs.data) }, ...tail, { scratch: true }], total: P, grain: 1 });
          const packed = store.memo(`dwdr:${n.inputs[1]}`, () => pk.packDepthwiseDr(w.data, C, kh, kw));
          density = packed.kept / (C * kh * kw);
          scratchBytes = Math.max(scratchBytes, pk.dwDrScratchBytes(C, r.outW, kh, kw, sh, sw, dh, dw));
          // Whole output rows per thread: the kernel works in row strips, so partial rows waste its layout work.
          alts.push({ fn: 'dwconv2d_dr', args: [val(x), ...common, { weight: store.get(`dwdr:${n.inputs[1]}`, () => packed.data) }, ...tail, { scratch: true }], total: P, grain: r.outW });
        }
        alts.push(dense());
        const signature = `dwconv2d:${pat ?? 'dense'}:${density.toFixed(3)}:vs${vsDensity.toFixed(3)}|N${N} ${H}x${W}x${C}->${r.outH}x${r.outW}|k${kh}x${kw} s${sh}x${sw} d${dh}x${dw} p${r.pads.join(',')}|t${threads}`;
        const fallback = alts.length > 1 ? depthwiseKernelFor(kh, kw, sh, density, vsDensity) : 'dwconv2d';
        const chosen = alts.find((a) => a.fn === choose(signature, alts.map((a) => a.fn), fallback))!;
        kernel(n, { ...chosen, reads, writes: [out], work: P * C * kh * kw * (chosen.fn === 'dwconv2d' ? 1 : chosen.fn === 'dwconv2d_vs' ? vsDensity : density), ...(alts.length > 1 ? { alternatives: alts, signature } : {}) });
        return true;
      }
      const ocG = OC / G;
      const K = kh * kw * cinG;
      scratchBytes = Math.max(scratchBytes, pk.convScratchBytes(K));
      const pat = patterns[n.name];
      // Tiles of 8 run on conv2d_colnm, tiles of 4 on conv2d_colnm4; other widths run dense.
      const colnmTile = pat?.pattern === 'colnm' && G === 1 ? COLNM_KERNEL_TILES.find((t) => t === pat.tile) : undefined;
      const colnmFn: KernelName = colnmTile === 4 ? 'conv2d_colnm4' : 'conv2d_colnm';
      for (let gi = 0; gi < G; gi++) {
        const wg = w.data.subarray(gi * ocG * K, (gi + 1) * ocG * K);
        const bias = store.get(`bias:${n.inputs[2] ?? ''}:${OC}:${gi}`, () => pk.packBias(b?.data.subarray(gi * ocG, (gi + 1) * ocG), ocG));
        // Threads split pixels when those dominate the traffic, output-channel tiles when the weights
        // do (few pixels, many channels: deep ResNet layers), so no thread streams all the weights.
        // `tileWidth`: channels per tile of the kernel called (NR dense, 8 or 4 colnm).
        const byPixel = P >= 4 * pk.MR && P >= ocG;
        const split = (tileWidth: number) => ({ total: byPixel ? P : Math.ceil(ocG / tileWidth), grain: byPixel ? pk.MR : 1 });
        const epilogue = (tileWidth: number): Arg[] => [
          { weight: bias }, ocG, val(out, gi * ocG * F32), OC, res === undefined ? 0 : val(res, gi * ocG * F32), ...actArgs(act),
          ...(byPixel ? [{ range: 'lo' }, { range: 'hi' }, 0, Math.ceil(ocG / tileWidth)] as Arg[] : [0, P, { range: 'lo' }, { range: 'hi' }] as Arg[]),
          { scratch: true },
        ];
        const geo = [H, W, C, r.outH, r.outW, kh, kw, sh, sw, dh, dw, r.pads[0], r.pads[1], cinG];
        const alts: KernelAlternative[] = [];
        let density = 1;
        if (colnmTile !== undefined) {
          const packed = store.memo(`colnm:${n.inputs[1]}:${gi}`, () => pk.packColNmWeights(wg, ocG, cinG, kh, kw, keptRowsFromZeros(wg, ocG, cinG, kh, kw, colnmTile), colnmTile));
          density = packed.Kt / K;
          scratchBytes = Math.max(scratchBytes, pk.convColNmScratchBytes(packed.Kt, K));
          const values = store.get(`colnm:${n.inputs[1]}`, () => packed.values);
          const index = store.get(`colnmidx:${n.inputs[1]}`, () => packed.index);
          alts.push({ fn: colnmFn, args: [val(x, gi * cinG * F32), ...geo, { weight: values }, { weight: index }, packed.Kt, ...epilogue(colnmTile)], ...split(colnmTile) });
        }
        const wpk = () => store.get(`conv:${n.inputs[1]}:${gi}`, () => pk.packConvWeights(wg, ocG, cinG, kh, kw));
        for (const fn of DENSE_CONV_CANDIDATES) alts.push({ fn, args: [val(x, gi * cinG * F32), ...geo, { weight: wpk() }, ...epilogue(pk.NR)], ...split(pk.NR) });
        const signature = `conv2d:${colnmTile !== undefined ? `colnm:${density.toFixed(3)}` : 'dense'}|N${N} ${H}x${W}x${cinG}->${r.outH}x${r.outW}x${ocG}|k${kh}x${kw} s${sh}x${sw} d${dh}x${dw} p${r.pads.join(',')}|t${threads}`;
        const fallback = colnmTile !== undefined && density <= (colnmTile === 4 ? SPARSE4_MAX_DENSITY : SPARSE_MAX_DENSITY) ? colnmFn : 'conv2d';
        const chosen = alts.find((a) => a.fn === choose(signature, alts.map((a) => a.fn), fallback))!;
        kernel(n, { ...chosen, reads, writes: [out], signature, alternatives: alts, work: P * ocG * K * (chosen.fn === colnmFn && colnmTile !== undefined ? density : 1) });
      }
      return true;
    }

    function lowerGemm(n: NodeOf<'Gemm'>): boolean {
      const bT = constFloat(n.inputs[1]);
      const c = n.inputs[2] ? constFloat(n.inputs[2]) : undefined;
      if (bT === undefined || n.attrs.transA || (n.inputs[2] && c === undefined)) return false;
      const [M, K] = shapeOf(n.inputs[0]!) as [number, number];
      const Nn = shapeOf(out)[1]!;
      if (c !== undefined && !(c.data.length === Nn && (c.shape.length === 1 || c.shape[0] === 1))) return false;
      const wpk = store.get(`gemm:${n.inputs[1]}:${n.attrs.alpha}:${n.attrs.transB}`, () => {
        const scaled = n.attrs.alpha === 1 ? bT.data : bT.data.map((v) => v * n.attrs.alpha);
        return pk.packGemmWeights(scaled, K, Nn, n.attrs.transB);
      });
      const bias = store.get(`gemmb:${n.inputs[2] ?? ''}:${n.attrs.beta}:${Nn}`, () => pk.packBias(c === undefined ? undefined : c.data.map((v) => v * n.attrs.beta), Nn));
      scratchBytes = Math.max(scratchBytes, pk.convScratchBytes(K));
      slot(out);
      const tiles = Math.ceil(Nn / pk.NR);
      kernel(n, {
        fn: 'conv2d',
        args: [val(n.inputs[0]!), 1, 1, K, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, K, { weight: wpk }, { weight: bias }, Nn, val(out), Nn, 0, 0, 0, 0, 0, M, { range: 'lo' }, { range: 'hi' }, { scratch: true }],
        total: tiles, grain: 1, reads: [n.inputs[0]!], writes: [out], work: M * K * Nn,
      });
      return true;
    }

    /** Reference kernel on NCHW copies of the inputs; results written back in the arena layout. */
    function hostStep(n: Node): void {
      const ins = n.inputs.map((v) => (v === '' ? '' : v));
      const live = ins.filter((v) => v !== '' && !g.initializers.has(v));
      for (const o of n.outputs) if (o !== '') slot(o);
      const outTypes = n.outputs.map((o) => types.get(o)!);
      const outs = n.outputs.filter((o) => o !== '');
      const inTypes = ins.map((v) => (v === '' ? undefined : types.get(v)));
      steps.push({
        kind: 'host', node: n.name, op: n.op, reads: live.map(root), writes: outs.map(root),
        run(mem, addr) {
          const inputs = ins.map((v, i): Tensor | undefined => {
            if (v === '') return undefined;
            const c = g.initializers.get(v);
            if (c !== undefined) return c;
            const t = inTypes[i]!;
            return readValue(mem, addr(root(v)), t);
          });
          const results = evalNode(n, inputs, outTypes);
          n.outputs.forEach((o, i) => o !== '' && writeValue(mem, addr(root(o)), results[i]!));
        },
      });
    }
  }
  return { steps, slots, alias, scratchBytes };
}

/**
 * An arena value as a tensor in ONNX layout (NCHW for 4-D), or as it lies in the arena (NHWC, shape
 * [N, H, W, C]) when `nhwc`; float data go into `into` when given (its length is the value's size).
 */
export function readValue(mem: Float32Array, byteAddr: number, t: ValueType, nhwc = false, into?: Float32Array): Tensor {
  const n = sizeOf(t.shape);
  if (t.dtype === 'int64') {
    const src = new BigInt64Array(mem.buffer, mem.byteOffset + byteAddr, n);
    return { dtype: 'int64', shape: t.shape, data: BigInt64Array.from(src) };
  }
  const view = mem.subarray(byteAddr / F32, byteAddr / F32 + n);
  const out = (data: Float32Array): Float32Array => {
    if (into === undefined) return data === view ? view.slice() : data;
    if (data === view) into.set(view);
    return into;
  };
  if (t.shape.length !== 4) return { dtype: 'float32', shape: t.shape, data: out(view) };
  const [b, c, h, w] = t.shape as [number, number, number, number];
  if (nhwc) return { dtype: 'float32', shape: [b, h, w, c], data: out(view) };
  return { dtype: 'float32', shape: t.shape, data: out(nhwcToNchw(view, [b, c, h, w], into)) };
}

/** Writes a tensor in ONNX layout (NCHW for 4-D) to the arena, or one already NHWC ([N, H, W, C]) when `nhwc`. */
export function writeValue(mem: Float32Array, byteAddr: number, t: Tensor, nhwc = false): void {
  if (t.dtype === 'int64') {
    new BigInt64Array(mem.buffer, mem.byteOffset + byteAddr, t.data.length).set(t.data);
    return;
  }
  const dst = mem.subarray(byteAddr / F32, byteAddr / F32 + t.data.length);
  if (t.shape.length === 4 && !nhwc) nchwToNhwc(t.data, t.shape as [number, number, number, number], dst);
  else dst.set(t.data);
}
