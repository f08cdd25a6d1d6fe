/**
 * Single-op (and tiny multi-op) conformance cases, written once as data. Each case builds a raw
 * ONNX ModelProto with `onnx-proto` directly (never through our exporter), so a case checks the
 * importer, shape inference and a backend against what the ONNX file means, not against what we
 * would have written. The runner (conformance.test.ts) is generic: any backend that turns ONNX
 * bytes plus feeds into outputs can be run over CONFORMANCE_CASES.
 *
 * Conventions: graph inputs 'x' (and 'x2', ...), output 'y'; constant operands (weights, Slice
 * bounds, pads, shapes, Clip bounds) are initializers; float initializers use raw_data unless the
 * case stores them in float_data (both import paths are exercised).
 */
import onnxProto from 'onnx-proto';
import { floatTensor, type FloatTensor } from '../src/graph/tensor.js';

const onnx = onnxProto.onnx;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
const AT = onnx.AttributeProto.AttributeType;
const DT = onnx.TensorProto.DataType;

export interface ConformanceCase {
  /** Test title prefix: says which op and which form of it. */
  readonly name: string;
  /** The raw ONNX file. */
  build(): Uint8Array;
  readonly feeds: Record<string, FloatTensor>;
  /** Graph output to compare (default 'y'). */
  readonly output?: string;
  /** Ops that must be gone from the compiled graph for these feeds' shapes (constant folding). */
  readonly foldedAway?: readonly string[];
  /**
   * When our exporter knowingly cannot write this model, the error code it must raise instead
   * (the export round trip then checks that refusal rather than onnxruntime parity).
   */
  readonly exportRefusal?: 'UNSUPPORTED';
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

/** mulberry32: a tiny seeded generator, identical on every platform. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi) from `seed`. */
export function seeded(shape: readonly number[], seed: number, lo = -1, hi = 1): FloatTensor {
  const r = rng(seed);
  const t = floatTensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = lo + (hi - lo) * r();
  return t;
}

/** Activation-style input: spans [-8, 8) so ReLU, ReLU6/Clip and HardSwish both clip. */
const wide = (shape: readonly number[], seed: number) => seeded(shape, seed, -8, 8);
/** Weight-style values. */
const wts = (shape: readonly number[], seed: number) => seeded(shape, seed, -0.5, 0.5);

// ---------------------------------------------------------------------------------------------
// A small raw-ONNX builder

type Dim = number | string;

const attr = {
  int: (name: string, i: number): IAttributeProto => ({ name, type: AT.INT, i }),
  ints: (name: string, ints: number[]): IAttributeProto => ({ name, type: AT.INTS, ints }),
  float: (name: string, f: number): IAttributeProto => ({ name, type: AT.FLOAT, f }),
  str: (name: string, s: string): IAttributeProto => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: ITensorProto): IAttributeProto => ({ name, type: AT.TENSOR, t }),
};

/** A node; named after its first output unless a name is given ('' for an unnamed node). */
function node(opType: string, input: string[], output: string[], attribute: IAttributeProto[] = [], name?: string): INodeProto {
  return { name: name ?? `${opType}_${output[0]}`, opType, domain: '', input, output, attribute };
}

/** A float32 initializer, as raw_data (default) or float_data. */
function floatInit(name: string, t: FloatTensor, as: 'raw' | 'floatData' = 'raw'): ITensorProto {
  const base = { name, dims: [...t.shape], dataType: DT.FLOAT };
  if (as === 'floatData') return { ...base, floatData: Array.from(t.data) };
  return { ...base, rawData: new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)) };
}

function scalarInit(name: string, v: number, as: 'raw' | 'floatData' = 'raw'): ITensorProto {
  return floatInit(name, floatTensor([], [v]), as);
}

