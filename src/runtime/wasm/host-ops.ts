/**
 * Data-movement ops done on the host directly in the arena's NHWC layout (no transposes): the
 * strided Slice and channel Pad of ResNet-CIFAR's option-A shortcut, and Concat on channels.
 * Everything they cannot express falls back to the reference kernel (lower.ts hostStep).
 */
import { fullPads, sliceSpec } from '../../graph/ops/shape-ops.js';
import { intValues, type Tensor } from '../../graph/tensor.js';

/** NCHW axis → position in NHWC order. */
const NHWC_POS = [0, 3, 1, 2];

export interface NhwcSlice {
  readonly start: readonly number[]; // per NHWC axis
  readonly step: readonly number[];
  readonly out: readonly number[]; // output shape, NHWC
  readonly inp: readonly number[]; // input shape, NHWC
}

export function nhwcSlice(shape: readonly number[], starts: Tensor, ends: Tensor, axes: Tensor | undefined, steps: Tensor | undefined): NhwcSlice {
  const spec = sliceSpec(shape, intValues(starts), intValues(ends), axes && intValues(axes), steps && intValues(steps), 'Slice');
  const toNhwc = (a: readonly number[]) => [a[0]!, a[2]!, a[3]!, a[1]!];
  return { start: toNhwc(spec.starts), step: toNhwc(spec.steps), out: toNhwc(spec.outShape), inp: toNhwc(shape) };
}

export function runNhwcSlice(mem: Float32Array, src: number, dst: number, s: NhwcSlice): void {
  const [, H, W, C] = s.inp as [number, number, number, number];
  const [N, OH, OW, OC] = s.out as [number, number, number, number];
  let o = dst;
  for (let n = 0; n < N; n++) {
    const ni = s.start[0]! + n * s.step[0]!;
    for (let y = 0; y < OH; y++) {
      const iy = s.start[1]! + y * s.step[1]!;
      for (let x = 0; x < OW; x++) {
        const ix = s.start[2]! + x * s.step[2]!;
        const base = src + ((ni * H + iy) * W + ix) * C + s.start[3]!;
        if (s.step[3] === 1) mem.copyWithin(o, base, base + OC);
        else for (let c = 0; c < OC; c++) mem[o + c] = mem[base + c * s.step[3]!]!;
        o += OC;
      }
    }
  }
}

export interface NhwcPad {
  readonly begin: readonly number[]; // NHWC order
  readonly inp: readonly number[];
  readonly out: readonly number[];
  readonly value: number;
}

/** Constant-mode Pad with non-negative pads, or undefined when the host fast path does not apply. */
export function nhwcPad(shape: readonly number[], pads: Tensor, value: Tensor | undefined, axes: Tensor | undefined): NhwcPad | undefined {
  const p = fullPads(4, intValues(pads), axes && intValues(axes), 'Pad');
  if (p.some((v) => v < 0)) return undefined;
  const begin = NHWC_POS.map((_, i) => p[[0, 2, 3, 1][i]!]!);
  const end = NHWC_POS.map((_, i) => p[4 + [0, 2, 3, 1][i]!]!);
  const inp = [shape[0]!, shape[2]!, shape[3]!, shape[1]!];
  const v = value === undefined || value.data.length === 0 ? 0 : Number(value.data[0]!);
  return { begin, inp, out: inp.map((d, i) => d + begin[i]! + end[i]!), value: v };
}

export function runNhwcPad(mem: Float32Array, src: number, dst: number, p: NhwcPad): void {
  const [N, H, W, C] = p.inp as [number, number, number, number];
  const [, OH, OW, OC] = p.out as [number, number, number, number];
  const total = p.out.reduce((a, b) => a * b, 1);
  mem.fill(p.value, dst, dst + total);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const s = src + ((n * H + y) * W + x) * C;
        const d = dst + (((n + p.begin[0]!) * OH + y + p.begin[1]!) * OW + x + p.begin[2]!) * OC + p.begin[3]!;
        mem.copyWithin(d, s, s + C);
      }
    }
  }
}
