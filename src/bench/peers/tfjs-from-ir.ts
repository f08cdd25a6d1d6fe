/**
 * Our graph IR (ONNX semantics, NCHW) rebuilt as a TensorFlow.js network (NHWC), so tfjs backends
 * can run the same model: tfjs cannot read ONNX, and converting through TensorFlow would measure
 * a different graph.
 *
 * The graph is first specialised to the benchmark's input shape with our own passes (constant
 * folding turns exporters' Shape/Gather/Concat subgraphs into constants). Every runtime value of
 * rank 4 is then held in NHWC, everything else in ONNX order; constants are converted to the
 * layout their consumer needs once, here. The translation is what a careful tfjs user would write:
 * BatchNorm folded into the conv before it, Relu/Relu6 fused into the conv (tf.fused.*), explicit
 * padding given to the conv instead of a tf.pad copy wherever tfjs accepts it.
 *
 * `tf` is passed in (the caller imports @tensorflow/tfjs-core dynamically): this file has no
 * runtime dependency on tfjs.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { fail } from '../../errors.js';
import { resolveWindow } from '../../graph/geometry.js';
import { inferShapes } from '../../graph/infer.js';
import type { Graph, Node, NodeOf } from '../../graph/ir.js';
import { fullPads, sliceSpec } from '../../graph/ops/shape-ops.js';
import { runPasses } from '../../graph/passes/index.js';
import { intValues, sizeOf, type FloatTensor, type Tensor } from '../../graph/tensor.js';
import { feedInputs } from '../../runtime/bind.js';

type Tf = typeof TF;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface TfjsNetwork {
  /** ONNX shape of the input the network was built for. */
  readonly inputShape: readonly number[];
  /** ONNX shape of the first graph output. */
  readonly outputShape: readonly number[];
  /** What the translation did (folded BatchNorms, fused activations, tf.pad copies). */
  readonly summary: { readonly nodes: number; readonly steps: number; readonly foldedBatchNorms: number; readonly fusedActivations: number; readonly padCopies: number };
  /** Runs on an NCHW input tensor; returns the first output in ONNX layout (the caller disposes it). */
  run(nchwInput: TF.Tensor): TF.Tensor;
  /** Frees the converted weights. */
  dispose(): void;
}

interface Step {
  /** Runtime values the step reads (for freeing them after their last use). */
  readonly reads: readonly string[];
  readonly output: string;
  readonly fn: (env: ReadonlyMap<string, TF.Tensor>) => TF.Tensor;
}

/** NCHW axis → NHWC axis. */
const NHWC_AXIS = [0, 3, 1, 2] as const;

function unsupported(node: Node, why: string): never {
  fail('UNSUPPORTED', `tfjs translation: node '${node.name}' (${node.op}): ${why}`);
}

/** [n, c, h, w] row-major → [n, h, w, c] row-major. */
function nchwToNhwc(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  const hw = h! * w!;
  for (let b = 0; b < n!; b++) {
    for (let ch = 0; ch < c!; ch++) {
      const src = (b * c! + ch) * hw;
      for (let p = 0; p < hw; p++) out[(b * hw + p) * c! + ch] = data[src + p]!;
    }
  }
  return out;
}

/** Conv weight [cout, cin, kh, kw] → tfjs conv2d filter [kh, kw, cin, cout]. */
function oihwToHwio(w: Float32Array, [co, ci, kh, kw]: readonly number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < co!; o++) {
    for (let i = 0; i < ci!; i++) {
      for (let y = 0; y < kh!; y++) {
        for (let x = 0; x < kw!; x++) out[((y * kw! + x) * ci! + i) * co! + o] = w[((o * ci! + i) * kh! + y) * kw! + x]!;
      }
    }
  }
  return out;
}

/** Depthwise weight [c * m, 1, kh, kw] → tfjs depthwise filter [kh, kw, c, m]. */
function depthwiseFilter(w: Float32Array, c: number, m: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ch = 0; ch < c; ch++) {
    for (let j = 0; j < m; j++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * c + ch) * m + j] = w[((ch * m + j) * kh + y) * kw + x]!;
      }
    }
  }
  return out;
}

