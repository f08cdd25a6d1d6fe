/** Ops that move or reinterpret data without arithmetic, including the shape subgraphs exporters emit. */
import { fail } from '../../errors.js';
import { NO_ATTRS } from '../attrs.js';
import { intValues, sizeOf, type Tensor } from '../tensor.js';
import { inferError, need, normAxis, type InferContext, type OpDef, type ValueType } from './types.js';
import type { OpType } from '../attrs.js';

/** A constant int input needed to know the output shape (e.g. Reshape's shape). */
function constInts<O extends OpType>(ctx: InferContext<O>, i: number, op: string, what: string): number[] {
  const v = ctx.values[i];
  if (v === undefined) fail('UNSUPPORTED', `node '${ctx.node}' (${op}): ${what} must be a constant (or computable from static shapes)`);
  return intValues(v);
}

export const Flatten: OpDef<'Flatten'> = {
  op: 'Flatten',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: (a) => ({ axis: a.int('axis', 1) }),
  serialize: (attrs) => [['axis', { kind: 'int', value: attrs.axis }]],
  infer(ctx) {
    const x = need(ctx, 0, 'Flatten');
    const r = x.shape.length;
    const axis = ctx.attrs.axis < 0 ? ctx.attrs.axis + r : ctx.attrs.axis;
    if (axis < 0 || axis > r) inferError(ctx.node, 'Flatten', `axis ${ctx.attrs.axis} is out of range for rank ${r}`);
    return [{ dtype: x.dtype, shape: [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))] }];
  },
};

export function reshapeTarget(inShape: readonly number[], spec: readonly number[], allowZero: boolean, node: string): number[] {
  const total = sizeOf(inShape);
  let unknown = -1;
  const out = spec.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= inShape.length) inferError(node, 'Reshape', `0 at position ${i} copies a dimension the input does not have`);
      return inShape[i]!;
    }
    if (d === -1) {
      if (unknown >= 0) inferError(node, 'Reshape', 'more than one -1 in the target shape');
      unknown = i;
      return 1;
    }
    if (d < 0) inferError(node, 'Reshape', `invalid target dimension ${d}`);
    return d;
  });
  const known = sizeOf(out);
  if (unknown >= 0) {
    if (known === 0 || total % known !== 0) inferError(node, 'Reshape', `cannot reshape [${inShape.join(',')}] to [${spec.join(',')}]`);
    out[unknown] = total / known;
  }
  if (sizeOf(out) !== total) inferError(node, 'Reshape', `cannot reshape [${inShape.join(',')}] (${total} elements) to [${spec.join(',')}]`);
  return out;
}

export const Reshape: OpDef<'Reshape'> = {
  op: 'Reshape',
  inputs: [2, 2],
  outputs: [1, 1],
  parse: (a) => ({ allowZero: a.int('allowzero', 0) !== 0 }),
  serialize: (attrs) => (attrs.allowZero ? [['allowzero', { kind: 'int', value: 1 }]] : []),
  infer(ctx) {
    const x = need(ctx, 0, 'Reshape');
    const spec = constInts(ctx, 1, 'Reshape', 'the target shape');
    return [{ dtype: x.dtype, shape: reshapeTarget(x.shape, spec, ctx.attrs.allowZero, ctx.node) }];
  },
};

export const Concat: OpDef<'Concat'> = {
  op: 'Concat',
  inputs: [1, Infinity],
  outputs: [1, 1],
  parse(a) {
    if (!a.has('axis')) a.bad('axis', 'is required');
    return { axis: a.int('axis', 0) };
  },
  serialize: (attrs) => [['axis', { kind: 'int', value: attrs.axis }]],
  infer(ctx) {
    const first = need(ctx, 0, 'Concat');
    const r = first.shape.length;
    const axis = normAxis(ctx.attrs.axis, r, ctx.node, 'Concat');
    const shape = [...first.shape];
    shape[axis] = 0;
    ctx.inputs.forEach((t, i) => {
      if (t === undefined) inferError(ctx.node, 'Concat', `input ${i} is missing`);
      if (t.dtype !== first.dtype) inferError(ctx.node, 'Concat', 'inputs have different types');
      if (t.shape.length !== r || t.shape.some((d, j) => j !== axis && d !== first.shape[j])) inferError(ctx.node, 'Concat', `input ${i} [${t.shape.join(',')}] does not match [${first.shape.join(',')}] off axis ${axis}`);
      shape[axis]! += t.shape[axis]!;
    });
    return [{ dtype: first.dtype, shape }];
  },
};

