/**
 * Dense tensors. Row-major, shape in ONNX order (NCHW for images). int64 is kept as BigInt64Array
 * so constants such as Slice's INT64_MAX survive an import/export round trip bit for bit.
 */
export type DType = 'float32' | 'int64';

export interface FloatTensor {
  readonly dtype: 'float32';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface IntTensor {
  readonly dtype: 'int64';
  readonly shape: readonly number[];
  readonly data: BigInt64Array;
}

export type Tensor = FloatTensor | IntTensor;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function floatTensor(shape: readonly number[], data?: Float32Array | readonly number[]): FloatTensor {
  const n = sizeOf(shape);
  const buf = data === undefined ? new Float32Array(n) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (buf.length !== n) throw new Error(`internal error: float tensor of shape [${shape.join(',')}] needs ${n} values, got ${buf.length}`);
  return { dtype: 'float32', shape: [...shape], data: buf };
}

export function intTensor(shape: readonly number[], data: BigInt64Array | readonly (number | bigint)[]): IntTensor {
  const buf = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  if (buf.length !== sizeOf(shape)) throw new Error(`internal error: int tensor of shape [${shape.join(',')}] needs ${sizeOf(shape)} values, got ${buf.length}`);
  return { dtype: 'int64', shape: [...shape], data: buf };
}

/** int64 values as JS numbers, clamped to the safe range (enough for shapes, axes and Slice bounds). */
export function intValues(t: Tensor): number[] {
  if (t.dtype === 'float32') return Array.from(t.data, (v) => Math.trunc(v));
  const out: number[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    out[i] = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : v < BigInt(Number.MIN_SAFE_INTEGER) ? Number.MIN_SAFE_INTEGER : Number(v);
  }
  return out;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapeString(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
