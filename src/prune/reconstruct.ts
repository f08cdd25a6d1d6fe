/**
 * Weight reconstruction after pruning: refit what a pruned convolution kept so that, on calibration
 * images, its output matches the dense model's output of the same layer as closely as possible.
 *
 * Pruning zeroes weights (or removes input channels) and leaves the survivors as they were; every
 * layer's output then drifts, and the drift compounds with depth (ResNet-20 at colnm 2:4 falls from
 * 81% to 20% top-1 before any fine-tuning). The kept weights, though, can absorb much of the loss:
 * for one output channel o with kept reduction indices S, the best kept weights in the least-squares
 * sense solve
 *
 *     min over w_S, b   Σ_rows ( y_dense[o] − x_pruned[S]·w_S − b )²
 *
 * where a row is one output pixel of one image, x_pruned its im2col vector in the *pruned* network
 * (so errors of earlier layers are corrected, not only this layer's) and y_dense the dense layer's
 * output there. With G = Σ x xᵀ and c = Σ x y over the rows (x with a trailing 1 for the bias) the
 * solution is (G_SS + λI) w = c_S + λ w_old, a small symmetric positive definite system (|S| ≤ 9·C_in + 1):
 * the layer-wise least-squares reconstruction of channel pruning (He et al., 2017) and of one-shot
 * LLM pruning (SparseGPT/OBC, here without their column-by-column mask search), applied to every
 * sparsity pattern of this library since the mask is read from the zeros. Output channels whose
 * kept sets are equal (a colnm tile) share one Cholesky factorisation.
 *
 * Layers are refit in graph order, each against the pruned network with all earlier refits
 * applied. The zeros and the pruning record are untouched, so the result runs on the same sparse
 * kernels. The ridge term λ‖w − w_old‖² (λ = `damp` times the mean of diag(G_SS)) pulls toward the
 * weights the channel already has: it keeps channels whose calibration inputs are nearly collinear
 * from over-fitting a few hundred images without shrinking them toward zero.
 */
import { fail } from '../errors.js';
import type { ImageBatch } from '../data/cifar10.js';
import { batchTensor } from '../data/preprocess.js';
import { inferShapes } from '../graph/infer.js';
import { FUSION_PASS_NAMES } from '../graph/passes/index.js';
import type { Graph, Model, Node, NodeOf, Preprocessing } from '../graph/ir.js';
import { floatTensor, type FloatTensor, type Tensor } from '../graph/tensor.js';
import { feedInputs } from '../runtime/bind.js';
import { compile } from '../runtime/session.js';
import { toLayout } from '../runtime/wasm/layout.js';
import { readPruningMetadata } from './metadata.js';
import { CALIBRATION_BATCH, PrunedValues } from './calibration.js';
import { accumulate, gatherTargets, newMoments, newSampledTargets, sampledTargetBytes, WasmProducts, type Moments, type ProductsEngine, type SampledTargets } from './moments.js';

export interface ReconstructOptions {
  /** Calibration images, taken from the start of the data (default 256). */
  readonly images?: number;
  /** Ridge weight (toward the current weights) as a fraction of the mean diagonal of the kept Gram block (default 0.01). */
  readonly damp?: number;
  /**
   * Output pixels used per unknown of a group's fit (default 128): layers with more calibration
   * rows than rowsPerWeight · (reduction size + 1) use every t-th pixel of each image.
   * Infinity uses every pixel.
   */
  readonly rowsPerWeight?: number;
  /**
   * Also refit unpruned convs that read pruned ones' outputs, directly or not (default true): they
   * correct the drift they receive (MobileNetV2-CIFAR DCP-BH 70%, where only the depthwise convs
   * are pruned: 66.21% refitting those alone).
   */
  readonly downstream?: boolean;
  /** wasm threads for the calibration passes and the products (default 1). */
  readonly threads?: number;
  /**
   * Where the Gram products run (moments.ts): 'wasm' (default; f32 within chunks of rows, f64
   * across) or 'js' (f64 throughout, several times slower: the oracle).
   */
  readonly products?: ProductsEngine;
  /**
   * Most bytes of dense targets held at once (default 256 MiB). The dense layer outputs at the
   * sampled pixels come from one pass of the dense network per window of consecutive layers whose
   * targets fit this budget, not from a dense prefix recomputed for every layer; a layer larger
   * than the budget gets a window of its own.
   */
  readonly targetCacheBytes?: number;
  /**
   * Most bytes of the pruned network's values held between layers (default 512 MiB; calibration.ts):
   * each conv's input is computed from the values held for the nodes still to run, so every node
   * runs once. Past the budget, each input is computed from the model input (a prefix per layer).
   */
  readonly valueCacheBytes?: number;
  /** Called after each layer is refit (done counts from 1) and once with done = 0 before the first. */
  readonly onLayer?: (done: number, total: number, name: string) => void;
}

