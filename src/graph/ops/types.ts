/**
 * The contract every op definition fulfils: attribute parsing (from a neutral attribute map,
 * so graph/ does not depend on protobuf), serialisation back to that map, and shape inference.
 */
import { fail } from '../../errors.js';
import type { DType, Tensor } from '../tensor.js';
import type { OpAttrs, OpType } from '../attrs.js';

export type RawAttr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: Tensor };

export type RawAttrs = ReadonlyMap<string, RawAttr>;

/** A concrete value type after shapes are bound. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface InferContext<O extends OpType> {
  readonly node: string;
  readonly attrs: OpAttrs[O];
  /** undefined for an absent optional input. */
  readonly inputs: readonly (ValueType | undefined)[];
  /** Known constant values of inputs (initializers and folded shape computations). */
  readonly values: readonly (Tensor | undefined)[];
}

export interface OpDef<O extends OpType> {
  readonly op: O;
  /** [min, max] number of inputs (counting trailing optional ones). */
  readonly inputs: readonly [number, number];
  /** [min, max] number of outputs. */
  readonly outputs: readonly [number, number];
  parse(a: AttrReader, opset: number): OpAttrs[O];
  serialize(attrs: OpAttrs[O]): [string, RawAttr][];
  infer(ctx: InferContext<O>): ValueType[];
}

/** Reads attributes with defaults and names the node and attribute when a value is wrong. */
export class AttrReader {
  constructor(private readonly raw: RawAttrs, readonly node: string, readonly op: string) {}

  has(name: string): boolean {
    return this.raw.has(name);
  }

  private get(name: string, kind: RawAttr['kind']): RawAttr | undefined {
    const a = this.raw.get(name);
    if (a !== undefined && a.kind !== kind) this.bad(name, `expected ${kind}, got ${a.kind}`);
    return a;
  }

  int(name: string, dflt: number): number {
    const a = this.get(name, 'int');
    return a?.kind === 'int' ? a.value : dflt;
  }

  ints(name: string): readonly number[] | undefined {
    const a = this.get(name, 'ints');
    return a?.kind === 'ints' ? a.value : undefined;
  }

  float(name: string, dflt: number): number {
    const a = this.get(name, 'float');
    return a?.kind === 'float' ? a.value : dflt;
  }

  string(name: string, dflt: string): string {
    const a = this.get(name, 'string');
    return a?.kind === 'string' ? a.value : dflt;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.get(name, 'tensor');
    return a?.kind === 'tensor' ? a.value : undefined;
  }

  raw_(name: string): RawAttr | undefined {
    return this.raw.get(name);
  }

  /** A pair of spatial ints (H, W); rejects other ranks with a clear message. */
  pair(name: string, dflt: number): readonly [number, number] {
    const v = this.ints(name);
    if (v === undefined) return [dflt, dflt];
    if (v.length !== 2) this.unsupported(`${name}=[${v.join(',')}]: only 2-D (image) ${this.op} is supported`);
    return [v[0]!, v[1]!];
  }

  pads(): readonly [number, number, number, number] {
    const v = this.ints('pads');
    if (v === undefined) return [0, 0, 0, 0];
    if (v.length !== 4) this.unsupported(`pads=[${v.join(',')}]: only 2-D (image) ${this.op} is supported`);
    return [v[0]!, v[1]!, v[2]!, v[3]!];
  }

  bad(name: string, why: string): never {
    fail('INVALID_MODEL', `node '${this.node}' (${this.op}): attribute '${name}' ${why}`);
  }

  unsupported(why: string): never {
    fail('UNSUPPORTED', `node '${this.node}' (${this.op}): ${why}`);
  }
}

export function inferError(node: string, op: string, why: string): never {
  fail('SHAPE_MISMATCH', `node '${node}' (${op}): ${why}`);
}

/** The type of input i, or a clear error if a required input is missing. */
export function need<O extends OpType>(ctx: InferContext<O>, i: number, op: string): ValueType {
  const t = ctx.inputs[i];
  if (t === undefined) inferError(ctx.node, op, `input ${i} is required`);
  return t;
}

export function normAxis(axis: number, rank: number, node: string, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) inferError(node, op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}
