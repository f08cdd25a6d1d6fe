/**
 * GraphBuilder: a small fluent API for writing model architectures as code (the zoo), producing
 * the same graph IR an ONNX import produces. Weights come from a WeightSource when one is given
 * (pretrained files) and are drawn from a seeded Rng otherwise.
 */
import { fail } from '../errors.js';
import { NO_ATTRS, type ConvAttrs, type OpAttrs, type OpType, type PoolAttrs } from '../graph/attrs.js';
import type { Dim, Graph, Node, ValueInfo } from '../graph/ir.js';
import { floatTensor, intTensor, sameShape, type FloatTensor, type Tensor } from '../graph/tensor.js';
import { topoSort, validateGraph } from '../graph/validate.js';
import { Rng } from './rng.js';

/** Supplies pretrained parameters in the order the builder asks for them. */
export interface WeightSource {
  /** Weight and optional bias of the next Conv/Gemm; `name` is the builder's name for the layer. */
  next(kind: 'Conv' | 'Gemm', name: string, weightShape: readonly number[], biasShape: readonly number[] | undefined): { weight: FloatTensor; bias?: FloatTensor };
}

export interface ConvOptions {
  readonly kernel: number;
  readonly stride?: number;
  /** Symmetric padding; default (kernel - 1) / 2 ("same" for odd kernels at stride 1). */
  readonly pad?: number;
  readonly groups?: number;
  readonly dilation?: number;
  readonly bias?: boolean;
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inits = new Map<string, Tensor>();
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly shapes = new Map<string, number[]>();
  private readonly used = new Set<string>();
  readonly rng: Rng;

  constructor(readonly name: string, seed: number, private readonly weights?: WeightSource) {
    this.rng = new Rng(seed);
  }

  /** A fresh value/node name built from `base` (scope-style names, e.g. 'layer1.0.conv1'). */
  unique(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** Channels of a value produced by this builder (shapes tracked at batch 1). */
  channels(x: string): number {
    return this.shapeOf(x)[1]!;
  }

  shapeOf(x: string): number[] {
    const s = this.shapes.get(x);
    if (s === undefined) throw new Error(`internal error: unknown value '${x}'`);
    return s;
  }

  input(name: string, shape: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push({ name, dtype: 'float32', shape });
    this.shapes.set(name, shape.map((d) => (typeof d === 'number' ? d : 1)));
    return name;
  }

  /** Marks `x` as a graph output called `name` (the producing node's output is renamed). */
  output(x: string, name: string): void {
    const shape = this.shapeOf(x);
    if (x !== name) {
      if (this.used.has(name)) throw new Error(`internal error: output name '${name}' is taken`);
      this.used.add(name);
      const rename = (v: string) => (v === x ? name : v);
      for (let i = 0; i < this.nodes.length; i++) {
        const n = this.nodes[i]!;
        if (n.outputs.includes(x) || n.inputs.includes(x)) this.nodes[i] = { ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) } as Node;
      }
      this.shapes.set(name, shape);
    }
    this.outputs.push({ name, dtype: 'float32', shape: ['batch', ...shape.slice(1)] });
  }

  param(name: string, t: Tensor): string {
    const n = this.unique(name);
    this.inits.set(n, t);
    return n;
  }

  /** Adds one node with one output of the given (batch-1) shape. */
  add1<O extends OpType>(op: O, inputs: readonly string[], attrs: OpAttrs[O], name: string, shape: readonly number[], outName?: string): string {
    const nodeName = this.unique(name);
    const out = outName ?? this.unique(`${nodeName}_output`);
    this.nodes.push({ name: nodeName, op, inputs: [...inputs], outputs: [out], attrs } as Node);
    this.shapes.set(out, [...shape]);
    return out;
  }