export const Constant: OpDef<'Constant'> = {
  op: 'Constant',
  inputs: [0, 0],
  outputs: [1, 1],
  parse(a) {
    const t = a.tensor('value');
    if (t !== undefined) return { value: t };
    const f = a.raw_('value_float');
    if (f?.kind === 'float') return { value: { dtype: 'float32', shape: [], data: Float32Array.of(f.value) } };
    const fs = a.raw_('value_floats');
    if (fs?.kind === 'floats') return { value: { dtype: 'float32', shape: [fs.value.length], data: Float32Array.from(fs.value) } };
    const i = a.raw_('value_int');
    if (i?.kind === 'int') return { value: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(i.value)) } };
    const is = a.raw_('value_ints');
    if (is?.kind === 'ints') return { value: { dtype: 'int64', shape: [is.value.length], data: BigInt64Array.from(is.value, (v) => BigInt(v)) } };
    return a.unsupported('only value, value_float(s) and value_int(s) constants are supported');
  },
  serialize: (attrs) => [['value', { kind: 'tensor', value: attrs.value }]],
  infer: (ctx) => [{ dtype: ctx.attrs.value.dtype, shape: ctx.attrs.value.shape }],
};

export const Shape: OpDef<'Shape'> = {
  op: 'Shape',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: (a) => (a.has('end') ? { start: a.int('start', 0), end: a.int('end', 0) } : { start: a.int('start', 0) }),
  serialize: (attrs) => {
    const out: [string, import('./types.js').RawAttr][] = [];
    if (attrs.start !== 0) out.push(['start', { kind: 'int', value: attrs.start }]);
    if (attrs.end !== undefined) out.push(['end', { kind: 'int', value: attrs.end }]);
    return out;
  },
  infer(ctx) {
    const x = need(ctx, 0, 'Shape');
    const [s, e] = shapeRange(x.shape.length, ctx.attrs.start, ctx.attrs.end);
    return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
  },
};

export function shapeRange(rank: number, start: number, end: number | undefined): [number, number] {
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(start), clamp(end ?? rank)];
}

export const Gather: OpDef<'Gather'> = {
  op: 'Gather',
  inputs: [2, 2],
  outputs: [1, 1],
  parse: (a) => ({ axis: a.int('axis', 0) }),
  serialize: (attrs) => [['axis', { kind: 'int', value: attrs.axis }]],
  infer(ctx) {
    const data = need(ctx, 0, 'Gather');
    const idx = need(ctx, 1, 'Gather');
    if (idx.dtype !== 'int64') inferError(ctx.node, 'Gather', 'indices must be int64');
    const axis = normAxis(ctx.attrs.axis, data.shape.length, ctx.node, 'Gather');
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
  },
};

/** Axes come from the attribute (opset < 13) or the second input (opset 13+). */
function axesOf(ctx: InferContext<'Unsqueeze' | 'Squeeze'>, op: string): number[] | undefined {
  if (ctx.attrs.axes !== undefined) return [...ctx.attrs.axes];
  if (ctx.inputs[1] === undefined) return undefined;
  return constInts(ctx, 1, op, 'axes');
}

export const Unsqueeze: OpDef<'Unsqueeze'> = {
  op: 'Unsqueeze',
  inputs: [1, 2],
  outputs: [1, 1],
  parse: (a, opset) => (opset < 13 ? { axes: a.ints('axes') ?? a.bad('axes', 'is required') } : {}),
  serialize: () => [],
  infer(ctx) {
    const x = need(ctx, 0, 'Unsqueeze');
    const axes = axesOf(ctx, 'Unsqueeze');
    if (axes === undefined) inferError(ctx.node, 'Unsqueeze', 'axes are required');
    return [{ dtype: x.dtype, shape: unsqueezeShape(x.shape, axes, ctx.node) }];
  },
};

export function unsqueezeShape(shape: readonly number[], axes: readonly number[], node: string): number[] {
  const r = shape.length + axes.length;
  const norm = new Set(axes.map((a) => normAxis(a, r, node, 'Unsqueeze')));
  if (norm.size !== axes.length) inferError(node, 'Unsqueeze', 'repeated axes');
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(norm.has(i) ? 1 : shape[j++]!);
  return out;
}

export const Squeeze: OpDef<'Squeeze'> = {
  op: 'Squeeze',
  inputs: [1, 2],
  outputs: [1, 1],
  parse: (a, opset) => {
    const axes = a.ints('axes');
    return opset < 13 && axes !== undefined ? { axes } : {};
  },
  serialize: () => [],
  infer(ctx) {
    const x = need(ctx, 0, 'Squeeze');
    return [{ dtype: x.dtype, shape: squeezeShape(x.shape, axesOf(ctx, 'Squeeze'), ctx.node) }];
  },
};