/** An int64 initializer, as raw_data (default, exact for INT64_MIN/MAX) or int64_data. */
function intInit(name: string, dims: number[], values: readonly (number | bigint)[], as: 'raw' | 'int64Data' = 'raw'): ITensorProto {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  if (as === 'int64Data') return { name, dims, dataType: DT.INT64, int64Data: Array.from(data, (v) => Number(v)) };
  return { name, dims, dataType: DT.INT64, rawData: new Uint8Array(data.buffer) };
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function valueInfo(name: string, shape?: readonly Dim[]): IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: DT.FLOAT };
  if (shape !== undefined) tensorType.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

interface GraphSpec {
  readonly opset?: number;
  /** Graph inputs (float32); defaults to the feeds' shapes. */
  readonly inputs?: Record<string, readonly Dim[]>;
  readonly nodes: INodeProto[];
  readonly inits?: ITensorProto[];
  readonly outputs?: string[];
}

function encode(spec: GraphSpec, feeds: Record<string, FloatTensor>): Uint8Array {
  const inputs = spec.inputs ?? Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.shape]));
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'sparsecnn-conformance',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'conformance',
      node: spec.nodes,
      initializer: spec.inits ?? [],
      input: Object.entries(inputs).map(([k, s]) => valueInfo(k, s)),
      // Output shapes are left out (rank unknown), as many exporters write them.
      output: (spec.outputs ?? ['y']).map((o) => valueInfo(o)),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** One case: the feeds are built once; build() encodes a fresh file on every call. */
function mk(name: string, feeds: Record<string, FloatTensor>, spec: GraphSpec, extra: Partial<Omit<ConformanceCase, 'name' | 'build' | 'feeds'>> = {}): ConformanceCase {
  return { name, feeds, build: () => encode(spec, feeds), ...extra };
}

/** x → op(attrs, constant inputs) → y. */
function single(name: string, op: string, x: FloatTensor, attrs: IAttributeProto[] = [], inits: ITensorProto[] = [], opset = 13, constInputs?: string[]): ConformanceCase {
  const inputs = ['x', ...(constInputs ?? inits.map((t) => t.name!))];
  return mk(name, { x }, { opset, nodes: [node(op, inputs, ['y'], attrs)], inits });
}

// ---------------------------------------------------------------------------------------------
// Conv

function conv(name: string, xShape: number[], wShape: number[], attrs: IAttributeProto[], opts: { bias?: boolean; floatData?: boolean; seed?: number } = {}): ConformanceCase {
  const seed = opts.seed ?? xShape.reduce((a, b) => a * 31 + b, 7);
  const inits = [floatInit('W', wts(wShape, seed + 1), opts.floatData ? 'floatData' : 'raw')];
  if (opts.bias !== false) inits.push(floatInit('B', wts([wShape[0]!], seed + 2), opts.floatData ? 'floatData' : 'raw'));
  return single(name, 'Conv', seeded(xShape, seed, -2, 2), attrs, inits);
}

const k3 = attr.ints('kernel_shape', [3, 3]);
const pads1 = attr.ints('pads', [1, 1, 1, 1]);
const s2 = attr.ints('strides', [2, 2]);