export interface LayerReconstruction {
  readonly name: string;
  /**
   * Output error of the layer on the calibration images, relative to the variance of the dense
   * layer's output: Σ (y_dense − y)² / Σ (y_dense − mean)², before and after the refit. Both are
   * measured on the pruned network's inputs with earlier layers already refit.
   */
  readonly errorBefore: number;
  readonly errorAfter: number;
}

export interface ReconstructReport {
  readonly images: number;
  readonly damp: number;
  readonly layers: LayerReconstruction[];
}

type ConvNode = NodeOf<'Conv'>;

function floatInit(g: Graph, name: string | undefined, what: string): FloatTensor {
  const t = name === undefined || name === '' ? undefined : g.initializers.get(name);
  if (t?.dtype !== 'float32') fail('UNSUPPORTED', `reconstruction: ${what} is not a constant float tensor`);
  return t;
}

/** Ops that pass channels through one to one (a channel map found before them holds after them). */
const CHANNELWISE = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'BatchNormalization']);

/**
 * For a conv whose output channels were removed: which dense channel each remaining one is. Filter
 * pruning copies whole filters, so a source conv's rows (weight and bias) equal dense rows exactly;
 * a depthwise conv in the same channel group (its taps may be zeroed by DEPrune) takes the map of
 * the conv that feeds it. Undefined when no map is found.
 */
function channelMap(dense: Graph, pruned: Graph, node: ConvNode, seen = new Set<string>()): Int32Array | undefined {
  if (seen.has(node.name)) return undefined;
  seen.add(node.name);
  const d = dense.nodes.find((n): n is ConvNode => n.op === 'Conv' && n.name === node.name);
  if (d === undefined) return undefined;
  const w = floatInit(pruned, node.inputs[1], `the weight of '${node.name}'`);
  const wd = floatInit(dense, d.inputs[1], `the dense weight of '${node.name}'`);
  const OC = w.shape[0]!, OCd = wd.shape[0]!;
  const k = w.data.length / OC;
  const bias = (node.inputs[2] ?? '') !== '' ? floatInit(pruned, node.inputs[2], 'a bias').data : undefined;
  const biasD = (d.inputs[2] ?? '') !== '' ? floatInit(dense, d.inputs[2], 'a bias').data : undefined;
  if (k === wd.data.length / OCd) {
    // Rows are matched by value: a hash of each row's bits picks the candidates, an exact compare decides
    // (string keys of every row were 3% of MobileNetV2 reconstruction).
    // −0 hashes as +0 (they compare equal).
    const bits = (u: Uint32Array, i: number): number => (u[i] === 0x80000000 ? 0 : u[i]!);
    const hash = (data: Float32Array, b: Float32Array | undefined, o: number): number => {
      const u = new Uint32Array(data.buffer, data.byteOffset + o * k * 4, k);
      let h = 2166136261;
      for (let i = 0; i < k; i++) h = Math.imul(h ^ bits(u, i), 16777619);
      return Math.imul(h ^ (b === undefined ? 0 : bits(new Uint32Array(b.buffer, b.byteOffset + o * 4, 1), 0)), 16777619) >>> 0;
    };
    const same = (o: number, j: number): boolean => {
      if ((bias?.[o] ?? 0) !== (biasD?.[j] ?? 0)) return false;
      for (let i = 0; i < k; i++) if (w.data[o * k + i] !== wd.data[j * k + i]) return false;
      return true;
    };
    const free = new Map<number, number[]>();
    for (let j = 0; j < OCd; j++) {
      const h = hash(wd.data, biasD, j);
      const list = free.get(h);
      if (list === undefined) free.set(h, [j]);
      else list.push(j);
    }
    const map = new Int32Array(OC);
    let ok = true;
    for (let o = 0; o < OC && ok; o++) {
      const list = free.get(hash(w.data, bias, o));
      const at = list?.findIndex((j) => same(o, j)) ?? -1;
      if (at < 0) ok = false;
      else map[o] = list!.splice(at, 1)[0]!;
    }
    if (ok) return map;
  }
  if (node.attrs.group !== OC) return undefined;
  // Depthwise: walk back through channel-wise ops to the conv whose channels it filters.
  let v = node.inputs[0]!;
  for (;;) {
    const p = pruned.nodes.find((n) => n.outputs.includes(v));
    if (p === undefined) return undefined;
    if (p.op === 'Conv') {
      const m = channelMap(dense, pruned, p, seen);
      return m?.length === OC ? m : undefined;
    }
    if (!CHANNELWISE.has(p.op)) return undefined;
    v = p.inputs[0]!;
  }
}

