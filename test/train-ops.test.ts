/**
 * The reference training ops (src/train/ops): every op's forward against the inference reference
 * kernel (NCHW, after converting layouts), its backward against central finite differences,
 * gradient accumulation, BatchNormalization's running statistics, and the softmax cross-entropy loss.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpType, PoolAttrs, ConvAttrs } from '../src/graph/attrs.js';
import { OP_DEFS } from '../src/graph/ops/index.js';
import type { ValueType } from '../src/graph/ops/types.js';
import type { Tensor } from '../src/graph/tensor.js';
import { REF_KERNELS } from '../src/kernels/ref/index.js';
import { int64ToF32, REF_TRAIN_OPS, softmaxCrossEntropy } from '../src/train/ops/index.js';
import { distillationLoss } from '../src/train/ops/loss.js';
import type { OpShapes, TrainOp } from '../src/train/ops/types.js';
import { Rng } from '../src/zoo/rng.js';

// ---------------------------------------------------------------- layout (independent of src/train)

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** IR row-major (NCHW for rank 4) values → training storage (NHWC for rank 4). */
function toStorage(shape: readonly number[], logical: Float32Array): Float32Array {
  if (shape.length !== 4) return logical.slice();
  const [N, C, H, W] = shape as [number, number, number, number];
  const out = new Float32Array(logical.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = logical[((n * C + c) * H + h) * W + w]!;
  return out;
}

// ---------------------------------------------------------------- cases

type Gen = (rng: Rng, n: number) => Float32Array;

interface InSpec {
  readonly shape: readonly number[];
  /** Constant int64 input (Slice bounds, Pad pads, Reshape shape). */
  readonly ints?: readonly (number | bigint)[];
  /** Float values in IR row-major order; random normal when absent. */
  readonly gen?: Gen;
  /** Check the gradient of this input (default: float inputs yes). */
  readonly grad?: boolean;
  /** A weight: stored row-major in IR order even at rank 4 (OIHW). */
  readonly weight?: boolean;
}

interface Case {
  readonly name: string;
  readonly op: OpType;
  readonly attrs: unknown;
  readonly inputs: readonly (InSpec | undefined)[];
  /** Training-mode semantics (default true). */
  readonly training?: boolean;
}

const normal: Gen = (rng, n) => Float32Array.from({ length: n }, () => rng.normal());
const uniform = (lo: number, hi: number): Gen => (rng, n) => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
/** Uniform in [lo, hi] but at least `gap` away from every kink (so ±h never crosses one). */
const awayFrom = (kinks: readonly number[], lo: number, hi: number, gap = 0.05): Gen => (rng, n) => Float32Array.from({ length: n }, () => {
  for (;;) {
    const v = rng.uniform(lo, hi);
    if (kinks.every((k) => Math.abs(v - k) >= gap)) return v;
  }
});
/** A shuffled grid spaced 0.05 apart: no ties, and ±h never changes which value is the max. */
const distinct: Gen = (rng, n) => {
  const a = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};
const scalar = (v: number): InSpec => ({ shape: [], gen: () => Float32Array.of(v), grad: false });
const ints = (values: readonly (number | bigint)[]): InSpec => ({ shape: [values.length], ints: values });
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function conv(p: Partial<ConvAttrs>): ConvAttrs {
  return { group: 1, kernelShape: [0, 0], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ...p };
}
function pool(p: Partial<PoolAttrs> & { kernelShape: readonly [number, number] }): PoolAttrs {
  return { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: false, countIncludePad: false, ...p };
}
const NONE = {};
const x4 = (shape: readonly number[], gen?: Gen): InSpec => (gen === undefined ? { shape } : { shape, gen });
const param = (shape: readonly number[], gen?: Gen): InSpec => (gen === undefined ? { shape, weight: true } : { shape, gen, weight: true });
const fixed = (shape: readonly number[], gen: Gen): InSpec => ({ shape, gen, grad: false });
const bnInputs = (shape: readonly number[]): (InSpec | undefined)[] => {
  const c = shape[1]!;
  return [x4(shape, uniform(-1, 3)), param([c], uniform(0.5, 1.5)), param([c]), fixed([c], normal), fixed([c], uniform(0.5, 2))];
};

const CASES: readonly Case[] = [
  { name: 'Conv 3x3 pad 1, bias, batch 2', op: 'Conv', attrs: conv({ pads: [1, 1, 1, 1] }), inputs: [x4([2, 3, 5, 5]), param([5, 3, 3, 3]), param([5])] },
  { name: 'Conv stride 2, dilation 2, asymmetric pads, no bias', op: 'Conv', attrs: conv({ strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 2] }), inputs: [x4([1, 5, 7, 6]), param([6, 5, 3, 3])] },
  { name: 'Conv group 2, stride (1,2)', op: 'Conv', attrs: conv({ group: 2, strides: [1, 2], pads: [1, 1, 1, 1] }), inputs: [x4([2, 6, 4, 5]), param([4, 3, 3, 3]), param([4])] },
  { name: 'Conv depthwise 3x3 stride 2, C = 5', op: 'Conv', attrs: conv({ group: 5, strides: [2, 2], pads: [1, 1, 1, 1] }), inputs: [x4([2, 5, 5, 5]), param([5, 1, 3, 3]), param([5])] },
  { name: 'Conv depthwise multiplier 2, SAME_UPPER', op: 'Conv', attrs: conv({ group: 3, strides: [2, 2], autoPad: 'SAME_UPPER' }), inputs: [x4([2, 3, 6, 5]), param([6, 1, 3, 3])] },
  { name: 'Conv 1x1 stride 2 (projection shortcut)', op: 'Conv', attrs: conv({ strides: [2, 2], kernelShape: [1, 1] }), inputs: [x4([2, 3, 5, 4]), param([7, 3, 1, 1])] },

  { name: 'BatchNormalization training, NHWC', op: 'BatchNormalization', attrs: { epsilon: 1e-5, momentum: 0.9 }, inputs: bnInputs([2, 3, 4, 5]) },
  { name: 'BatchNormalization training, rank 2', op: 'BatchNormalization', attrs: { epsilon: 1e-3, momentum: 0.9 }, inputs: bnInputs([6, 5]) },
  { name: 'BatchNormalization inference', op: 'BatchNormalization', attrs: { epsilon: 1e-5, momentum: 0.9 }, inputs: bnInputs([2, 3, 3, 3]), training: false },

  { name: 'Relu', op: 'Relu', attrs: NONE, inputs: [x4([2, 3, 4, 5], awayFrom([0], -2, 2))] },
  { name: 'Clip(0, 6)', op: 'Clip', attrs: NONE, inputs: [x4([2, 3, 3, 3], awayFrom([0, 6], -2, 8)), scalar(0), scalar(6)] },
  { name: 'Clip(min only)', op: 'Clip', attrs: NONE, inputs: [x4([2, 3, 3, 3], awayFrom([-0.5], -2, 2)), scalar(-0.5)] },
  { name: 'Sigmoid', op: 'Sigmoid', attrs: NONE, inputs: [x4([2, 5, 3, 3], uniform(-4, 4))] },
  { name: 'HardSigmoid', op: 'HardSigmoid', attrs: { alpha: 0.2, beta: 0.5 }, inputs: [x4([2, 3, 3, 3], awayFrom([-2.5, 2.5], -4, 4))] },
  { name: 'HardSwish', op: 'HardSwish', attrs: NONE, inputs: [x4([2, 5, 3, 3], awayFrom([-3, 3], -5, 5))] },

  { name: 'Add same shape', op: 'Add', attrs: NONE, inputs: [x4([2, 3, 4, 5]), x4([2, 3, 4, 5])] },
  { name: 'Add [N,C,H,W] + [1,C,1,1]', op: 'Add', attrs: NONE, inputs: [x4([2, 3, 4, 5]), x4([1, 3, 1, 1])] },
  { name: 'Add rank 2 + rank 1', op: 'Add', attrs: NONE, inputs: [x4([4, 5]), x4([5])] },
  { name: 'Sub [N,C,H,W] − [C,1,1]', op: 'Sub', attrs: NONE, inputs: [x4([2, 3, 4, 5]), x4([3, 1, 1])] },
  { name: 'Sub broadcast first operand [1,C,1,W] − [N,C,H,W]', op: 'Sub', attrs: NONE, inputs: [x4([1, 3, 1, 5]), x4([2, 3, 4, 5])] },
  { name: 'Mul same shape', op: 'Mul', attrs: NONE, inputs: [x4([2, 3, 2, 5]), x4([2, 3, 2, 5])] },
  { name: 'Mul squeeze-excite [N,C,H,W]·[N,C,1,1]', op: 'Mul', attrs: NONE, inputs: [x4([2, 5, 3, 4]), x4([2, 5, 1, 1])] },
  { name: 'Mul [N,C,1,1]·[N,C,H,W] (operand order swapped)', op: 'Mul', attrs: NONE, inputs: [x4([2, 5, 1, 1]), x4([2, 5, 3, 4])] },
  { name: 'Div [N,C,H,W] / [N,C,1,1]', op: 'Div', attrs: NONE, inputs: [x4([2, 3, 2, 2]), x4([2, 3, 1, 1], uniform(0.7, 2))] },
  { name: 'Div same shape', op: 'Div', attrs: NONE, inputs: [x4([2, 3, 2, 2]), x4([2, 3, 2, 2], uniform(0.7, 2))] },

  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', attrs: NONE, inputs: [x4([2, 5, 3, 4])] },
  { name: 'AveragePool 3x3 s2 p1, exclude pad', op: 'AveragePool', attrs: pool({ kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), inputs: [x4([2, 3, 6, 5])] },
  { name: 'AveragePool 3x3 s2 p1, count_include_pad', op: 'AveragePool', attrs: pool({ kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true }), inputs: [x4([2, 3, 6, 5])] },
  { name: 'AveragePool 2x2 s2 ceil_mode, count_include_pad', op: 'AveragePool', attrs: pool({ kernelShape: [2, 2], strides: [2, 2], ceilMode: true, countIncludePad: true }), inputs: [x4([1, 3, 5, 5])] },
  { name: 'MaxPool 3x3 s2 p1', op: 'MaxPool', attrs: pool({ kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), inputs: [x4([2, 3, 6, 5], distinct)] },
  { name: 'MaxPool 2x2 s2, dilation (1,2)', op: 'MaxPool', attrs: pool({ kernelShape: [2, 2], strides: [2, 1], dilations: [1, 2] }), inputs: [x4([2, 5, 4, 5], distinct)] },

  { name: 'Flatten axis 1 (NHWC → NCHW order)', op: 'Flatten', attrs: { axis: 1 }, inputs: [x4([2, 3, 2, 4])] },
  { name: 'Flatten [N,C,1,1]', op: 'Flatten', attrs: { axis: 1 }, inputs: [x4([3, 5, 1, 1])] },
  { name: 'Reshape rank 4 → [N, -1]', op: 'Reshape', attrs: { allowZero: false }, inputs: [x4([2, 3, 2, 2]), ints([0, -1])] },
  { name: 'Reshape rank 2 → rank 4', op: 'Reshape', attrs: { allowZero: false }, inputs: [x4([2, 12]), ints([2, 3, 2, 2])] },
  { name: 'Reshape rank 4 → rank 4 (regrouped)', op: 'Reshape', attrs: { allowZero: false }, inputs: [x4([2, 4, 3, 2]), ints([2, 2, 6, 2])] },
  { name: 'Gemm transB, bias [N], alpha/beta', op: 'Gemm', attrs: { alpha: 0.7, beta: 1.3, transA: false, transB: true }, inputs: [x4([3, 7]), param([5, 7]), param([5])] },
  { name: 'Gemm transA, C [M,1]', op: 'Gemm', attrs: { alpha: 1, beta: 0.5, transA: true, transB: false }, inputs: [x4([7, 3]), param([7, 5]), param([3, 1])] },
  { name: 'Gemm no C, full-shape C absent', op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: false, transB: false }, inputs: [x4([4, 6]), param([6, 3])] },
  { name: 'Gemm C [M,N]', op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: true, transB: true }, inputs: [x4([6, 4]), param([3, 6]), param([4, 3])] },
  { name: 'MatMul 2-D', op: 'MatMul', attrs: NONE, inputs: [x4([3, 4]), x4([4, 5])] },
  { name: 'Concat channels (NHWC)', op: 'Concat', attrs: { axis: 1 }, inputs: [x4([2, 3, 2, 2]), x4([2, 2, 2, 2]), x4([2, 4, 2, 2])] },
  { name: 'Concat axis 2 (rank 4)', op: 'Concat', attrs: { axis: 2 }, inputs: [x4([2, 3, 1, 2]), x4([2, 3, 3, 2])] },
  { name: 'Concat axis -1 (rank 2)', op: 'Concat', attrs: { axis: -1 }, inputs: [x4([2, 3]), x4([2, 4])] },
  { name: 'Concat axis 0 (rank 4)', op: 'Concat', attrs: { axis: 0 }, inputs: [x4([1, 3, 2, 2]), x4([2, 3, 2, 2])] },
  { name: 'Slice x[:, :, ::2, ::2] with INT64_MAX ends', op: 'Slice', attrs: NONE, inputs: [x4([2, 4, 5, 5]), ints([0, 0]), ints([INT64_MAX, INT64_MAX]), ints([2, 3]), ints([2, 2])] },
  { name: 'Slice channels 1:3 (no axes/steps)', op: 'Slice', attrs: NONE, inputs: [x4([2, 4, 2, 3]), ints([0, 1]), ints([2, 3])] },
  { name: 'Slice negative step, negative axis', op: 'Slice', attrs: NONE, inputs: [x4([2, 3, 4, 5]), ints([-1]), ints([INT64_MIN]), ints([-1]), ints([-2])] },
  { name: 'Pad channels (ResNet-CIFAR option A)', op: 'Pad', attrs: { mode: 'constant' }, inputs: [x4([2, 3, 3, 3]), ints([0, 2, 0, 0, 0, 3, 0, 0])] },
  { name: 'Pad spatial, value 0.5, axes', op: 'Pad', attrs: { mode: 'constant' }, inputs: [x4([2, 3, 3, 3]), ints([1, 0, 2, 1]), scalar(0.5), ints([2, 3])] },
  { name: 'Pad negative (crop)', op: 'Pad', attrs: { mode: 'constant' }, inputs: [x4([2, 3, 4, 4]), ints([0, 0, -1, 1, 0, 0, 1, -2])] },
  { name: 'Pad reflect', op: 'Pad', attrs: { mode: 'reflect' }, inputs: [x4([1, 2, 3, 4]), ints([0, 0, 2, 1, 0, 0, 1, 3])] },
  { name: 'Pad edge', op: 'Pad', attrs: { mode: 'edge' }, inputs: [x4([1, 2, 3, 4]), ints([0, 0, 2, 1, 0, 0, 1, 3])] },
  { name: 'Identity', op: 'Identity', attrs: NONE, inputs: [x4([2, 3, 2, 2])] },
  { name: 'Dropout (identity in training)', op: 'Dropout', attrs: NONE, inputs: [x4([2, 3, 2, 2])] },
];

