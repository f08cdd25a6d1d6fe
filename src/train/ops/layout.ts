/**
 * Layout helpers shared by the training ops: where element (i0, i1, ...) of an IR-order shape is
 * stored (NHWC for rank 4, row-major otherwise, as types.ts says), strided walks, broadcast
 * reductions and the decoding of constant int inputs.
 */
import { fail } from '../../errors.js';
import { sizeOf, stridesOf } from '../../graph/tensor.js';

/**
 * Storage strides in elements, indexed by IR axis: rank 4 [N, C, H, W] is stored NHWC, so its
 * strides are [H·W·C, 1, W·C, C]; any other rank is row-major in IR order.
 */
export function storageStrides(shape: readonly number[]): number[] {
  if (shape.length === 4) {
    const [, c, h, w] = shape as [number, number, number, number];
    return [h * w * c, 1, w * c, c];
  }
  return stridesOf(shape);
}

/** IR axes listed from outermost to innermost in storage: [0, 2, 3, 1] for rank 4, identity otherwise. */
export function storageOrder(rank: number): number[] {
  return rank === 4 ? [0, 2, 3, 1] : Array.from({ length: rank }, (_, i) => i);
}

/** True when storage order equals IR row-major order (rank ≠ 4, or a rank-4 tensor with C = 1 or H·W = 1). */
export function isRowMajorStorage(shape: readonly number[]): boolean {
  return shape.length !== 4 || shape[1] === 1 || shape[2]! * shape[3]! === 1;
}

/**
 * Channel-wise view of a tensor whose axis 1 is the channel: element (o, c, i) at (o·C + c)·inner + i.
 * Rank 4 (NHWC) and rank 2 have the channel innermost (inner = 1); other ranks are [N, C, rest...].
 */
export function channelLayout(shape: readonly number[]): { outer: number; channels: number; inner: number } {
  const channels = shape[1] ?? 1;
  if (shape.length === 4) return { outer: shape[0]! * shape[2]! * shape[3]!, channels, inner: 1 };
  return { outer: shape[0]!, channels, inner: sizeOf(shape.slice(2)) };
}

/**
 * Storage strides of `shape` read as if broadcast to `outShape` (numpy rules: right-aligned,
 * stride 0 on the axes where `shape` has size 1 or is missing). Indexed by the axes of `outShape`.
 */
export function alignedStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = storageStrides(shape);
  const r = outShape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const j = r - shape.length + i;
    out[j] = shape[i] === 1 ? 0 : own[i]!;
  }
  return out;
}

/**
 * Visits every multi-index of `shape` in row-major order of the given axis order, passing three
 * offsets computed with three stride sets (indexed like `shape`) from three bases. A shape with
 * no axes is visited once; one with a zero dimension never.
 */