interface Target {
  readonly node: ConvNode;
  readonly denseNode: ConvNode;
  /** Dense output channel of each output channel, when channels were removed. */
  readonly map?: Int32Array;
}

/**
 * Convs of `pruned` to refit: those the pruning record names or whose input channels were removed,
 * with a dense conv of the same name whose output channels they can be matched to.
 */
function targets(dense: Model, pruned: Model, downstream: boolean): Target[] {
  const record = readPruningMetadata(pruned);
  const byName = new Map<string, ConvNode>();
  for (const n of dense.graph.nodes) if (n.op === 'Conv') byName.set(n.name, n);
  const uses = new Map<string, number>();
  for (const n of pruned.graph.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  // Values that differ from the dense model's: outputs of changed convs and everything they feed
  // (nodes are in topological order).
  const drifted = new Set<string>();
  const out: Target[] = [];
  for (const n of pruned.graph.nodes) {
    const fed = n.inputs.some((i) => drifted.has(i));
    if (n.op !== 'Conv') {
      if (fed) for (const o of n.outputs) drifted.add(o);
      continue;
    }
    const d = byName.get(n.name);
    const w = floatInit(pruned.graph, n.inputs[1], `the weight of '${n.name}'`);
    const wd = d === undefined ? undefined : floatInit(dense.graph, d.inputs[1], `the dense weight of '${n.name}'`);
    const changed = record[n.name] !== undefined || wd === undefined || w.shape[1] !== wd.shape[1];
    if (changed || fed) for (const o of n.outputs) drifted.add(o);
    if (d === undefined || wd === undefined) continue;
    if (!changed && !(downstream && fed)) continue;
    // A weight two convs share cannot be fit to either alone.
    if (uses.get(n.inputs[1]!)! > 1 || ((n.inputs[2] ?? '') !== '' && uses.get(n.inputs[2]!)! > 1)) continue;
    if (w.shape[0] === wd.shape[0]) out.push({ node: n, denseNode: d });
    else {
      const map = channelMap(dense.graph, pruned.graph, n);
      if (map !== undefined) out.push({ node: n, denseNode: d, map });
    }
  }
  return out;
}

/** Solves (A) z = b in place for each right-hand side, A symmetric positive definite (Cholesky, f64). */
function choleskySolve(a: Float64Array, m: number, rhs: Float64Array[]): boolean {
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j]!;
    for (let k = 0; k < j; k++) d -= a[j * m + k]! * a[j * m + k]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j]!;
      for (let k = 0; k < j; k++) s -= a[i * m + k]! * a[j * m + k]!;
      a[i * m + j] = s / ljj;
    }
  }
  for (const b of rhs) {
    for (let i = 0; i < m; i++) {
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= a[i * m + k]! * b[k]!;
      b[i] = s / a[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = b[i]!;
      for (let k = i + 1; k < m; k++) s -= a[k * m + i]! * b[k]!;
      b[i] = s / a[i * m + i]!;
    }
  }
  return true;
}