// ---------------------------------------------------------------- running an op

interface Prepared {
  readonly c: Case;
  readonly op: TrainOp<OpType>;
  readonly shapes: OpShapes;
  readonly outTypes: ValueType[];
  /** Stored input buffers (int constants as f32 copies). */
  readonly bufs: (Float32Array | undefined)[];
  /** Inputs as IR tensors for the reference kernel. */
  readonly tensors: (Tensor | undefined)[];
}

function prepare(c: Case, seed: number): Prepared {
  const rng = new Rng(seed);
  const tensors = c.inputs.map((s): Tensor | undefined => {
    if (s === undefined) return undefined;
    if (s.ints !== undefined) return { dtype: 'int64', shape: [...s.shape], data: BigInt64Array.from(s.ints, (v) => BigInt(v)) };
    return { dtype: 'float32', shape: [...s.shape], data: (s.gen ?? normal)(rng, size(s.shape)) };
  });
  const def = OP_DEFS[c.op] as unknown as { infer(ctx: unknown): ValueType[] };
  const outTypes = def.infer({
    node: c.name, attrs: c.attrs,
    inputs: tensors.map((t) => (t === undefined ? undefined : { dtype: t.dtype, shape: t.shape })),
    values: tensors.map((t) => (t?.dtype === 'int64' ? t : undefined)),
  });
  const bufs = tensors.map((t, i) => (t === undefined ? undefined : t.dtype === 'int64' ? int64ToF32(t.data) : c.inputs[i]!.weight ? t.data.slice() : toStorage(t.shape, t.data)));
  const op = REF_TRAIN_OPS[c.op] as TrainOp<OpType> | undefined;
  assert.ok(op !== undefined, `${c.op} is in REF_TRAIN_OPS`);
  return { c, op, shapes: { inputs: tensors.map((t) => t?.shape), outputs: outTypes.map((t) => t.shape) }, outTypes, bufs, tensors };
}