export function squeezeShape(shape: readonly number[], axes: readonly number[] | undefined, node: string): number[] {
  if (axes === undefined) return shape.filter((d) => d !== 1);
  const norm = new Set(axes.map((a) => normAxis(a, shape.length, node, 'Squeeze')));
  for (const a of norm) if (shape[a] !== 1) inferError(node, 'Squeeze', `axis ${a} has size ${shape[a]}, not 1`);
  return shape.filter((_, i) => !norm.has(i));
}

export interface SliceSpec { readonly starts: number[]; readonly ends: number[]; readonly steps: number[]; readonly outShape: number[] }

/** ONNX Slice semantics: per-axis clamping, negative indices and negative steps. */
export function sliceSpec(shape: readonly number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined, node: string): SliceSpec {
  const r = shape.length;
  const st = shape.map(() => 0);
  const en = [...shape];
  const sp = shape.map(() => 1);
  const ax = axes ?? starts.map((_, i) => i);
  if (starts.length !== ends.length || ax.length !== starts.length || (steps !== undefined && steps.length !== starts.length)) inferError(node, 'Slice', 'starts, ends, axes and steps must have the same length');
  ax.forEach((a0, i) => {
    const a = normAxis(a0, r, node, 'Slice');
    const d = shape[a]!;
    const step = steps?.[i] ?? 1;
    if (step === 0) inferError(node, 'Slice', 'step 0');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    st[a] = s;
    en[a] = e;
    sp[a] = step;
  });
  const outShape = shape.map((_, a) => Math.max(0, Math.ceil((en[a]! - st[a]!) / sp[a]!)));
  return { starts: st, ends: en, steps: sp, outShape };
}

export const Slice: OpDef<'Slice'> = {
  op: 'Slice',
  inputs: [3, 5],
  outputs: [1, 1],
  parse(a, opset) {
    if (opset < 10) a.unsupported('Slice with attributes (opset < 10) is not supported');
    return NO_ATTRS;
  },
  serialize: () => [],
  infer(ctx) {
    const x = need(ctx, 0, 'Slice');
    const opt = (i: number, what: string) => (ctx.inputs[i] === undefined ? undefined : constInts(ctx, i, 'Slice', what));
    const spec = sliceSpec(x.shape, constInts(ctx, 1, 'Slice', 'starts'), constInts(ctx, 2, 'Slice', 'ends'), opt(3, 'axes'), opt(4, 'steps'), ctx.node);
    return [{ dtype: x.dtype, shape: spec.outShape }];
  },
};

/** Pads as [begin_0..begin_r-1, end_0..end_r-1] over all axes, after applying the optional axes input. */
export function fullPads(rank: number, pads: number[], axes: number[] | undefined, node: string): number[] {
  const ax = axes ?? Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * ax.length) inferError(node, 'Pad', `pads has ${pads.length} values, expected ${2 * ax.length}`);
  const out = new Array<number>(2 * rank).fill(0);
  ax.forEach((a0, i) => {
    const a = normAxis(a0, rank, node, 'Pad');
    out[a] = pads[i]!;
    out[a + rank] = pads[i + ax.length]!;
  });
  return out;
}

export const Pad: OpDef<'Pad'> = {
  op: 'Pad',
  inputs: [2, 4],
  outputs: [1, 1],
  parse(a, opset) {
    if (opset < 11) a.unsupported('Pad with attributes (opset < 11) is not supported');
    const mode = a.string('mode', 'constant');
    if (mode === 'constant' || mode === 'reflect' || mode === 'edge') return { mode };
    return a.unsupported(`mode '${mode}' is not supported`);
  },
  serialize: (attrs) => [['mode', { kind: 'string', value: attrs.mode }]],
  infer(ctx) {
    const x = need(ctx, 0, 'Pad');
    const r = x.shape.length;
    const axes = ctx.inputs[3] === undefined ? undefined : constInts(ctx, 3, 'Pad', 'axes');
    const pads = fullPads(r, constInts(ctx, 1, 'Pad', 'pads'), axes, ctx.node);
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
    if (shape.some((d) => d < 0)) inferError(ctx.node, 'Pad', 'negative pads remove more than the input has');
    return [{ dtype: x.dtype, shape }];
  },
};

export const Cast: OpDef<'Cast'> = {
  op: 'Cast',
  inputs: [1, 1],
  outputs: [1, 1],
  parse(a) {
    const to = a.int('to', 0);
    // TensorProto.DataType: 1 = FLOAT, 7 = INT64.
    if (to === 1) return { to: 'float32' };
    if (to === 7) return { to: 'int64' };
    return a.unsupported(`Cast to data type ${to} is not supported (only float32 and int64)`);
  },
  serialize: (attrs) => [['to', { kind: 'int', value: attrs.to === 'float32' ? 1 : 7 }]],
  infer: (ctx): ValueType[] => [{ dtype: ctx.attrs.to, shape: need(ctx, 0, 'Cast').shape }],
};

export type { Tensor };