/**
 * Σ (y − xᵀw)² over the rows of output channel `oc`, from the moments: Σy² − 2 wᵀc + wᵀ G w, with
 * `sub` the kept block of G (m × m, full) and `c` its cross-moments. O(m²/2) with contiguous reads: it
 * runs twice per output channel and, for a wide projection (m ≈ 960), was a tenth of reconstruction
 * when it indexed the packed upper triangle.
 */
function residual(y2: number, sub: Float64Array, c: ArrayLike<number>, w: ArrayLike<number>, m: number): number {
  let quad = 0, lin = 0;
  for (let i = 0; i < m; i++) {
    const wi = w[i]!;
    const row = i * m;
    let s = 0;
    for (let j = 0; j < i; j++) s += sub[row + j]! * w[j]!;
    quad += wi * (2 * s + sub[row + i]! * wi);
    lin += wi * c[i]!;
  }
  return Math.max(y2 - 2 * lin + quad, 0);
}

/** Refits one conv's kept weights and bias from its moments; returns the new tensors and the relative errors. */
function refit(mo: Moments, conv: ConvNode, w: FloatTensor, bias: Float32Array, damp: number): { weight: Float32Array; bias: Float32Array; before: number; after: number } {
  const [OC] = w.shape as [number];
  const G = conv.attrs.group;
  const ocg = OC / G, k = mo.k1 - 1;
  const weight = Float32Array.from(w.data);
  const outBias = Float32Array.from(bias);
  let errBefore = 0, errAfter = 0, variance = 0;
  for (let g = 0; g < G; g++) {
    // Output channels of this group by kept set: a colnm tile's channels share one factorisation.
    const bySet = new Map<string, { idx: number[]; outs: number[] }>();
    for (let o = 0; o < ocg; o++) {
      const oc = g * ocg + o;
      const idx: number[] = [];
      for (let r = 0; r < k; r++) if (w.data[oc * k + r] !== 0) idx.push(r);
      idx.push(k);
      const key = idx.join(',');
      const e = bySet.get(key);
      if (e === undefined) bySet.set(key, { idx, outs: [o] });
      else e.outs.push(o);
    }
    const gram = mo.gram[g]!, cross = mo.cross[g]!, k1 = mo.k1;
    for (const { idx, outs } of bySet.values()) {
      const m = idx.length;
      // The kept block of G, full (G is stored as its upper triangle); the system is this plus the ridge.
      const sub = new Float64Array(m * m);
      let diag = 0;
      for (let i = 0; i < m; i++) {
        const gi = idx[i]! * k1;
        for (let j = i; j < m; j++) {
          const v = gram[gi + idx[j]!]!;
          sub[i * m + j] = v;
          sub[j * m + i] = v;
        }
        if (i < m - 1) diag += sub[i * m + i]!;
      }
      const a = Float64Array.from(sub);
      const lambda = damp * (m > 1 ? diag / (m - 1) : 1) + 1e-12;
      for (let i = 0; i < m - 1; i++) a[i * m + i]! += lambda;
      const crossOf = outs.map((o) => Float64Array.from(idx, (r) => cross[r * ocg + o]!));
      // The ridge pulls toward the weights the channel has (not toward zero): λ‖w − w_pruned‖².
      const rhs = outs.map((o, t) => Float64Array.from(idx, (r, i) => crossOf[t]![i]! + (i < m - 1 ? lambda * w.data[(g * ocg + o) * k + r]! : 0)));
      const ok = choleskySolve(a, m, rhs);
      outs.forEach((o, t) => {
        const oc = g * ocg + o;
        const old = [...idx.slice(0, -1).map((r) => w.data[oc * k + r]!), bias[oc]!];
        const eOld = residual(mo.y2[oc]!, sub, crossOf[t]!, old, m);
        const mean = mo.y1[oc]! / mo.rows;
        const v = Math.max(mo.y2[oc]! - mo.rows * mean * mean, 0);
        variance += v;
        errBefore += eOld;
        const z = rhs[t]!;
        const eNew = ok && z.every(Number.isFinite) ? residual(mo.y2[oc]!, sub, crossOf[t]!, z, m) : Infinity;
        // Keep the pruned weights where the refit does not help (only possible through the ridge term).
        if (eNew < eOld) {
          idx.slice(0, -1).forEach((r, i) => (weight[oc * k + r] = z[i]!));
          outBias[oc] = z[m - 1]!;
          errAfter += eNew;
        } else errAfter += eOld;
      });
    }
  }
  const denom = Math.max(variance, 1e-30);
  return { weight, bias: outBias, before: errBefore / denom, after: errAfter / denom };
}