function forward(p: Prepared, bufs: (Float32Array | undefined)[], opts: { training?: boolean; save?: boolean; updateStats?: boolean; statsMomentum?: number } = {}): { y: Float32Array; saved: Float32Array[] } {
  const save = opts.save ?? false;
  const y = new Float32Array(size(p.shapes.outputs[0]!)).fill(NaN);
  const saved = save ? p.op.savedSizes(p.c.attrs as never, p.shapes).map((n) => new Float32Array(n).fill(NaN)) : [];
  p.op.forward({ attrs: p.c.attrs as never, shapes: p.shapes, inputs: bufs, outputs: [y], saved, training: opts.training ?? p.c.training ?? true, save, updateStats: opts.updateStats ?? false, ...(opts.statsMomentum !== undefined ? { statsMomentum: opts.statsMomentum } : {}) });
  return { y, saved };
}

/** Backward with exactly what `needs` promises (anything else undefined), accumulating into `dIns`. */
function backward(p: Prepared, y: Float32Array, saved: Float32Array[], dy: Float32Array, dIns: (Float32Array | undefined)[]): void {
  const needs = p.op.needs(p.c.attrs as never, p.shapes);
  assert.equal(needs.inputs.length, p.c.inputs.length);
  assert.equal(needs.outputs.length, 1);
  p.op.backward({
    attrs: p.c.attrs as never, shapes: p.shapes,
    inputs: p.bufs.map((b, i) => (needs.inputs[i] ? b?.slice() : undefined)),
    outputs: [needs.outputs[0] ? y : undefined],
    saved, dOutputs: [dy], dInputs: dIns,
  });
}