  conv(x: string, cout: number, o: ConvOptions, name: string): string {
    const [, cin, h, w] = this.shapeOf(x) as [number, number, number, number];
    const k = o.kernel;
    const s = o.stride ?? 1;
    const d = o.dilation ?? 1;
    const p = o.pad ?? Math.floor(((k - 1) * d) / 2);
    const g = o.groups ?? 1;
    if (cin % g !== 0 || cout % g !== 0) throw new Error(`internal error: ${name}: groups ${g} vs ${cin}->${cout}`);
    const wShape = [cout, cin / g, k, k];
    const { weight, bias } = this.params('Conv', name, wShape, o.bias === true ? [cout] : undefined, Math.sqrt(2 / ((cin / g) * k * k)));
    const attrs: ConvAttrs = { group: g, kernelShape: [k, k], strides: [s, s], dilations: [d, d], pads: [p, p, p, p], autoPad: 'NOTSET' };
    const ins = [x, this.param(`${name}.weight`, weight)];
    if (bias !== undefined) ins.push(this.param(`${name}.bias`, bias));
    const oh = Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1;
    const ow = Math.floor((w + 2 * p - d * (k - 1) - 1) / s) + 1;
    return this.add1('Conv', ins, attrs, name, [1, cout, oh, ow]);
  }

  /**
   * Inference BatchNorm with plausible random statistics. `gamma` scales the output (residual
   * branches use a small one so random deep nets keep activations in range, as zero-init residual
   * training does).
   */
  batchNorm(x: string, name: string, gamma = 1, epsilon = 1e-5): string {
    const c = this.channels(x);
    const r = this.rng;
    const ins = [
      x,
      this.param(`${name}.weight`, floatTensor([c], r.uniformArray(c, 0.8 * gamma, 1.2 * gamma))),
      this.param(`${name}.bias`, floatTensor([c], r.uniformArray(c, -0.1, 0.1))),
      this.param(`${name}.running_mean`, floatTensor([c], r.uniformArray(c, -0.1, 0.1))),
      this.param(`${name}.running_var`, floatTensor([c], r.uniformArray(c, 0.8, 1.2))),
    ];
    return this.add1('BatchNormalization', ins, { epsilon, momentum: 0.9 }, name, this.shapeOf(x));
  }

  relu(x: string, name: string): string {
    return this.add1('Relu', [x], NO_ATTRS, name, this.shapeOf(x));
  }

  /** ReLU6 = Clip(x, 0, 6), as exporters write it. */
  relu6(x: string, name: string): string {
    const lo = this.param(`${name}.min`, floatTensor([], [0]));
    const hi = this.param(`${name}.max`, floatTensor([], [6]));
    return this.add1('Clip', [x, lo, hi], NO_ATTRS, name, this.shapeOf(x));
  }

  sigmoid(x: string, name: string): string {
    return this.add1('Sigmoid', [x], NO_ATTRS, name, this.shapeOf(x));
  }

  hardSigmoid(x: string, name: string, alpha = 1 / 6, beta = 0.5): string {
    return this.add1('HardSigmoid', [x], { alpha, beta }, name, this.shapeOf(x));
  }

  hardSwish(x: string, name: string): string {
    return this.add1('HardSwish', [x], NO_ATTRS, name, this.shapeOf(x));
  }

  /** SiLU / Swish = x * sigmoid(x): two nodes, as ONNX exporters emit it. */
  silu(x: string, name: string): string {
    return this.mul(x, this.sigmoid(x, `${name}.sigmoid`), `${name}.mul`);
  }

  add(a: string, b: string, name: string): string {
    return this.add1('Add', [a, b], NO_ATTRS, name, broadcast(this.shapeOf(a), this.shapeOf(b)));
  }

  mul(a: string, b: string, name: string): string {
    return this.add1('Mul', [a, b], NO_ATTRS, name, broadcast(this.shapeOf(a), this.shapeOf(b)));
  }

  globalAvgPool(x: string, name: string): string {
    const [n, c] = this.shapeOf(x);
    return this.add1('GlobalAveragePool', [x], NO_ATTRS, name, [n!, c!, 1, 1]);
  }