/** The model cut down to what computes `values` (dead-code elimination drops the rest when it compiles). */
function upTo(model: Model, values: ReadonlyMap<string, readonly number[]>): Model {
  const outputs = [...values].map(([name, shape]) => ({ name, dtype: 'float32' as const, shape: ['batch', ...shape.slice(1)] }));
  return { ...model, graph: { ...model.graph, outputs } };
}

/** A layer to refit with what its dense targets need. */
interface Planned extends Target {
  readonly k1: number;
  /** Every how many output pixels a row is taken. */
  readonly every: number;
  /** Dense output shape, NCHW with batch 1. */
  readonly yShape: readonly number[];
  readonly bytes: number;
}

/** One pass of the dense network over the calibration images: each layer's outputs at its sampled pixels. */
async function denseTargets(dense: Model, input: string, window: readonly Planned[], data: ImageBatch, pre: Preprocessing, images: number, threads: number): Promise<SampledTargets[]> {
  const outputs = new Map(window.map((p) => [p.denseNode.outputs[0]!, p.yShape] as const));
  const out = window.map((p) => newSampledTargets(images, p.yShape[1]!, p.yShape[2]!, p.yShape[3]!, p.every));
  const ds = await compile(upTo(dense, outputs), { backend: 'wasm', threads, disablePasses: FUSION_PASS_NAMES });
  // Only sampled pixels are kept: each output goes into one buffer reused by every full batch.
  const full = new Map([...outputs].map(([name, shape]) => [name, new Float32Array(CALIBRATION_BATCH * shape.slice(1).reduce((a, d) => a * d, 1))] as const));
  try {
    for (let start = 0; start < images; start += CALIBRATION_BATCH) {
      const n = Math.min(CALIBRATION_BATCH, images - start);
      const into = n === CALIBRATION_BATCH ? Object.fromEntries(full) : undefined;
      const r = await ds.run({ [input]: toLayout(batchTensor(data, start, n, pre), 'nhwc') }, { layout: 'nhwc', ...(into ? { into } : {}) });
      for (const [i, p] of window.entries()) {
        const y = r[p.denseNode.outputs[0]!]!;
        if (y.dtype !== 'float32') fail('INVALID_MODEL', 'reconstruction: calibration values are not float32');
        gatherTargets(out[i]!, y, start);
      }
    }
  } finally {
    ds.dispose();
  }
  return out;
}

/**
 * Refits the kept weights (and biases) of every pruned conv of `pruned` against `dense`, the model
 * it was pruned from, on the first `images` images of `data`. Zeros stay zero; the pruning record
 * is kept. A pruned conv without a bias gets one.
 */