function dot(r: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * y[i]!;
  return s;
}

// ---------------------------------------------------------------- tests

describe('training ops: forward equals the inference reference kernel (NCHW)', () => {
  CASES.forEach((c, k) => {
    it(c.name, () => {
      const p = prepare(c, 1000 + k);
      let refInputs = p.tensors;
      if (c.op === 'BatchNormalization' && (c.training ?? true)) {
        // Training mode = inference with the batch's mean and biased variance as the statistics.
        const x = p.tensors[0]!.data as Float32Array;
        const shape = p.tensors[0]!.shape;
        const C = shape[1]!;
        const inner = size(shape.slice(2));
        const m = shape[0]! * inner;
        const mean = new Float32Array(C);
        const variance = new Float32Array(C);
        for (let ch = 0; ch < C; ch++) {
          let s = 0;
          let s2 = 0;
          for (let n = 0; n < shape[0]!; n++) for (let i = 0; i < inner; i++) s += x[(n * C + ch) * inner + i]!;
          const mu = s / m;
          for (let n = 0; n < shape[0]!; n++) for (let i = 0; i < inner; i++) s2 += (x[(n * C + ch) * inner + i]! - mu) ** 2;
          mean[ch] = mu;
          variance[ch] = s2 / m;
        }
        refInputs = [...p.tensors.slice(0, 3), { dtype: 'float32', shape: [C], data: mean }, { dtype: 'float32', shape: [C], data: variance }];
      }
      const ref = (REF_KERNELS[c.op] as unknown as (a: unknown, i: readonly (Tensor | undefined)[], o: readonly ValueType[]) => Tensor[])(c.attrs, refInputs, p.outTypes)[0]!;
      assert.deepEqual([...ref.shape], [...p.shapes.outputs[0]!]);
      const want = toStorage(ref.shape, ref.data as Float32Array);
      for (const save of [true, false]) {
        const { y } = forward(p, p.bufs, { save });
        for (let i = 0; i < y.length; i++) {
          const tol = c.op === 'BatchNormalization' && (c.training ?? true) ? 1e-4 : 1e-5;
          assert.ok(Math.abs(y[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${c.name}: y[${i}] = ${y[i]} vs ref ${want[i]} (save=${save})`);
        }
      }
    });
  });
});

describe('training ops: backward equals central finite differences and accumulates', () => {
  const H = 1e-2;
  const MAX_CHECKS = 150;
  CASES.forEach((c, k) => {
    it(c.name, () => {
      const p = prepare(c, 2000 + k);
      const { y, saved } = forward(p, p.bufs, { save: true });
      const rng = new Rng(3000 + k);
      const r = Float32Array.from({ length: y.length }, () => rng.normal());
      const wanted = c.inputs.map((s) => s !== undefined && s.ints === undefined && (s.grad ?? true));
      const dIns = p.bufs.map((b, i) => (wanted[i] ? new Float32Array(b!.length) : undefined));
      backward(p, y, saved, r, dIns);
      const once = dIns.map((d) => d?.slice());

      let worst = 0;
      for (let i = 0; i < p.bufs.length; i++) {
        const g = once[i];
        if (g === undefined) continue;
        const buf = p.bufs[i]!;
        const n = buf.length;
        const picks = n <= MAX_CHECKS ? Array.from({ length: n }, (_, j) => j) : Array.from({ length: MAX_CHECKS }, () => Math.floor(rng.next() * n));
        for (const j of picks) {
          const orig = buf[j]!;
          const bufs = p.bufs.map((b) => b?.slice());
          bufs[i]![j] = orig + H;
          const hp = bufs[i]![j]!;
          const lp = dot(r, forward(p, bufs).y);
          bufs[i]![j] = orig - H;
          const hm = bufs[i]![j]!;
          const lm = dot(r, forward(p, bufs).y);
          const fd = (lp - lm) / (hp - hm);
          const err = Math.abs(fd - g[j]!);
          const tol = 5e-4 + 5e-3 * Math.abs(g[j]!);
          worst = Math.max(worst, err / tol);
          assert.ok(err <= tol, `${c.name}: d/d input ${i}[${j}]: backward ${g[j]} vs finite difference ${fd}`);
        }
      }
      assert.ok(worst <= 1, `worst error/tolerance ${worst}`);

      // A second backward adds the same gradient again.
      backward(p, y, saved, r, dIns);
      dIns.forEach((d, i) => {
        if (d === undefined) return;
        for (let j = 0; j < d.length; j++) assert.ok(Math.abs(d[j]! - 2 * once[i]![j]!) <= 1e-6 * (1 + Math.abs(d[j]!)), `${c.name}: accumulated d input ${i}[${j}] = ${d[j]}, once ${once[i]![j]}`);
      });
    });
  });

  it('an absent output gradient contributes nothing', () => {
    const p = prepare(CASES[0]!, 7);
    const { y, saved } = forward(p, p.bufs, { save: true });
    const dIns = p.bufs.map((b) => (b === undefined ? undefined : new Float32Array(b.length)));
    p.op.backward({ attrs: p.c.attrs as never, shapes: p.shapes, inputs: p.bufs, outputs: [y], saved, dOutputs: [undefined], dInputs: dIns });
    for (const d of dIns) assert.ok(d!.every((v) => v === 0));
  });
});

describe('training ops: registry and needs', () => {
  it('covers the ops a CNN trainer needs', () => {
    for (const op of ['Conv', 'BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Add', 'Sub', 'Mul', 'GlobalAveragePool', 'AveragePool', 'MaxPool', 'Flatten', 'Reshape', 'Gemm', 'MatMul', 'Concat', 'Slice', 'Pad', 'Identity', 'Dropout'] as const) {
      assert.ok(REF_TRAIN_OPS[op] !== undefined, op);
    }
  });

  it('needs are minimal', () => {
    const needs = (name: string) => {
      const p = prepare(CASES.find((c) => c.name === name)!, 1);
      return p.op.needs(p.c.attrs as never, p.shapes);
    };
    assert.deepEqual(needs('Relu'), { inputs: [false], outputs: [true] });
    assert.deepEqual(needs('Add same shape'), { inputs: [false, false], outputs: [false] });
    assert.deepEqual(needs('Conv 3x3 pad 1, bias, batch 2'), { inputs: [true, true, false], outputs: [false] });
    assert.deepEqual(needs('BatchNormalization training, NHWC'), { inputs: [true, true, false, false, false], outputs: [false] });
    assert.deepEqual(needs('MaxPool 3x3 s2 p1'), { inputs: [false], outputs: [false] });
    assert.deepEqual(needs('Flatten axis 1 (NHWC → NCHW order)'), { inputs: [false], outputs: [false] });
    assert.deepEqual(needs('Reshape rank 4 → [N, -1]'), { inputs: [false, false], outputs: [false] });
  });
});

describe('training ops: BatchNormalization statistics', () => {
  const attrs = { epsilon: 1e-5, momentum: 0.9 };
  const shape = [4, 3, 3, 5];
  const c: Case = { name: 'bn', op: 'BatchNormalization', attrs, inputs: bnInputs(shape) };

  it('training mode normalises each channel to mean 0, variance 1 (scale 1, bias 0)', () => {
    const p = prepare(c, 11);
    const bufs = [...p.bufs];
    bufs[1] = new Float32Array(3).fill(1);
    bufs[2] = new Float32Array(3);
    const { y } = forward(p, bufs);
    const m = size(shape) / 3;
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      let s2 = 0;
      for (let i = ch; i < y.length; i += 3) s += y[i]!;
      for (let i = ch; i < y.length; i += 3) s2 += (y[i]! - s / m) ** 2;
      assert.ok(Math.abs(s / m) < 1e-5, `mean ${s / m}`);
      assert.ok(Math.abs(s2 / m - 1) < 1e-3, `variance ${s2 / m}`);
    }
  });

  it('updates the running statistics once when updateStats, with the unbiased batch variance', () => {
    const p = prepare(c, 12);
    const x = p.tensors[0]!.data as Float32Array;
    const rm0 = p.bufs[3]!.slice();
    const rv0 = p.bufs[4]!.slice();
    const bufs = [...p.bufs];
    bufs[3] = rm0.slice();
    bufs[4] = rv0.slice();
    forward(p, bufs, { updateStats: true, save: true });
    const inner = shape[2]! * shape[3]!;
    const m = shape[0]! * inner;
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      for (let n = 0; n < shape[0]!; n++) for (let i = 0; i < inner; i++) s += x[(n * 3 + ch) * inner + i]!;
      const mu = s / m;
      let v = 0;
      for (let n = 0; n < shape[0]!; n++) for (let i = 0; i < inner; i++) v += (x[(n * 3 + ch) * inner + i]! - mu) ** 2;
      const wantMean = rm0[ch]! * 0.9 + mu * 0.1;
      const wantVar = rv0[ch]! * 0.9 + (v / (m - 1)) * 0.1;
      assert.ok(Math.abs(bufs[3]![ch]! - wantMean) < 1e-6, `running mean ${bufs[3]![ch]} vs ${wantMean}`);
      assert.ok(Math.abs(bufs[4]![ch]! - wantVar) < 1e-6, `running var ${bufs[4]![ch]} vs ${wantVar}`);
    }
  });

  it('statsMomentum replaces the node\'s momentum for that update (0: the batch statistics alone)', () => {
    const p = prepare(c, 14);
    const batchStats = (mom: number): [Float32Array, Float32Array] => {
      const bufs = [...p.bufs];
      bufs[3] = p.bufs[3]!.slice();
      bufs[4] = p.bufs[4]!.slice();
      forward(p, bufs, { updateStats: true, statsMomentum: mom });
      return [bufs[3]!, bufs[4]!];
    };
    const [m0, v0] = batchStats(0);
    const [mq, vq] = batchStats(0.25);
    for (let ch = 0; ch < 3; ch++) {
      assert.ok(Math.abs(mq[ch]! - (0.25 * p.bufs[3]![ch]! + 0.75 * m0[ch]!)) < 1e-6, `mean ${ch}`);
      assert.ok(Math.abs(vq[ch]! - (0.25 * p.bufs[4]![ch]! + 0.75 * v0[ch]!)) < 1e-6, `var ${ch}`);
      assert.notEqual(m0[ch], p.bufs[3]![ch], 'the old statistics are gone at momentum 0');
    }
  });

  it('leaves the running statistics untouched without updateStats, and in inference mode', () => {
    const p = prepare(c, 13);
    for (const [training, updateStats] of [[true, false], [false, true], [false, false]] as const) {
      const bufs = [...p.bufs];
      bufs[3] = p.bufs[3]!.slice();
      bufs[4] = p.bufs[4]!.slice();
      forward(p, bufs, { training, updateStats, save: true });
      assert.deepEqual(bufs[3], p.bufs[3]);
      assert.deepEqual(bufs[4], p.bufs[4]);
    }
  });
});

describe('softmaxCrossEntropy', () => {
  const n = 5;
  const classes = 7;
  const rng = new Rng(99);
  const logits = Float32Array.from({ length: n * classes }, () => rng.normal() * 3);
  logits[2 * classes + 4] = 80; // a large logit: the stable form must not overflow
  const labels = Int32Array.from([0, 3, 4, 6, 2]);

  it('matches a direct float64 computation', () => {
    let want = 0;
    let correct = 0;
    for (let r = 0; r < n; r++) {
      const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      want += (lse - row[labels[r]!]!) / n;
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    }
    const d = new Float32Array(n * classes).fill(123);
    const got = softmaxCrossEntropy(logits, labels, n, classes, d);
    assert.ok(Math.abs(got.loss - want) < 1e-9 * (1 + want), `${got.loss} vs ${want}`);
    assert.equal(got.correct, correct);
    assert.ok(correct >= 1);
    const u8 = softmaxCrossEntropy(logits, Uint8Array.from(labels), n, classes);
    assert.equal(u8.loss, got.loss);
    // Rows of the gradient sum to zero; the label entry is negative.
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < classes; j++) s += d[r * classes + j]!;
      assert.ok(Math.abs(s) < 1e-6);
      assert.ok(d[r * classes + labels[r]!]! <= 0);
    }
  });

  it('gradient equals finite differences of the mean loss', () => {
    const d = new Float32Array(n * classes);
    softmaxCrossEntropy(logits, labels, n, classes, d);
    const h = 1e-2;
    for (let j = 0; j < logits.length; j++) {
      const x = logits.slice();
      x[j] = logits[j]! + h;
      const hp = x[j]!;
      const lp = softmaxCrossEntropy(x, labels, n, classes).loss;
      x[j] = logits[j]! - h;
      const hm = x[j]!;
      const lm = softmaxCrossEntropy(x, labels, n, classes).loss;
      const fd = (lp - lm) / (hp - hm);
      assert.ok(Math.abs(fd - d[j]!) <= 1e-4 + 1e-2 * Math.abs(d[j]!), `dLogits[${j}] ${d[j]} vs ${fd}`);
    }
  });

  it('refuses an out-of-range label', () => {
    assert.throws(() => softmaxCrossEntropy(logits, Int32Array.from([0, 1, 2, 3, 7]), n, classes), RangeError);
  });
});

describe('distillationLoss', () => {
  const n = 4;
  const classes = 6;
  const rng = new Rng(7);
  const logits = Float32Array.from({ length: n * classes }, () => rng.normal() * 2);
  const teacher = Float32Array.from({ length: n * classes }, () => rng.normal() * 3);
  const labels = Int32Array.from([1, 0, 5, 2]);

  it('alpha 0 is cross-entropy; a student equal to its teacher pays no teacher term', () => {
    const d0 = new Float32Array(n * classes), d1 = new Float32Array(n * classes);
    const ce = softmaxCrossEntropy(logits, labels, n, classes, d0);
    const kd = distillationLoss(logits, labels, teacher, n, classes, { alpha: 0, temperature: 4 }, d1);
    assert.equal(kd.loss, ce.loss);
    assert.deepEqual(d1, d0);
    const self = distillationLoss(logits, labels, logits, n, classes, { alpha: 1, temperature: 3 }, d1);
    assert.ok(Math.abs(self.loss) < 1e-12, `KL(p || p) = ${self.loss}`);
    for (const v of d1) assert.ok(Math.abs(v) < 1e-7);
    assert.equal(self.correct, ce.correct);
  });

  it('the teacher term is T²·KL(teacher_T || student_T), and its gradient equals finite differences', () => {
    const cfg = { alpha: 0.7, temperature: 2.5 };
    const T = cfg.temperature;
    let kl = 0;
    for (let r = 0; r < n; r++) {
      const sm = (x: Float32Array) => {
        const row = Array.from(x.subarray(r * classes, (r + 1) * classes), (v) => Math.exp(v / T));
        const s = row.reduce((a, b) => a + b, 0);
        return row.map((v) => v / s);
      };
      const p = sm(teacher), q = sm(logits);
      for (let j = 0; j < classes; j++) kl += p[j]! * Math.log(p[j]! / q[j]!);
    }
    const want = (1 - cfg.alpha) * softmaxCrossEntropy(logits, labels, n, classes).loss + (cfg.alpha * T * T * kl) / n;
    const d = new Float32Array(n * classes);
    const got = distillationLoss(logits, labels, teacher, n, classes, cfg, d);
    assert.ok(Math.abs(got.loss - want) < 1e-9 * (1 + want), `${got.loss} vs ${want}`);
    const h = 1e-2;
    for (let j = 0; j < logits.length; j++) {
      const x = logits.slice();
      x[j] = logits[j]! + h;
      const hp = x[j]!;
      const lp = distillationLoss(x, labels, teacher, n, classes, cfg).loss;
      x[j] = logits[j]! - h;
      const hm = x[j]!;
      const lm = distillationLoss(x, labels, teacher, n, classes, cfg).loss;
      const fd = (lp - lm) / (hp - hm);
      assert.ok(Math.abs(fd - d[j]!) <= 1e-4 + 1e-2 * Math.abs(d[j]!), `dLogits[${j}] ${d[j]} vs ${fd}`);
    }
  });
});