  pool(op: 'MaxPool' | 'AveragePool', x: string, kernel: number, stride: number, pad: number, name: string): string {
    const [n, c, h, w] = this.shapeOf(x) as [number, number, number, number];
    const attrs: PoolAttrs = { kernelShape: [kernel, kernel], strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad], autoPad: 'NOTSET', ceilMode: false, countIncludePad: false };
    const out = (v: number) => Math.floor((v + 2 * pad - kernel) / stride) + 1;
    return this.add1(op, [x], attrs, name, [n, c, out(h), out(w)]);
  }

  flatten(x: string, name: string): string {
    const s = this.shapeOf(x);
    return this.add1('Flatten', [x], { axis: 1 }, name, [s[0]!, s.slice(1).reduce((a, b) => a * b, 1)]);
  }

  /** Fully connected layer as Gemm(transB=1), PyTorch's Linear layout [out, in]. */
  linear(x: string, cout: number, name: string): string {
    const [n, cin] = this.shapeOf(x) as [number, number];
    const { weight, bias } = this.params('Gemm', name, [cout, cin], [cout], 1 / Math.sqrt(cin));
    const ins = [x, this.param(`${name}.weight`, weight), this.param(`${name}.bias`, bias!)];
    return this.add1('Gemm', ins, { alpha: 1, beta: 1, transA: false, transB: true }, name, [n, cout]);
  }

  /** Slice with constant starts/ends/axes/steps (int64 initializers, as exporters write them). */
  slice(x: string, starts: number[], ends: number[], axes: number[], steps: number[], name: string, outShape: number[]): string {
    const c = (suffix: string, v: number[]) => this.param(`${name}.${suffix}`, intTensor([v.length], v.map((e) => (Number.isSafeInteger(e) ? BigInt(e) : 9223372036854775807n))));
    return this.add1('Slice', [x, c('starts', starts), c('ends', ends), c('axes', axes), c('steps', steps)], NO_ATTRS, name, outShape);
  }

  /** Constant-mode Pad; pads in ONNX order [begins..., ends...]. */
  pad(x: string, pads: number[], name: string): string {
    const s = this.shapeOf(x);
    const r = s.length;
    const p = this.param(`${name}.pads`, intTensor([pads.length], pads));
    const v = this.param(`${name}.value`, floatTensor([], [0]));
    return this.add1('Pad', [x, p, v], { mode: 'constant' }, name, s.map((d, i) => d + pads[i]! + pads[i + r]!));
  }

  private params(kind: 'Conv' | 'Gemm', name: string, wShape: number[], bShape: number[] | undefined, std: number): { weight: FloatTensor; bias?: FloatTensor } {
    if (this.weights !== undefined) {
      const got = this.weights.next(kind, name, wShape, bShape);
      if (!sameShape(got.weight.shape, wShape)) fail('INVALID_MODEL', `pretrained weights do not fit ${this.name}: ${name} needs weight [${wShape.join(',')}], the file has [${got.weight.shape.join(',')}]`);
      if (bShape !== undefined && (got.bias === undefined || !sameShape(got.bias.shape, bShape))) fail('INVALID_MODEL', `pretrained weights do not fit ${this.name}: ${name} needs bias [${bShape.join(',')}]`);
      return got;
    }
    const n = wShape.reduce((a, b) => a * b, 1);
    const weight = floatTensor(wShape, this.rng.normalArray(n, std));
    return bShape === undefined ? { weight } : { weight, bias: floatTensor(bShape, this.rng.uniformArray(bShape[0]!, -0.05, 0.05)) };
  }

  build(): Graph {
    const available = new Set([...this.inits.keys(), ...this.inputs.map((i) => i.name)]);
    const graph: Graph = { name: this.name, inputs: this.inputs, outputs: this.outputs, initializers: this.inits, nodes: topoSort(this.nodes, available) };
    validateGraph(graph);
    return graph;
  }
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => Math.max(a[a.length - r + i] ?? 1, b[b.length - r + i] ?? 1));
}