const CONV: ConformanceCase[] = [
  conv('Conv 3x3 pad 1', [1, 3, 6, 6], [4, 3, 3, 3], [k3, pads1]),
  conv('Conv 3x3 stride 2 asymmetric pads [0,1,1,0]', [1, 3, 7, 7], [4, 3, 3, 3], [k3, s2, attr.ints('pads', [0, 1, 1, 0])]),
  conv('Conv 3x3 dilation 2 pad 2', [1, 2, 8, 8], [3, 2, 3, 3], [k3, attr.ints('dilations', [2, 2]), attr.ints('pads', [2, 2, 2, 2])]),
  conv('Conv grouped (group=2) 3x3', [1, 4, 5, 5], [6, 2, 3, 3], [k3, pads1, attr.int('group', 2)]),
  conv('Conv depthwise 3x3 (group=C)', [1, 6, 6, 6], [6, 1, 3, 3], [k3, pads1, attr.int('group', 6)]),
  conv('Conv depthwise 5x5 stride 2', [1, 4, 9, 9], [4, 1, 5, 5], [attr.ints('kernel_shape', [5, 5]), s2, attr.ints('pads', [2, 2, 2, 2]), attr.int('group', 4)]),
  conv('Conv 1x1 without bias', [1, 8, 4, 4], [5, 8, 1, 1], [attr.ints('kernel_shape', [1, 1])], { bias: false }),
  conv('Conv Cin=5 Cout=7 (not multiples of 4, float_data weights)', [1, 5, 6, 6], [7, 5, 3, 3], [k3, pads1], { floatData: true }),
  conv('Conv batch 3', [3, 3, 5, 5], [4, 3, 3, 3], [k3, pads1]),
  conv('Conv auto_pad SAME_UPPER stride 2 on 7x7', [1, 3, 7, 7], [4, 3, 3, 3], [k3, s2, attr.str('auto_pad', 'SAME_UPPER')]),
  conv('Conv auto_pad SAME_UPPER 4x4 stride 2 on 7x7 (odd total pad)', [1, 2, 7, 7], [3, 2, 4, 4], [attr.ints('kernel_shape', [4, 4]), s2, attr.str('auto_pad', 'SAME_UPPER')]),
  conv('Conv auto_pad SAME_LOWER 4x4 stride 2 on 7x7 (odd total pad)', [1, 2, 7, 7], [3, 2, 4, 4], [attr.ints('kernel_shape', [4, 4]), s2, attr.str('auto_pad', 'SAME_LOWER')]),
  conv('Conv auto_pad SAME_LOWER 2x2 stride 1 on 6x6', [1, 3, 6, 6], [4, 3, 2, 2], [attr.ints('kernel_shape', [2, 2]), attr.str('auto_pad', 'SAME_LOWER')]),
  conv('Conv auto_pad VALID stride 2', [1, 3, 7, 7], [4, 3, 3, 3], [k3, s2, attr.str('auto_pad', 'VALID')]),
  conv('Conv without kernel_shape attribute', [1, 3, 5, 5], [4, 3, 3, 3], [pads1]),
];

// ---------------------------------------------------------------------------------------------
// Pooling

const POOL: ConformanceCase[] = [
  single('MaxPool 3x3 stride 2 pad 1', 'MaxPool', wide([2, 3, 7, 7], 101), [k3, s2, pads1]),
  single('MaxPool 3x3 stride 2 ceil_mode=1', 'MaxPool', wide([1, 3, 8, 8], 102), [k3, s2, attr.int('ceil_mode', 1)]),
  single('AveragePool 3x3 stride 2 pad 1 count_include_pad=0', 'AveragePool', wide([2, 3, 7, 7], 103), [k3, s2, pads1, attr.int('count_include_pad', 0)]),
  single('AveragePool 3x3 stride 2 pad 1 count_include_pad=1', 'AveragePool', wide([2, 3, 7, 7], 104), [k3, s2, pads1, attr.int('count_include_pad', 1)]),
  single('AveragePool 3x3 stride 2 ceil_mode=1', 'AveragePool', wide([1, 3, 8, 8], 105), [k3, s2, attr.int('ceil_mode', 1)]),
  single('AveragePool 3x3 stride 2 pad 1 ceil_mode=1 count_include_pad=1', 'AveragePool', wide([1, 2, 8, 8], 106), [k3, s2, pads1, attr.int('ceil_mode', 1), attr.int('count_include_pad', 1)]),
  single('GlobalAveragePool', 'GlobalAveragePool', wide([2, 3, 5, 4], 107)),
];

// ---------------------------------------------------------------------------------------------
// Normalisation and activations