export async function reconstructPruned(dense: Model, pruned: Model, data: ImageBatch, pre: Preprocessing, opts: ReconstructOptions = {}): Promise<{ model: Model; report: ReconstructReport }> {
  const images = Math.min(opts.images ?? 256, data.count);
  const damp = opts.damp ?? 0.01;
  const rowsPerWeight = opts.rowsPerWeight ?? 128;
  if (!(rowsPerWeight > 0)) fail('INVALID_ARGUMENT', `reconstruction: rowsPerWeight must be positive, got ${rowsPerWeight}`);
  if (!(images > 0)) fail('INVALID_ARGUMENT', 'reconstruction needs at least one calibration image');
  if (opts.products !== undefined && opts.products !== 'wasm' && opts.products !== 'js') fail('INVALID_ARGUMENT', `reconstruction: products must be 'wasm' or 'js', got '${String(opts.products)}'`);
  if (!(damp >= 0) || !Number.isFinite(damp)) fail('INVALID_ARGUMENT', `reconstruction: damp must be a non-negative number, got ${damp}`);
  const din = feedInputs(dense.graph)[0]!, pin = feedInputs(pruned.graph)[0]!;
  const chw = pin.shape.slice(1);
  if (din.shape.slice(1).join() !== chw.join()) fail('INVALID_ARGUMENT', `reconstruction: the dense model's input ${din.shape.join('x')} differs from the pruned model's ${pin.shape.join('x')}`);
  const cacheBytes = opts.targetCacheBytes ?? 256 * 2 ** 20;
  if (!(cacheBytes > 0)) fail('INVALID_ARGUMENT', `reconstruction: targetCacheBytes must be positive, got ${cacheBytes}`);
  const threads = opts.threads ?? 1;
  // Refits change values, never shapes: one shape inference per model serves every layer.
  const pTypes = inferShapes(pruned.graph, new Map([[pin.name, [1, ...(chw as number[])]]])).types;
  const dTypes = inferShapes(dense.graph, new Map([[din.name, [1, ...(chw as number[])]]])).types;
  const list: Planned[] = targets(dense, pruned, opts.downstream ?? true).map((t) => {
    const [, cg, kh, kw] = floatInit(pruned.graph, t.node.inputs[1], `the weight of '${t.node.name}'`).shape as [number, number, number, number];
    const k1 = cg * kh * kw + 1;
    const yShape = dTypes.get(t.denseNode.outputs[0]!)!.shape as number[];
    const plane = yShape[2]! * yShape[3]!;
    // Rows beyond rowsPerWeight per unknown add little (neighbouring pixels are alike) and cost k1² each.
    const every = Math.max(1, Math.floor((images * plane) / (rowsPerWeight * k1)));
    return { ...t, k1, every, yShape, bytes: sampledTargetBytes(images, yShape[1]!, plane, every) };
  });
  const valueBytes = opts.valueCacheBytes ?? 512 * 2 ** 20;
  if (!(valueBytes >= 0)) fail('INVALID_ARGUMENT', `reconstruction: valueCacheBytes must be a non-negative number, got ${valueBytes}`);
  const values = new PrunedValues(pin.name, data, pre, images, pTypes, threads, valueBytes);
  const layers: LayerReconstruction[] = [];
  const products = (opts.products ?? 'wasm') === 'wasm' ? await WasmProducts.start(threads) : undefined;
  let model = pruned;
  try {
    opts.onLayer?.(0, list.length, list[0]?.node.name ?? '');
    for (let first = 0; first < list.length; ) {
      let end = first + 1, bytes = list[first]!.bytes;
      while (end < list.length && bytes + list[end]!.bytes <= cacheBytes) bytes += list[end++]!.bytes;
      const window = list.slice(first, end);
      const cached = await denseTargets(dense, din.name, window, data, pre, images, threads);
      for (const [i, { node, map, k1 }] of window.entries()) {
        const g = model.graph;
        const xName = node.inputs[0]!;
        const w = floatInit(g, node.inputs[1], `the weight of '${node.name}'`);
        const OC = w.shape[0]!;
        const hasBias = (node.inputs[2] ?? '') !== '';
        const bias = hasBias ? floatInit(g, node.inputs[2], `the bias of '${node.name}'`).data : new Float32Array(OC);
        const mo = newMoments(k1, node.attrs.group, OC);
        await values.forEachBatch(model, xName, (xp, start) => accumulate(mo, node, xp, cached[i]!, map, start, products));
        const r = refit(mo, node, w, bias, damp);
        const inits = new Map<string, Tensor>(g.initializers);
        inits.set(node.inputs[1]!, floatTensor(w.shape, r.weight));
        let nodes = g.nodes;
        if (hasBias) inits.set(node.inputs[2]!, floatTensor([OC], r.bias));
        else {
          const name = `${node.name}.bias_reconstructed`;
          inits.set(name, floatTensor([OC], r.bias));
          nodes = g.nodes.map((n): Node => (n === node ? { ...node, inputs: [node.inputs[0]!, node.inputs[1]!, name] } : n));
        }
        model = { ...model, graph: { ...g, nodes, initializers: inits } };
        layers.push({ name: node.name, errorBefore: r.before, errorAfter: r.after });
        opts.onLayer?.(first + i + 1, list.length, node.name);
      }
      first = end;
    }
  } finally {
    products?.dispose();
  }
  return { model, report: { images, damp, layers } };
}