/** tfjs's 'same' padding for one axis: [begin, end]. */
function tfSamePads(inSize: number, k: number, s: number, d: number): [number, number] {
  const eff = (k - 1) * d + 1;
  const out = Math.ceil(inSize / s);
  const total = Math.max(0, (out - 1) * s + eff - inSize);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * How to express ONNX pads [top, left, bottom, right] to tfjs: 'valid', 'same', a symmetric number,
 * or explicit per-side padding (conv2d and pools take it; depthwise convs get a tf.pad copy).
 */
function choosePad(pads: readonly [number, number, number, number], h: number, w: number, k: readonly [number, number], s: readonly [number, number], d: readonly [number, number]): Pad {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return 'valid';
  const [st, sb] = tfSamePads(h, k[0], s[0], d[0]);
  const [sl, sr] = tfSamePads(w, k[1], s[1], d[1]);
  if (t === st && b === sb && l === sl && r === sr) return 'same';
  if (t === l && t === b && t === r) return t;
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

export function translateToTfjs(tf: Tf, graph: Graph, inputShape: readonly number[]): TfjsNetwork {
  const feeds = feedInputs(graph);
  if (feeds.length !== 1) fail('UNSUPPORTED', `tfjs translation needs a model with one input, ${graph.name} has ${feeds.length}`);
  const inputName = feeds[0]!.name;
  const bound = new Map([[inputName, [...inputShape]]]);
  const g = runPasses(graph, bound);
  const { types } = inferShapes(g, bound);
  const outputName = g.outputs[0]?.name;
  if (outputName === undefined) fail('UNSUPPORTED', `${graph.name} has no output`);

  const shapeOf = (v: string): readonly number[] => {
    const t = types.get(v);
    if (t === undefined) fail('INVALID_MODEL', `tfjs translation: no shape for '${v}'`);
    return t.shape;
  };
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const x of new Set(n.inputs)) if (x !== '') consumers.set(x, [...(consumers.get(x) ?? []), n]);
  /** The only consumer of `v`, when it has exactly one and is not a graph output. */
  const soleConsumer = (v: string): Node | undefined => {
    const c = consumers.get(v);
    return c?.length === 1 && !graphOutputs.has(v) ? c[0] : undefined;
  };

  const owned: TF.Tensor[] = [];
  const keep = <T extends TF.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const isConst = (v: string) => g.initializers.has(v);
  const constTensor = (node: Node, v: string, what: string): Tensor => {
    const t = g.initializers.get(v);
    if (t === undefined) unsupported(node, `${what} must be a constant`);
    return t;
  };
  const constFloat = (node: Node, v: string, what: string): FloatTensor => {
    const t = constTensor(node, v, what);
    if (t.dtype !== 'float32') unsupported(node, `${what} must be float32`);
    return t;
  };
  /** Identity/Dropout/Cast outputs → the value they pass through (set before any reader, nodes being sorted). */
  const alias = new Map<string, string>();
  const resolve = (v: string): string => alias.get(v) ?? v;
  const scalarCache = new Map<number, TF.Scalar>();
  const scalar = (v: number): TF.Scalar => {
    let s = scalarCache.get(v);
    if (s === undefined) scalarCache.set(v, (s = keep(tf.scalar(v))));
    return s;
  };

  /** Runtime NHWC [n,h,w,c] → ONNX order [n,c,h,w] (a reshape when one side is 1). */
  const toNchw = (t: TF.Tensor, [n, c, h, w]: readonly number[]): TF.Tensor =>
    c === 1 || h! * w! === 1 ? tf.reshape(t, [n!, c!, h!, w!]) : tf.transpose(t, [0, 3, 1, 2]);
  /** Runtime ONNX-order [n,c,h,w] → NHWC. */
  const toNhwc = (t: TF.Tensor, [n, c, h, w]: readonly number[]): TF.Tensor =>
    c === 1 || h! * w! === 1 ? tf.reshape(t, [n!, h!, w!, c!]) : tf.transpose(t, [0, 2, 3, 1]);

  /**
   * An operand of an elementwise op whose output has rank `rank`: constants become tf tensors in
   * the layout the runtime side uses (NHWC when rank is 4), once; runtime values are converted
   * per run only when a lower-rank value meets a rank-4 one.
   */
  const operand = (node: Node, v: string, rank: number): ((env: ReadonlyMap<string, TF.Tensor>) => TF.Tensor) => {
    const shape = shapeOf(v);
    const padded = [...new Array<number>(Math.max(0, rank - shape.length)).fill(1), ...shape];
    if (isConst(v)) {
      const t = constFloat(node, v, `input '${v}'`);
      const c = t.data.length === 1 ? scalar(t.data[0]!) : rank === 4 ? keep(tf.tensor(nchwToNhwc(t.data, padded), [padded[0]!, padded[2]!, padded[3]!, padded[1]!])) : keep(tf.tensor(t.data, [...shape]));
      return () => c;
    }
    const rv = resolve(v);
    if (rank !== 4 || shape.length === 4) return (env) => env.get(rv)!;
    return (env) => toNhwc(tf.reshape(env.get(rv)!, padded), padded);
  };

  const steps: Step[] = [];
  const absorbed = new Set<Node>();
  let foldedBatchNorms = 0;
  let fusedActivations = 0;
  let padCopies = 0;
  const push = (node: Node, reads: readonly string[], output: string, fn: Step['fn']) => {
    const r = reads.filter((x) => x !== '' && !isConst(x)).map(resolve);
    steps.push({ reads: [...new Set(r)], output, fn });
  };
  const rt = (v: string) => resolve(v);

  const conv = (node: NodeOf<'Conv'>) => {
    const [x, wName, bName] = node.inputs as [string, string, string | undefined];
    const xs = shapeOf(x);
    if (xs.length !== 4) unsupported(node, `input must be 4-D, got [${xs.join(',')}]`);
    const [, cin, h, wd] = xs as [number, number, number, number];
    const W = constFloat(node, wName, 'the weight');
    const [cout, cinG, kh, kw] = W.shape as [number, number, number, number];
    const group = node.attrs.group;
    const bias0 = bName !== undefined && bName !== '' ? constFloat(node, bName, 'the bias').data : undefined;
    // BatchNormalization right after the conv (and nothing else reading the conv): fold it in.
    let out = node.outputs[0]!;
    const wdata = Float32Array.from(W.data);
    let bias: Float32Array | undefined = bias0 === undefined ? undefined : Float32Array.from(bias0);
    const bn = soleConsumer(out);
    if (bn?.op === 'BatchNormalization' && bn.inputs[0] === out && bn.inputs.slice(1, 5).every(isConst)) {
      const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((v) => constFloat(bn, v, 'a parameter').data) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const per = W.data.length / cout;
      const b = new Float32Array(cout);
      for (let o = 0; o < cout; o++) {
        const s = gamma[o]! / Math.sqrt(variance[o]! + bn.attrs.epsilon);
        for (let i = 0; i < per; i++) wdata[o * per + i] = W.data[o * per + i]! * s;
        b[o] = ((bias?.[o] ?? 0) - mean[o]!) * s + beta[o]!;
      }
      bias = b;
      absorbed.add(bn);
      foldedBatchNorms++;
      out = bn.outputs[0]!;
    }
    // Relu or Relu6 (Clip 0..6) next: fuse it.
    let activation: 'linear' | 'relu' | 'relu6' = 'linear';
    const act = soleConsumer(out);
    if (act?.op === 'Relu' && act.inputs[0] === out) activation = 'relu';
    else if (act?.op === 'Clip' && act.inputs[0] === out) {
      const [lo, hi] = clipBounds(act);
      if (lo === 0 && hi === 6) activation = 'relu6';
      else if (lo === 0 && hi === Infinity) activation = 'relu';
    }
    if (activation !== 'linear') {
      absorbed.add(act!);
      fusedActivations++;
      out = act!.outputs[0]!;
    }
    const { pads } = resolveWindow(node.attrs, h, wd);
    const k: [number, number] = [kh, kw];
    const strides = node.attrs.strides;
    const dil = node.attrs.dilations;
    let pad = choosePad(pads, h, wd, k, strides, dil);
    const biasT = bias === undefined ? undefined : keep(tf.tensor1d(bias));
    const xIn = rt(x);
    if (group === 1) {
      const filter = keep(tf.tensor4d(oihwToHwio(wdata, W.shape), [kh, kw, cin, cout]));
      const p = pad;
      push(node, [x], out, (env) => tf.fused.conv2d({ x: env.get(xIn) as TF.Tensor4D, filter, strides: [...strides], pad: p, dilations: [...dil], ...(biasT ? { bias: biasT } : {}), activation }));
      return;
    }
    let prePad: [[number, number], [number, number], [number, number], [number, number]] | undefined;
    if (Array.isArray(pad)) {
      prePad = pad;
      pad = 'valid';
      padCopies++;
    }
    const p = pad as 'valid' | 'same' | number;
    if (group === cin && cinG === 1) {
      const m = cout / cin;
      const filter = keep(tf.tensor4d(depthwiseFilter(wdata, cin, m, kh, kw), [kh, kw, cin, m]));
      push(node, [x], out, (env) => {
        const xi = prePad ? tf.pad(env.get(xIn)!, prePad) : env.get(xIn)!;
        return tf.fused.depthwiseConv2d({ x: xi as TF.Tensor4D, filter, strides: [...strides], pad: p, dilations: [...dil], ...(biasT ? { bias: biasT } : {}), activation });
      });
      return;
    }
    // Grouped convolution: one conv2d per group, concatenated along channels.
    const coutG = cout / group;
    const filters = Array.from({ length: group }, (_, gi) => keep(tf.tensor4d(oihwToHwio(wdata.subarray(gi * coutG * cinG * kh * kw, (gi + 1) * coutG * cinG * kh * kw), [coutG, cinG, kh, kw]), [kh, kw, cinG, coutG])));
    const biases = biasT === undefined ? undefined : Array.from({ length: group }, (_, gi) => keep(tf.tensor1d(bias!.subarray(gi * coutG, (gi + 1) * coutG))));
    push(node, [x], out, (env) => {
      const xi = prePad ? tf.pad(env.get(xIn)!, prePad) : env.get(xIn)!;
      const parts = tf.split(xi, group, 3).map((xg, gi) => tf.fused.conv2d({ x: xg as TF.Tensor4D, filter: filters[gi]!, strides: [...strides], pad: p, dilations: [...dil], ...(biases ? { bias: biases[gi]! } : {}), activation }));
      return tf.concat(parts, 3);
    });
  };

  function clipBounds(node: NodeOf<'Clip'>): [number, number] {
    const bound = (i: number, dflt: number) => {
      const v = node.inputs[i];
      if (v === undefined || v === '') return dflt;
      const t = constFloat(node, v, i === 1 ? 'min' : 'max');
      return t.data[0]!;
    };
    return [bound(1, -Infinity), bound(2, Infinity)];
  }

  const pool = (node: NodeOf<'MaxPool' | 'AveragePool'>, max: boolean) => {
    const x = node.inputs[0]!;
    const xs = shapeOf(x);
    if (xs.length !== 4) unsupported(node, `input must be 4-D, got [${xs.join(',')}]`);
    const [, , h, w] = xs as [number, number, number, number];
    const a = node.attrs;
    if (a.dilations.some((d) => d !== 1)) unsupported(node, `dilations [${a.dilations.join(',')}] are not supported by tfjs pooling`);
    const { outH, outW, pads } = resolveWindow(a, h, w);
    const [kh, kw] = a.kernelShape;
    const [sh, sw] = a.strides;
    const [pt, pl, pb, pr] = pads;
    // Extra end padding ceil_mode needs so that a 'valid' window over the padded input gives outH x outW.
    const eb = Math.max(0, (outH - 1) * sh + kh - (h + pt + pb));
    const er = Math.max(0, (outW - 1) * sw + kw - (w + pl + pr));
    const xIn = rt(x);
    const out = node.outputs[0]!;
    const k: [number, number] = [kh, kw];
    const s: [number, number] = [sh, sw];
    const noPad = pt === 0 && pl === 0 && pb === 0 && pr === 0 && eb === 0 && er === 0;
    if (max) {
      if (eb === 0 && er === 0) {
        const p = choosePad(pads, h, w, k, s, [1, 1]);
        push(node, [x], out, (env) => tf.maxPool(env.get(xIn) as TF.Tensor4D, k, s, p));
      } else {
        padCopies++;
        const pp: [number, number][] = [[0, 0], [pt, pb + eb], [pl, pr + er], [0, 0]];
        push(node, [x], out, (env) => tf.maxPool(tf.pad(env.get(xIn)!, pp, -Infinity) as TF.Tensor4D, k, s, 'valid'));
      }
      return;
    }
    if (noPad) {
      push(node, [x], out, (env) => tf.avgPool(env.get(xIn) as TF.Tensor4D, k, s, 'valid'));
      return;
    }
    // Padded average: sum over the zero-padded input, divided by the count ONNX uses (exact for
    // count_include_pad either way, and for ceil_mode overhang, whatever tfjs does with padding).
    padCopies++;
    const pp: [number, number][] = [[0, 0], [pt, pb + eb], [pl, pr + er], [0, 0]];
    const area = kh * kw;
    const maskH = a.countIncludePad ? h + pt + pb : h;
    const maskW = a.countIncludePad ? w + pl + pr : w;
    const maskPads: [number, number][] = a.countIncludePad ? [[0, 0], [0, eb], [0, er], [0, 0]] : pp;
    const counts = tf.tidy(() => tf.mul(tf.avgPool(tf.pad(tf.ones([1, maskH, maskW, 1]), maskPads) as TF.Tensor4D, k, s, 'valid'), area));
    const scale = keep(tf.tidy(() => tf.div(tf.scalar(area), counts)));
    counts.dispose();
    push(node, [x], out, (env) => tf.mul(tf.avgPool(tf.pad(env.get(xIn)!, pp) as TF.Tensor4D, k, s, 'valid'), scale));
  };

  /** Flatten / Reshape / Squeeze / Unsqueeze: through ONNX order, back to NHWC when 4-D. */
  const reshapeLike = (node: Node) => {
    const x = node.inputs[0]!;
    if (isConst(x)) unsupported(node, 'reshaping a constant (constant folding should have removed this node)');
    const inShape = shapeOf(x);
    const out = node.outputs[0]!;
    const outShape = [...shapeOf(out)];
    const xIn = rt(x);
    push(node, [x], out, (env) => {
      let t = env.get(xIn)!;
      if (inShape.length === 4) t = toNchw(t, inShape);
      t = tf.reshape(t, outShape);
      return outShape.length === 4 ? toNhwc(t, outShape) : t;
    });
  };

  const unary = (node: Node, f: (t: TF.Tensor) => TF.Tensor) => {
    const x = node.inputs[0]!;
    if (isConst(x)) unsupported(node, 'a constant input (constant folding should have removed this node)');
    const xIn = rt(x);
    push(node, [x], node.outputs[0]!, (env) => f(env.get(xIn)!));
  };

  for (const node of g.nodes) {
    if (absorbed.has(node)) continue;
    const out = node.outputs[0]!;
    switch (node.op) {
      case 'Conv':
        conv(node);
        break;
      case 'BatchNormalization': {
        const x = node.inputs[0]!;
        const r = shapeOf(x).length;
        if (r !== 4 && r !== 2) unsupported(node, `rank-${r} input (channels must be last in NHWC: rank 2 or 4)`);
        const [gamma, beta, mean, variance] = node.inputs.slice(1, 5).map((v) => keep(tf.tensor1d(constFloat(node, v, 'a parameter').data)));
        const eps = node.attrs.epsilon;
        const xIn = rt(x);
        push(node, [x], out, (env) => tf.batchNorm(env.get(xIn)!, mean!, variance!, beta!, gamma!, eps));
        break;
      }
      case 'Relu':
        unary(node, (t) => tf.relu(t));
        break;
      case 'Clip': {
        const [lo, hi] = clipBounds(node);
        if (lo === 0 && hi === 6) unary(node, (t) => tf.relu6(t));
        else if (lo === 0 && hi === Infinity) unary(node, (t) => tf.relu(t));
        else unary(node, (t) => tf.clipByValue(t, Math.max(lo, -3.4e38), Math.min(hi, 3.4e38)));
        break;
      }
      case 'Sigmoid':
        unary(node, (t) => tf.sigmoid(t));
        break;
      case 'HardSigmoid': {
        const alpha = scalar(node.attrs.alpha);
        const beta = scalar(node.attrs.beta);
        unary(node, (t) => tf.clipByValue(tf.add(tf.mul(t, alpha), beta), 0, 1));
        break;
      }
      case 'HardSwish': {
        // x * relu6(x + 3) / 6
        const three = scalar(3);
        const sixth = scalar(1 / 6);
        unary(node, (t) => tf.mul(t, tf.mul(tf.relu6(tf.add(t, three)), sixth)));
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const rank = shapeOf(out).length;
        const a = operand(node, node.inputs[0]!, rank);
        const b = operand(node, node.inputs[1]!, rank);
        const op = node.op;
        push(node, node.inputs, out, (env) => {
          const [ta, tb] = [a(env), b(env)];
          return op === 'Add' ? tf.add(ta, tb) : op === 'Sub' ? tf.sub(ta, tb) : op === 'Mul' ? tf.mul(ta, tb) : tf.div(ta, tb);
        });
        break;
      }
      case 'GlobalAveragePool':
        if (shapeOf(node.inputs[0]!).length !== 4) unsupported(node, 'input must be 4-D');
        unary(node, (t) => tf.mean(t, [1, 2], true));
        break;
      case 'AveragePool':
        pool(node, false);
        break;
      case 'MaxPool':
        pool(node, true);
        break;
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        reshapeLike(node);
        break;
      case 'Gemm': {
        const [aName, bName, cName] = node.inputs as [string, string, string | undefined];
        const { alpha, beta, transA, transB } = node.attrs;
        if (shapeOf(aName).length !== 2) unsupported(node, 'A must be 2-D');
        const aIn = rt(aName);
        if (!isConst(bName)) {
          const bIn = rt(bName);
          const c = cName !== undefined && cName !== '' ? operand(node, cName, 2) : undefined;
          push(node, [aName, bName, cName ?? ''], out, (env) => {
            let y = tf.matMul(env.get(aIn)!, env.get(bIn)!, transA, transB);
            if (alpha !== 1) y = tf.mul(y, alpha);
            return c ? tf.add(y, beta === 1 ? c(env) : tf.mul(c(env), beta)) : y;
          });
          break;
        }
        const B = constFloat(node, bName, 'B');
        const [r0, r1] = B.shape as [number, number];
        const [k, n] = transB ? [r1, r0] : [r0, r1];
        const bm = new Float32Array(k * n);
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) bm[i * n + j] = alpha * (transB ? B.data[j * k + i]! : B.data[i * n + j]!);
        const bT = keep(tf.tensor2d(bm, [k, n]));
        let bias: TF.Tensor | undefined;
        let addC: ((env: ReadonlyMap<string, TF.Tensor>) => TF.Tensor) | undefined;
        if (cName !== undefined && cName !== '') {
          if (isConst(cName) && sizeOf(shapeOf(cName)) === n && shapeOf(cName)[shapeOf(cName).length - 1] === n) {
            bias = keep(tf.tensor1d(constFloat(node, cName, 'C').data.map((v) => v * beta)));
          } else {
            const c = operand(node, cName, 2);
            addC = (env) => (beta === 1 ? c(env) : tf.mul(c(env), beta));
          }
        }
        push(node, [aName, cName ?? ''], out, (env) => {
          const y = tf.fused.matMul({ a: env.get(aIn)!, b: bT, transposeA: transA, transposeB: false, ...(bias ? { bias } : {}) });
          return addC ? tf.add(y, addC(env)) : y;
        });
        break;
      }
      case 'MatMul': {
        const [aName, bName] = node.inputs as [string, string];
        const ra = shapeOf(aName).length;
        const rb = shapeOf(bName).length;
        if (ra === 4 || rb === 4 || ra < 2 || rb < 2) unsupported(node, `operands of rank ${ra} and ${rb} (only rank 2 and 3, no image-layout operands)`);
        const a = operand(node, aName, ra);
        const b = operand(node, bName, rb);
        push(node, [aName, bName], out, (env) => tf.matMul(a(env), b(env)));
        break;
      }
      case 'Concat': {
        const rank = shapeOf(out).length;
        let axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
        if (rank === 4) axis = NHWC_AXIS[axis]!;
        const parts = node.inputs.map((v) => operand(node, v, rank));
        push(node, node.inputs, out, (env) => tf.concat(parts.map((get) => get(env)), axis));
        break;
      }
      case 'Softmax': {
        const r = shapeOf(node.inputs[0]!).length;
        const axis = node.attrs.axis < 0 ? node.attrs.axis + r : node.attrs.axis;
        if (r === 4 || axis !== r - 1) unsupported(node, `softmax over axis ${node.attrs.axis} of a rank-${r} tensor (only the last axis of a non-image tensor)`);
        unary(node, (t) => tf.softmax(t));
        break;
      }
      case 'Slice': {
        const x = node.inputs[0]!;
        const xs = shapeOf(x);
        const ints = (i: number, what: string) => (node.inputs[i] === undefined || node.inputs[i] === '' ? undefined : intValues(constTensor(node, node.inputs[i]!, what)));
        const spec = sliceSpec(xs, ints(1, 'starts')!, ints(2, 'ends')!, ints(3, 'axes'), ints(4, 'steps'), node.name);
        if (spec.steps.some((s) => s < 0)) unsupported(node, 'negative steps');
        const perm = (a: number[]) => (xs.length === 4 ? [a[0]!, a[2]!, a[3]!, a[1]!] : a);
        const [begin, end, strides] = [perm(spec.starts), perm(spec.ends), perm(spec.steps)];
        unary(node, (t) => tf.stridedSlice(t, begin, end, strides));
        break;
      }
      case 'Pad': {
        const x = node.inputs[0]!;
        const xs = shapeOf(x);
        const r = xs.length;
        const axes = node.inputs[3] === undefined || node.inputs[3] === '' ? undefined : intValues(constTensor(node, node.inputs[3], 'axes'));
        const pads = fullPads(r, intValues(constTensor(node, node.inputs[1]!, 'pads')), axes, node.name);
        if (pads.some((p) => p < 0)) unsupported(node, 'negative pads');
        const cv = node.inputs[2] === undefined || node.inputs[2] === '' ? 0 : constFloat(node, node.inputs[2], 'the constant value').data[0] ?? 0;
        let pairs = xs.map((_, i) => [pads[i]!, pads[i + r]!] as [number, number]);
        if (r === 4) pairs = [pairs[0]!, pairs[2]!, pairs[3]!, pairs[1]!];
        const mode = node.attrs.mode;
        if (mode === 'constant') unary(node, (t) => tf.pad(t, pairs, cv));
        else if (mode === 'reflect') unary(node, (t) => tf.mirrorPad(t, pairs, 'reflect'));
        else unsupported(node, `mode '${mode}' (tfjs has no edge padding)`);
        break;
      }
      case 'Identity':
      case 'Dropout':
        if (isConst(node.inputs[0]!)) unsupported(node, 'a constant input');
        alias.set(out, rt(node.inputs[0]!));
        break;
      case 'Cast':
        if (node.attrs.to !== 'float32' || types.get(node.inputs[0]!)?.dtype !== 'float32') unsupported(node, `a cast to ${node.attrs.to} in the float path`);
        alias.set(out, rt(node.inputs[0]!));
        break;
      case 'Constant':
      case 'Shape':
      case 'Gather':
        unsupported(node, 'not translated to tfjs (a data-dependent shape computation that constant folding could not remove)');
      default:
        unsupported(node, 'not translated to tfjs');
    }
  }

  // Free every runtime value after its last reader (the network input belongs to the caller).
  const finalOut = resolve(outputName);
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => s.reads.forEach((v) => lastUse.set(v, i)));
  const release = steps.map((s, i) => s.reads.filter((v) => lastUse.get(v) === i && v !== finalOut && v !== inputName));
  const outShape = [...shapeOf(outputName)];

  return {
    inputShape: [...inputShape],
    outputShape: outShape,
    summary: { nodes: g.nodes.length, steps: steps.length, foldedBatchNorms, fusedActivations, padCopies },
    run(nchwInput: TF.Tensor): TF.Tensor {
      const env = new Map<string, TF.Tensor>();
      const x = inputShape.length === 4 ? tf.tidy(() => toNhwc(nchwInput, inputShape)) : nchwInput;
      env.set(inputName, x);
      try {
        steps.forEach((s, i) => {
          const y = tf.tidy(() => s.fn(env));
          env.set(s.output, y);
          for (const v of release[i]!) {
            const t = env.get(v);
            env.delete(v);
            if (t !== undefined && t !== y) t.dispose();
          }
        });
        const y = env.get(finalOut);
        if (y === undefined) fail('UNSUPPORTED', `tfjs translation: output '${outputName}' was not computed`);
        if (outShape.length !== 4) {
          env.delete(finalOut);
          return y;
        }
        return tf.tidy(() => toNchw(y, outShape));
      } finally {
        for (const [k, t] of env) if (k !== inputName || x !== nchwInput) t.dispose();
      }
    },
    dispose(): void {
      for (const t of owned) t.dispose();
      owned.length = 0;
    },
  };
}