export function walk3(
  shape: readonly number[], s0: readonly number[], s1: readonly number[], s2: readonly number[],
  b0: number, b1: number, b2: number, f: (o0: number, o1: number, o2: number) => void,
): void {
  const r = shape.length;
  for (const d of shape) if (d === 0) return;
  if (r === 0) {
    f(b0, b1, b2);
    return;
  }
  const L = r - 1;
  const n = shape[L]!, l0 = s0[L]!, l1 = s1[L]!, l2 = s2[L]!;
  const pos = new Array<number>(r).fill(0);
  let o0 = b0, o1 = b1, o2 = b2;
  for (;;) {
    for (let i = 0; i < n; i++) f(o0 + i * l0, o1 + i * l1, o2 + i * l2);
    let d = L - 1;
    for (; d >= 0; d--) {
      pos[d]!++;
      o0 += s0[d]!; o1 += s1[d]!; o2 += s2[d]!;
      if (pos[d]! < shape[d]!) break;
      o0 -= s0[d]! * shape[d]!; o1 -= s1[d]! * shape[d]!; o2 -= s2[d]! * shape[d]!;
      pos[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Picks `axes` out of each per-axis array (e.g. to walk in storage order or over a subset of axes). */
export function pick<T>(xs: readonly T[], axes: readonly number[]): T[] {
  return axes.map((a) => xs[a]!);
}

/**
 * Elementwise with numpy broadcasting on stored tensors: f(outOffset, aOffset, bOffset) for every
 * output element, in output storage order.
 */
export function forEachBroadcast(outShape: readonly number[], aShape: readonly number[], bShape: readonly number[], f: (o: number, a: number, b: number) => void): void {
  const order = storageOrder(outShape.length);
  walk3(pick(outShape, order), pick(storageStrides(outShape), order), pick(alignedStrides(aShape, outShape), order), pick(alignedStrides(bShape, outShape), order), 0, 0, 0, f);
}

/**
 * The gradient of an operand that was broadcast to `outShape`: for every element t of the operand,
 *     dTarget[t] += scale · Σ term(o, b)
 * over the output elements o that read t (b: the matching offset into a second operand of shape
 * `otherShape`, 0 when there is none). `scale` may depend on t. Summed in float64, no scratch memory.
 */
export function sumOverBroadcast(
  outShape: readonly number[], targetShape: readonly number[], otherShape: readonly number[] | undefined,
  dTarget: Float32Array, scale: number | ((t: number) => number), term: (o: number, b: number) => number,
): void {
  const r = outShape.length;
  const os = storageStrides(outShape);
  const ts = alignedStrides(targetShape, outShape);
  const bs = otherShape === undefined ? new Array<number>(r).fill(0) : alignedStrides(otherShape, outShape);
  const kept: number[] = [];
  const reduced: number[] = [];
  for (let d = 0; d < r; d++) {
    const td = targetShape[d - (r - targetShape.length)] ?? 1;
    (td === 1 && outShape[d] !== 1 ? reduced : kept).push(d);
  }
  const zeros = new Array<number>(reduced.length).fill(0);
  const rShape = pick(outShape, reduced), rOut = pick(os, reduced), rB = pick(bs, reduced);
  walk3(pick(outShape, kept), pick(os, kept), pick(ts, kept), pick(bs, kept), 0, 0, 0, (o0, t0, b0) => {
    let s = 0;
    walk3(rShape, rOut, zeros, rB, o0, 0, b0, (o, _z, b) => { s += term(o, b); });
    dTarget[t0]! += (typeof scale === 'number' ? scale : scale(t0)) * s;
  });
}

/**
 * Walks `walkShape` in its storage order and, in runs, finds the elements of a tensor of shape
 * `otherShape` they correspond to through per-axis index maps: other index on axis d =
 * maps[d][index on axis d], or -1 (no element: padding). f(walkOffset, otherOffset or -1, length)
 * covers `length` consecutive walk elements that map to consecutive other elements (or all to
 * padding). Runs lie along the innermost storage axis (channels in NHWC), so Slice, Pad and Concat
 * copy with tight loops instead of a call per element. Maps are O(dimension) each.
 */
export function forEachMappedRun(walkShape: readonly number[], otherShape: readonly number[], maps: readonly Int32Array[], f: (w: number, o: number, length: number) => void): void {
  const r = walkShape.length;
  const total = sizeOf(walkShape);
  if (total === 0) return;
  if (r === 0) {
    f(0, 0, 1);
    return;
  }
  const order = storageOrder(r);
  const shape = pick(walkShape, order);
  const mp = pick(maps, order);
  const os = pick(storageStrides(otherShape), order);
  const inner = r - 1;
  const ni = shape[inner]!, mi = mp[inner]!, si = os[inner]!;
  // Runs of the innermost axis, once: [start, length, other index or -1] (consecutive only when stride 1).
  const runs: number[] = [];
  for (let k = 0; k < ni; ) {
    const i0 = mi[k]!;
    let len = 1;
    if (i0 < 0) while (k + len < ni && mi[k + len]! < 0) len++;
    else if (si === 1) while (k + len < ni && mi[k + len] === i0 + len) len++;
    runs.push(k, len, i0);
    k += len;
  }
  const pos = new Array<number>(inner).fill(0);
  let w = 0;
  for (let q = total / ni; q > 0; q--) {
    let base = 0;
    for (let d = 0; d < inner; d++) {
      const i = mp[d]![pos[d]!]!;
      if (i < 0) {
        base = -1;
        break;
      }
      base += i * os[d]!;
    }
    if (base < 0) f(w, -1, ni);
    else for (let j = 0; j < runs.length; j += 3) f(w + runs[j]!, runs[j + 2]! < 0 ? -1 : base + runs[j + 2]! * si, runs[j + 1]!);
    w += ni;
    for (let d = inner - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
}

/** Row-major odometer over an IR shape that tracks the storage offset of the current element. */
export class StorageCursor {
  private readonly pos: number[];
  private readonly strides: number[];
  offset = 0;

  constructor(private readonly shape: readonly number[]) {
    this.pos = new Array<number>(shape.length).fill(0);
    this.strides = storageStrides(shape);
  }

  next(): void {
    for (let d = this.shape.length - 1; d >= 0; d--) {
      this.offset += this.strides[d]!;
      if (++this.pos[d]! < this.shape[d]!) return;
      this.offset -= this.strides[d]! * this.shape[d]!;
      this.pos[d] = 0;
    }
  }
}

/**
 * Decodes a constant int input (Slice's starts/ends/axes/steps, Pad's pads/axes, Reshape's shape).
 * types.ts hands every input over as an f32 copy; f32 holds every integer up to 2^24 exactly, which
 * covers shapes, axes and indices. Larger magnitudes only occur as "to the end" sentinels such as
 * INT64_MAX / INT64_MIN in Slice, whose exact value does not matter because Slice clamps them:
 * they decode to ±Number.MAX_SAFE_INTEGER. Use int64ToF32 to make such a copy.
 */
export function constInts(buf: Float32Array | undefined, op: string, what: string): number[] {
  if (buf === undefined) fail('UNSUPPORTED', `${op}: ${what} must be given as a constant input`);
  return Array.from(buf, (v) => (v >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : v <= -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : Math.trunc(v)));
}

/**
 * The f32 copy of an int64 constant that training ops expect (see constInts): values beyond the
 * safe-integer range are clamped first, so INT64_MAX becomes ≈ 9.007e15 and still means "to the end".
 */
export function int64ToF32(data: BigInt64Array): Float32Array {
  const out = new Float32Array(data.length);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[i] = v > max ? Number.MAX_SAFE_INTEGER : v < -max ? -Number.MAX_SAFE_INTEGER : Number(v);
  }
  return out;
}

/** `needs` answer of an op whose backward reads nothing but the output gradients. */
export function needsNothing(shapes: { readonly inputs: readonly unknown[]; readonly outputs: readonly unknown[] }): { inputs: boolean[]; outputs: boolean[] } {
  return { inputs: shapes.inputs.map(() => false), outputs: shapes.outputs.map(() => false) };
}

/** `needs` answer listing the given input and output indices. */
export function needsOnly(shapes: { readonly inputs: readonly unknown[]; readonly outputs: readonly unknown[] }, inputs: readonly number[], outputs: readonly number[] = []): { inputs: boolean[]; outputs: boolean[] } {
  return { inputs: shapes.inputs.map((_, i) => inputs.includes(i)), outputs: shapes.outputs.map((_, i) => outputs.includes(i)) };
}

/** The input buffer i, which the op requires. */
export function req(bufs: readonly (Float32Array | undefined)[], i: number, op: string): Float32Array {
  const b = bufs[i];
  if (b === undefined) throw new Error(`internal error: ${op}: buffer ${i} is missing`);
  return b;
}

/** The IR shape of input i, which the op requires. */
export function shapeOf(shapes: { readonly inputs: readonly (readonly number[] | undefined)[] }, i: number, op: string): readonly number[] {
  const s = shapes.inputs[i];
  if (s === undefined) throw new Error(`internal error: ${op}: input ${i} has no shape`);
  return s;
}
