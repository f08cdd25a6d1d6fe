/** Helpers shared by the WebAssembly kernel tests: tolerances, random cases, NHWC transposes, the activation oracle. */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import type { FloatTensor } from '../src/graph/tensor.js';
import { hardSigmoid, sigmoid } from '../src/kernels/ref/activation.js';
import { Act, instantiateKernels, RESERVED_BYTES, relaxedSimdSupported, type WasmKernels } from '../src/kernels/wasm/index.js';
import type { Rng } from '../src/zoo/rng.js';

/** Fills memory around every output: a kernel writing outside its range shows up. */
export const SENTINEL = -12345.5;

export function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) assert.fail(`${what}: element ${i} is ${a}, reference ${b}`);
  }
}

export function randArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}

/** NCHW → NHWC with rows of `rowC` channels, the tensor's channels at offset c0 (rest SENTINEL). */
export function toNhwc(t: FloatTensor, rowC = t.shape[1]!, c0 = 0): Float32Array {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(n * h * w * rowC).fill(SENTINEL);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(i * h * w + p) * rowC + c0 + ch] = t.data[(i * c + ch) * h * w + p]!;
  return out;
}

/** The channels [c0, c0 + c) of NHWC rows of rowC channels, as NCHW. */
export function fromNhwc(d: Float32Array, n: number, c: number, h: number, w: number, rowC = c, c0 = 0): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(i * c + ch) * h * w + p] = d[(i * h * w + p) * rowC + c0 + ch]!;
  return out;
}

/** The kernels' activation in float64, from the reference's formulas. */
export function refAct(v: number, act: number, a0: number, a1: number): number {
  switch (act) {
    case Act.relu: return v > 0 ? v : 0;
    case Act.clip: return Math.min(a1, Math.max(a0, v));
    case Act.hardswish: return v * hardSigmoid(v, 1 / 6, 0.5);
    case Act.hardsigmoid: return hardSigmoid(v, a0, a1);
    case Act.sigmoid: return sigmoid(v);
    case Act.silu: return v * sigmoid(v);
    default: return v;
  }
}

export function randAct(rng: Rng): { act: number; a0: number; a1: number } {
  const act = randInt(rng, 0, 6);
  if (act === Act.clip) return rng.next() < 0.5 ? { act, a0: 0, a1: 6 } : { act, a0: -0.3, a1: 0.4 };
  if (act === Act.hardsigmoid) return { act, a0: 0.2, a1: 0.5 };
  return { act, a0: 0, a1: 0 };
}

/** Half-open sub-ranges of [0, n): 1 to 3 random pieces, as an executor's threads would take them. */
export function splits(rng: Rng, n: number): [number, number][] {
  const cuts = [0, n];
  const pieces = randInt(rng, 1, 3);
  for (let i = 1; i < pieces; i++) cuts.push(randInt(rng, 0, n));
  cuts.sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i]! < cuts[i + 1]!) out.push([cuts[i]!, cuts[i + 1]!]);
  return out;
}


// Node 20 validates relaxed SIMD only behind this flag; it must be set before RELAXED is computed
// (this module is imported, and so runs, before any test file's own code).
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
export const RELAXED = relaxedSimdSupported();
/** The SIMD flavours to test: plain always, relaxed where this V8 validates it. */
export const FLAVOURS: readonly boolean[] = RELAXED ? [false, true] : [false];

/** One kernel instance on its own memory, with a bump allocator for test buffers. */
export interface Env {
  readonly name: string;
  readonly k: WasmKernels;
  readonly mem: WebAssembly.Memory;
  top: number;
}

const envs = new Map<string, Promise<Env>>();
export function env(relaxed: boolean, shared = false): Promise<Env> {
  const name = `${relaxed ? 'relaxed' : 'simd'}${shared ? '-shared' : ''}`;
  let e = envs.get(name);
  if (e === undefined) {
    const mem = new WebAssembly.Memory({ initial: 1024, maximum: shared ? 4096 : 65536, shared });
    e = instantiateKernels(mem, { relaxed, shared }).then((k) => ({ name, k, mem, top: RESERVED_BYTES }));
    envs.set(name, e);
  }
  return e;
}

/** Frees every test buffer of `e`. */
export function reset(e: Env): void {
  e.top = RESERVED_BYTES;
}

/** Copies `data` (floats, raw u32 words, or n sentinels) into fresh memory with 16 sentinel floats either side; returns the byte offset. */
export function put(e: Env, data: Float32Array | Uint32Array | number): number {
  const n = typeof data === 'number' ? data : data.length;
  const ptr = e.top + 64;
  e.top = ptr + Math.ceil((n * 4 + 64) / 64) * 64 + 64;
  assert.ok(e.top < e.mem.buffer.byteLength, 'test arena overflow');
  const f = new Float32Array(e.mem.buffer);
  f.fill(SENTINEL, ptr / 4 - 16, ptr / 4 + n + 16);
  if (data instanceof Float32Array) f.set(data, ptr / 4);
  else if (data instanceof Uint32Array) new Uint32Array(e.mem.buffer).set(data, ptr / 4);
  return ptr;
}

/** Fails if anything wrote into the 16 sentinel floats either side of a buffer. */
export function checkGuards(e: Env, ptr: number, n: number, what: string): void {
  const f = new Float32Array(e.mem.buffer);
  for (let i = 1; i <= 16; i++) {
    assert.equal(f[ptr / 4 - i], SENTINEL, `${what}: wrote before the buffer (${i} floats)`);
    assert.equal(f[ptr / 4 + n - 1 + i], SENTINEL, `${what}: wrote past the buffer (${i} floats)`);
  }
}

/** An output buffer's contents, after checking nothing was written around it. */
export function get(e: Env, ptr: number, n: number): Float32Array {
  checkGuards(e, ptr, n, 'output');
  return new Float32Array(e.mem.buffer).slice(ptr / 4, ptr / 4 + n);
}