const ACT: ConformanceCase[] = [
  single('BatchNormalization epsilon 1e-3', 'BatchNormalization', wide([2, 3, 4, 4], 201), [attr.float('epsilon', 1e-3)], [
    floatInit('scale', seeded([3], 202, 0.5, 1.5), 'floatData'),
    floatInit('bias', seeded([3], 203, -1, 1)),
    floatInit('mean', seeded([3], 204, -1, 1), 'floatData'),
    floatInit('var', seeded([3], 205, 0.001, 2)),
  ]),
  single('Relu', 'Relu', wide([2, 3, 4, 4], 211)),
  single('Sigmoid', 'Sigmoid', wide([2, 3, 4, 4], 212)),
  single('HardSigmoid alpha 0.25 beta 0.4', 'HardSigmoid', wide([2, 3, 4, 4], 213), [attr.float('alpha', 0.25), attr.float('beta', 0.4)]),
  single('HardSwish (opset 14)', 'HardSwish', wide([2, 3, 4, 4], 214), [], [], 14),
  single('Clip min/max inputs (ReLU6)', 'Clip', wide([2, 3, 4, 4], 215), [], [scalarInit('lo', 0), scalarInit('hi', 6, 'floatData')]),
  single('Clip with only min', 'Clip', wide([2, 3, 4, 4], 216), [], [scalarInit('lo', -1)]),
  single('Clip with only max (empty min input)', 'Clip', wide([2, 3, 4, 4], 217), [], [scalarInit('hi', 2.5)], 13, ['', 'hi']),
];

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting

function binaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const forms: [string, number[], boolean][] = [
    ['[3,1,1] operand', [3, 1, 1], false],
    ['[1,3,1,1] operand first', [1, 3, 1, 1], true],
    ['scalar operand', [], false],
  ];
  ['Add', 'Sub', 'Mul', 'Div'].forEach((op, i) => {
    forms.forEach(([label, shape, first], j) => {
      const seed = 300 + 10 * i + j;
      // Divisors stay away from zero: [0.5, 2) with a random sign pattern kept deterministic.
      const c = op === 'Div' ? seeded(shape, seed + 1, 0.5, 2) : seeded(shape, seed + 1, -2, 2);
      const x = op === 'Div' && first ? seeded([2, 3, 4, 5], seed, 0.5, 3) : wide([2, 3, 4, 5], seed);
      const inputs = first ? ['c', 'x'] : ['x', 'c'];
      out.push(mk(`${op} [2,3,4,5] with ${label}`, { x }, { nodes: [node(op, inputs, ['y'])], inits: [floatInit('c', c, j === 1 ? 'floatData' : 'raw')] }));
    });
  });
  out.push(mk('Add of two graph inputs [2,3,4,5] + [1,3,1,1]', { x: wide([2, 3, 4, 5], 341), x2: wide([1, 3, 1, 1], 342) }, { nodes: [node('Add', ['x', 'x2'], ['y'])] }));
  out.push(mk('Mul of two graph inputs [2,1,4,1] * [3,1,5]', { x: wide([2, 1, 4, 1], 343), x2: wide([3, 1, 5], 344) }, { nodes: [node('Mul', ['x', 'x2'], ['y'])] }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Softmax, Gemm, MatMul

const LINEAR: ConformanceCase[] = [
  single('Softmax axis 1 on [2,5]', 'Softmax', wide([2, 5], 401), [attr.int('axis', 1)]),
  single('Softmax axis -1 on [2,3,4]', 'Softmax', wide([2, 3, 4], 402), [attr.int('axis', -1)]),
  single('Softmax axis 1 on [2,3,4] (opset 13: along axis 1 only)', 'Softmax', wide([2, 3, 4], 403), [attr.int('axis', 1)]),
  // Legacy Softmax flattens [2,3,4] to [2,12]; our exporter cannot express that at opset 14+ and says so.
  { ...single('Softmax opset 11 axis 1 on [2,3,4] (legacy flatten)', 'Softmax', wide([2, 3, 4], 404), [attr.int('axis', 1)], [], 11), exportRefusal: 'UNSUPPORTED' },
  single('Softmax opset 11 axis 2 on [2,3,4] (legacy, last axis)', 'Softmax', wide([2, 3, 4], 405), [attr.int('axis', 2)], [], 11),
  single('Softmax opset 11 default axis on [2,5]', 'Softmax', wide([2, 5], 406), [], [], 11),

  single('Gemm transB=1 with C [N]', 'Gemm', seeded([2, 6], 411, -2, 2), [attr.int('transB', 1)], [floatInit('B', wts([4, 6], 412)), floatInit('C', wts([4], 413), 'floatData')]),
  single('Gemm transA=1 alpha 0.5 beta 2 with C [M,N]', 'Gemm', seeded([6, 3], 414, -2, 2), [attr.int('transA', 1), attr.float('alpha', 0.5), attr.float('beta', 2)], [floatInit('B', wts([6, 4], 415)), floatInit('C', wts([3, 4], 416))]),
  single('Gemm transA=1 transB=1 without C', 'Gemm', seeded([5, 2], 417, -2, 2), [attr.int('transA', 1), attr.int('transB', 1)], [floatInit('B', wts([3, 5], 418))]),
  single('MatMul [2,3,4] x [4,5]', 'MatMul', seeded([2, 3, 4], 421, -2, 2), [], [floatInit('B', wts([4, 5], 422))]),
  single('MatMul [4] x [4,5] (1-D left operand)', 'MatMul', seeded([4], 423, -2, 2), [], [floatInit('B', wts([4, 5], 424))]),
  mk('MatMul [2,1,3,4] x [5,4,6] (broadcast batch dims)', { x: seeded([2, 1, 3, 4], 425, -2, 2), x2: seeded([5, 4, 6], 426, -2, 2) }, { nodes: [node('MatMul', ['x', 'x2'], ['y'])] }),
];

// ---------------------------------------------------------------------------------------------
// Shape and data movement

const x2345 = (seed: number) => wide([2, 3, 4, 5], seed);

const MOVE: ConformanceCase[] = [
  single('Flatten axis 1', 'Flatten', x2345(501), [attr.int('axis', 1)]),
  single('Flatten axis 2', 'Flatten', x2345(502), [attr.int('axis', 2)]),
  single('Reshape [0,-1] (allowzero absent)', 'Reshape', x2345(503), [], [intInit('shape', [2], [0, -1])]),
  single('Reshape [3,-1,5] opset 14 allowzero=0 (int64_data shape)', 'Reshape', x2345(504), [attr.int('allowzero', 0)], [intInit('shape', [3], [3, -1, 5], 'int64Data')], 14),
  mk('Concat axis 1 of three inputs', { x: wide([2, 3, 4], 505), x2: wide([2, 1, 4], 506) }, {
    nodes: [node('Concat', ['x', 'x2', 'c'], ['y'], [attr.int('axis', 1)])],
    inits: [floatInit('c', wide([2, 2, 4], 507))],
  }),
  mk('Concat axis -1 of two inputs', { x: wide([2, 3, 2], 508), x2: wide([2, 3, 4], 509) }, { nodes: [node('Concat', ['x', 'x2'], ['y'], [attr.int('axis', -1)])] }),
  single('Identity', 'Identity', x2345(510)),
  mk('Identity feeding Relu', { x: x2345(511) }, { nodes: [node('Identity', ['x'], ['t']), node('Relu', ['t'], ['y'])] }),
  single('Dropout opset 13 with ratio input (inference no-op)', 'Dropout', x2345(512), [], [scalarInit('ratio', 0.5)]),
  mk('Dropout opset 13 with unused mask output, feeding Relu', { x: x2345(513) }, {
    nodes: [node('Dropout', ['x', 'ratio'], ['t', 'mask']), node('Relu', ['t'], ['y'])],
    inits: [scalarInit('ratio', 0.25)],
  }),

  single('Slice steps 2 (x[:, :, ::2, ::2])', 'Slice', wide([1, 2, 6, 7], 521), [], [
    intInit('starts', [2], [0, 0]), intInit('ends', [2], [INT64_MAX, INT64_MAX]), intInit('axes', [2], [2, 3]), intInit('steps', [2], [2, 2]),
  ]),
  single('Slice negative starts/ends and axes', 'Slice', wide([2, 3, 6, 5], 522), [], [
    intInit('starts', [2], [-4, 1]), intInit('ends', [2], [-1, 1000]), intInit('axes', [2], [2, -1]),
  ]),
  single('Slice without axes (leading axes)', 'Slice', wide([4, 3, 5], 523), [], [intInit('starts', [2], [1, -2]), intInit('ends', [2], [3, 3], 'int64Data')]),
  single('Slice negative step (reverse to INT64_MIN)', 'Slice', wide([2, 3, 4, 5], 524), [], [
    intInit('starts', [1], [-1]), intInit('ends', [1], [INT64_MIN]), intInit('axes', [1], [3]), intInit('steps', [1], [-1]),
  ]),
  single('Slice negative step -2 from 4 to 0', 'Slice', wide([2, 3, 6, 5], 525), [], [
    intInit('starts', [1], [4]), intInit('ends', [1], [0]), intInit('axes', [1], [2]), intInit('steps', [1], [-2]),
  ]),

  single('Pad constant value 0.5', 'Pad', wide([1, 2, 4, 4], 531), [attr.str('mode', 'constant')], [intInit('pads', [8], [0, 0, 1, 2, 0, 0, 2, 1]), scalarInit('value', 0.5)]),
  single('Pad reflect', 'Pad', wide([1, 2, 4, 5], 532), [attr.str('mode', 'reflect')], [intInit('pads', [8], [0, 0, 2, 1, 0, 0, 1, 3])]),
  single('Pad edge', 'Pad', wide([1, 2, 4, 4], 533), [attr.str('mode', 'edge')], [intInit('pads', [8], [0, 0, 2, 1, 0, 0, 1, 3], 'int64Data')]),
  single('Pad channels [0,2,0,0,0,2,0,0] (CIFAR ResNet shortcut)', 'Pad', wide([2, 3, 4, 4], 534), [], [intInit('pads', [8], [0, 2, 0, 0, 0, 2, 0, 0])]),
  single('Pad opset 11 constant without value input', 'Pad', wide([1, 2, 3, 3], 535), [], [intInit('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1])], 11),
];

// ---------------------------------------------------------------------------------------------
// Shape subgraphs, opset-11 forms, constants, casts, graph structure

const STRUCT: ConformanceCase[] = [
  mk('Shape→Gather→Unsqueeze→Concat→Reshape with dynamic batch N=3', { x: wide([3, 3, 2, 2], 601) }, {
    inputs: { x: ['N', 3, 2, 2] },
    nodes: [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'i0'], ['n'], [attr.int('axis', 0)]),
      node('Unsqueeze', ['n', 'ax0'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['shape'], [attr.int('axis', 0)]),
      node('Reshape', ['x', 'shape'], ['y']),
    ],
    inits: [intInit('i0', [], [0]), intInit('ax0', [1], [0]), intInit('minus1', [1], [-1])],
  }, { foldedAway: ['Shape', 'Gather', 'Unsqueeze', 'Concat'] }),

  mk('Unsqueeze/Squeeze opset 11 with axes attribute', { x: wide([2, 3, 4], 611) }, {
    opset: 11,
    nodes: [
      node('Unsqueeze', ['x'], ['u'], [attr.ints('axes', [0, 4])]),
      node('Relu', ['u'], ['r']),
      node('Squeeze', ['r'], ['y'], [attr.ints('axes', [0])]),
    ],
  }),
  mk('Squeeze opset 11 without axes (all size-1 dims)', { x: wide([1, 3, 1, 4], 612) }, { opset: 11, nodes: [node('Squeeze', ['x'], ['y'])] }),
  mk('Unsqueeze/Squeeze opset 13 with axes input', { x: wide([2, 3, 4], 613) }, {
    nodes: [
      node('Unsqueeze', ['x', 'uax'], ['u']),
      node('Relu', ['u'], ['r']),
      node('Squeeze', ['r', 'sax'], ['y']),
    ],
    inits: [intInit('uax', [2], [0, -1]), intInit('sax', [1], [0], 'int64Data')],
  }),
  mk('Constant node (float tensor) used by Add, opset 11', { x: x2345(621) }, {
    opset: 11,
    nodes: [
      node('Constant', [], ['c'], [attr.tensor('value', floatInit('', seeded([3, 1, 1], 622, -2, 2), 'floatData'))]),
      node('Add', ['x', 'c'], ['y']),
    ],
  }),
  mk('Constant node (raw_data float tensor) used by Mul, opset 13', { x: x2345(623) }, {
    nodes: [
      node('Constant', [], ['c'], [attr.tensor('value', floatInit('', seeded([5], 624, -2, 2)))]),
      node('Mul', ['c', 'x'], ['y']),
    ],
  }),
  mk('Cast int64→float of an initializer, used by Add', { x: wide([2, 3], 631) }, {
    nodes: [node('Cast', ['k'], ['kf'], [attr.int('to', DT.FLOAT)]), node('Add', ['x', 'kf'], ['y'])],
    inits: [intInit('k', [2, 3], [-3, 0, 7, 12, -100, 5], 'int64Data')],
  }),
  mk('Shape→Cast int64→float, used by Mul', { x: wide([2, 4, 3], 632) }, {
    nodes: [node('Shape', ['x'], ['s']), node('Cast', ['s'], ['sf'], [attr.int('to', DT.FLOAT)]), node('Mul', ['x', 'sf'], ['y'])],
  }),
  mk('Cast float→int64→float truncates toward zero', { x: wide([2, 3, 4], 633) }, {
    nodes: [node('Cast', ['x'], ['xi'], [attr.int('to', DT.INT64)]), node('Cast', ['xi'], ['y'], [attr.int('to', DT.FLOAT)])],
  }),

  mk('Nodes with empty names', { x: wide([1, 3, 5, 5], 641) }, {
    nodes: [
      node('Conv', ['x', 'W'], ['c'], [k3, pads1], ''),
      node('Relu', ['c'], ['r'], [], ''),
      node('Relu', ['r'], ['y'], [], ''),
    ],
    inits: [floatInit('W', wts([4, 3, 3, 3], 642))],
  }),
  mk('Nodes listed out of topological order', { x: wide([1, 3, 5, 5], 651) }, {
    nodes: [
      node('Relu', ['a'], ['y']),
      node('Add', ['c', 'b'], ['a']),
      node('GlobalAveragePool', ['c'], ['g']),
      node('Mul', ['g', 'c'], ['b']),
      node('Conv', ['x', 'W', 'B'], ['c'], [k3, pads1]),
    ],
    inits: [floatInit('W', wts([4, 3, 3, 3], 652)), floatInit('B', wts([4], 653))],
  }),
];

/** Initializers also listed as graph inputs (IR < 4 style, still common in older files). */
function initializersAsInputs(): ConformanceCase {
  const x = wide([1, 2, 4, 4], 661);
  const W = wts([3, 2, 3, 3], 662);
  return {
    name: 'Initializers also listed as graph inputs',
    feeds: { x },
    build: () => {
      const proto = onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'conformance',
          node: [node('Conv', ['x', 'W'], ['c'], [k3, pads1]), node('Relu', ['c'], ['y'])],
          initializer: [floatInit('W', W)],
          input: [valueInfo('x', x.shape), valueInfo('W', W.shape)],
          output: [valueInfo('y', [1, 3, 4, 4])],
        },
      });
      return onnx.ModelProto.encode(proto).finish();
    },
  };
}

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  ...CONV, ...POOL, ...ACT, ...binaryCases(), ...LINEAR, ...MOVE, ...STRUCT, initializersAsInputs(),
];
