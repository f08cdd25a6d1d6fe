/**
 * Tests of the WebAssembly training kernels through their driver (src/kernels/wasm/train.ts)
 * against a float64 reference written here: forward conv, data gradient and weight/bias gradients on
 * random shapes (stride 1/2/mixed, dilation 2, asymmetric padding, groups, depthwise, channel counts
 * off the 4/8 tiles, batch > 1), with pre-filled destinations (gradients accumulate); BatchNorm
 * reductions and relu backward; the in-wasm weight packing against packing.ts; and thread-split
 * invariance: ranges cut into random pieces (a fake runner) and a real 2-thread ThreadPool must give
 * results bit-identical to one call. Plain SIMD and relaxed SIMD builds. Every buffer (including the
 * driver's workspace) is guarded by sentinels, and all workspace must be freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { ConvAttrs } from '../src/graph/attrs.js';
import { resolveWindow } from '../src/graph/geometry.js';
import { axisPhases, TrainKernels, type TrainRunner, type TrainWorkspace } from '../src/kernels/wasm/train.js';
import { packConvWeights, packDepthwiseWeights } from '../src/kernels/wasm/packing.js';
import { KERNEL_NAMES, loadKernels } from '../src/runtime/wasm/kernels.js';
import { ARGS_BYTE_OFFSET, CTL, ThreadPool } from '../src/runtime/wasm/threads.js';
import { nodeWorkerFactory } from '../src/node/runtime.js';
import { Rng } from '../src/zoo/rng.js';
import { checkGuards, env, FLAVOURS, get, put, randArray, randInt, reset, splits, type Env } from './wasm-test-utils.js';

interface Case {
  n: number; c: number; oc: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pads: [number, number, number, number]; group: number;
}

function attrsOf(c: Case): ConvAttrs {
  return { group: c.group, kernelShape: [c.kh, c.kw], strides: [c.sh, c.sw], dilations: [c.dh, c.dw], pads: c.pads, autoPad: 'NOTSET' };
}

function randomCase(rng: Rng): Case {
  const k = [1, 1, 2, 3, 3, 3, 5][randInt(rng, 0, 6)]!;
  const kw = rng.next() < 0.15 ? [1, 3][randInt(rng, 0, 1)]! : k;
  const dil = rng.next() < 0.25 ? 2 : 1;
  const s = rng.next() < 0.4 ? 2 : rng.next() < 0.1 ? 3 : 1;
  const sw = rng.next() < 0.85 ? s : [1, 2][randInt(rng, 0, 1)]!;
  const p = (kk: number) => randInt(rng, 0, Math.min(3, (kk - 1) * dil));
  const spanH = (k - 1) * dil + 1, spanW = (kw - 1) * dil + 1;
  const h = randInt(rng, Math.max(1, spanH - 2), spanH + 10);
  const w = randInt(rng, Math.max(1, spanW - 2), spanW + 10);
  const kind = rng.next();
  let group = 1, c: number, oc: number;
  if (kind < 0.2) {
    c = randInt(rng, 1, 40);
    group = c;
    oc = c; // depthwise
  } else if (kind < 0.35) {
    group = randInt(rng, 2, 3);
    c = randInt(rng, 1, 13) * group;
    oc = randInt(rng, 1, 19) * group;
  } else {
    c = randInt(rng, 1, 37);
    oc = randInt(rng, 1, 41);
  }
  return { n: randInt(rng, 1, 3), c, oc, h, w, kh: k, kw, sh: s, sw, dh: dil, dw: dil, pads: [p(k), p(kw), p(k), p(kw)], group };
}

interface Ref {
  y: Float64Array; dx: Float64Array; dw: Float64Array; db: Float64Array;
  /** Σ |terms| per element: the scale of an f32 sum's rounding error. */
  yAbs: Float64Array; dxAbs: Float64Array; dwAbs: Float64Array; dbAbs: Float64Array;
  OH: number; OW: number;
}

/** Float64 forward output and gradients, NHWC activations, OIHW weights. */
function reference(c: Case, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array): Ref {
  const r = resolveWindow(attrsOf(c), c.h, c.w);
  const { outH: OH, outW: OW } = r;
  const [pt, pl] = r.pads;
  const cinG = c.c / c.group, ocG = c.oc / c.group;
  const y = new Float64Array(c.n * OH * OW * c.oc), yAbs = new Float64Array(y.length);
  const dx = new Float64Array(c.n * c.h * c.w * c.c), dxAbs = new Float64Array(dx.length);
  const dw = new Float64Array(w.length), dwAbs = new Float64Array(w.length);
  const db = new Float64Array(c.oc), dbAbs = new Float64Array(c.oc);
  for (let n = 0; n < c.n; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const yo = ((n * OH + oy) * OW + ox) * c.oc;
        for (let oc = 0; oc < c.oc; oc++) {
          const g = Math.floor(oc / ocG);
          const d = dy[yo + oc]!;
          let acc = b[oc]!, accAbs = Math.abs(b[oc]!);
          db[oc] += d;
          dbAbs[oc] += Math.abs(d);
          for (let ky = 0; ky < c.kh; ky++) {
            const iy = oy * c.sh - pt + ky * c.dh;
            if (iy < 0 || iy >= c.h) continue;
            for (let kx = 0; kx < c.kw; kx++) {
              const ix = ox * c.sw - pl + kx * c.dw;
              if (ix < 0 || ix >= c.w) continue;
              const xo = ((n * c.h + iy) * c.w + ix) * c.c + g * cinG;
              for (let ci = 0; ci < cinG; ci++) {
                const wi = ((oc * cinG + ci) * c.kh + ky) * c.kw + kx;
                const xv = x[xo + ci]!, wv = w[wi]!;
                acc += xv * wv;
                accAbs += Math.abs(xv * wv);
                dx[xo + ci] += d * wv;
                dxAbs[xo + ci] += Math.abs(d * wv);
                dw[wi] += xv * d;
                dwAbs[wi] += Math.abs(xv * d);
              }
            }
          }
          y[yo + oc] = acc;
          yAbs[yo + oc] = accAbs;
        }
      }
    }
  }
  return { y, dx, dw, db, yAbs, dxAbs, dwAbs, dbAbs, OH, OW };
}

/** |got − (init + want)| ≤ tol·(|init| + Σ|terms|) + 1e-6. */
function closeSum(got: Float32Array, want: Float64Array, abs: Float64Array, init: Float32Array | undefined, what: string, tol = 2e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const i0 = init?.[i] ?? 0;
    const ref = i0 + want[i]!;
    const lim = tol * (Math.abs(i0) + abs[i]!) + 1e-6;
    if (!(Math.abs(got[i]! - ref) <= lim)) assert.fail(`${what}: element ${i} is ${got[i]}, reference ${ref} (tolerance ${lim})`);
  }
}

/** A workspace on the test arena that checks every block is freed and its guards are intact. */
function workspace(e: Env): TrainWorkspace & { live: Map<number, number>; peak: number; bytes: number } {
  const live = new Map<number, number>();
  const ws = {
    live,
    peak: 0,
    bytes: 0,
    alloc(bytes: number): number {
      assert.ok(bytes > 0, 'workspace: zero-byte allocation');
      const n = Math.ceil(bytes / 4);
      const p = put(e, n);
      assert.equal(p % 16, 0);
      live.set(p, n);
      ws.bytes += bytes;
      ws.peak = Math.max(ws.peak, ws.bytes);
      return p;
    },
    free(p: number): void {
      const n = live.get(p);
      assert.ok(n !== undefined, 'workspace: free of an unknown block');
      checkGuards(e, p, n, 'workspace block');
      live.delete(p);
      ws.bytes -= n * 4;
    },
  };
  return ws;
}

/**
 * A runner that cuts every range into 1-3 random pieces and runs them in order: on granule
 * boundaries (what ThreadPool does; the forward conv2d sums a pixel by panel, and panels are MR-aligned),
 * or anywhere for the training kernels, whose sums never depend on the split.
 */
function splitRunner(e: Env, rng: Rng): TrainRunner {
  return {
    threads: 3,
    run(fn, args, lo, hi, scr, total, grain, base, bytes) {
      const a = Array.from(args);
      const name = KERNEL_NAMES[fn]!;
      const g = name === 'conv2d' || name === 'dwconv2d' ? grain : 1;
      const pieces = splits(rng, Math.ceil(total / g)).map(([p0, p1]) => [p0 * g, Math.min(total, p1 * g)] as const);
      pieces.forEach(([p0, p1], t) => {
        a[lo] = p0;
        a[hi] = p1;
        if (scr >= 0) a[scr] = base + t * bytes;
        (e.k[name] as (...v: number[]) => void)(...a);
      });
    },
  };
}

interface Result { y: Float32Array; dx: Float32Array; dxOv: Float32Array; dw: Float32Array; db: Float32Array | undefined }

interface Inputs { x: Float32Array; w: Float32Array; b: Float32Array; dy: Float32Array; dx0: Float32Array; dw0: Float32Array; db0: Float32Array | undefined }

function inputs(c: Case, rng: Rng): Inputs {
  const r = resolveWindow(attrsOf(c), c.h, c.w);
  const cinG = c.c / c.group;
  const K = cinG * c.kh * c.kw;
  return {
    x: randArray(rng, c.n * c.h * c.w * c.c),
    w: randArray(rng, c.oc * K, 1 / Math.sqrt(K)),
    b: randArray(rng, c.oc, 0.5),
    dy: randArray(rng, c.n * r.outH * r.outW * c.oc),
    dx0: randArray(rng, c.n * c.h * c.w * c.c),
    dw0: randArray(rng, c.oc * K),
    db0: rng.next() < 0.75 ? randArray(rng, c.oc) : undefined,
  };
}

/** Forward, data gradient and weight gradient of one case through the driver. */
type WgradMode = 'direct' | 'gather';
const WGRAD_MODES: readonly WgradMode[] = ['direct', 'gather'];

function runCase(e: Env, c: Case, inp: Inputs, runner: TrainRunner | undefined, useBias: boolean, wgrad: WgradMode): Result {
  reset(e);
  const ws = workspace(e);
  const tk = new TrainKernels(e.k, ws, runner === undefined ? { wgrad } : { runner, minWorkPerThread: 0, wgrad });
  const attrs = attrsOf(c);
  const r = resolveWindow(attrs, c.h, c.w);
  const xShape = [c.n, c.c, c.h, c.w], wShape = [c.oc, c.c / c.group, c.kh, c.kw];
  const x = put(e, inp.x), w = put(e, inp.w), b = useBias ? put(e, inp.b) : 0, dy = put(e, inp.dy);
  const yN = c.n * r.outH * r.outW * c.oc;
  const y = put(e, yN);
  const dx = put(e, inp.dx0), dw = put(e, inp.dw0), db = inp.db0 === undefined ? 0 : put(e, inp.db0);
  tk.convForward(x, xShape, w, wShape, b, y, attrs);
  tk.convBackwardData(dy, w, dx, xShape, wShape, attrs);
  // Overwrite mode on a buffer full of garbage: nothing of it may survive (phases without taps, depthwise included).
  const dxOv = put(e, inp.dx0.map((v) => v * 1e6 + 7));
  tk.convBackwardData(dy, w, dxOv, xShape, wShape, attrs, true);
  tk.convBackwardWeight(x, dy, dw, db, xShape, wShape, attrs);
  assert.equal(ws.live.size, 0, 'workspace not freed');
  const peak = Math.max(tk.convForwardWorkspaceBytes(xShape, wShape, attrs, useBias), tk.convBackwardDataWorkspaceBytes(xShape, wShape, attrs), tk.convBackwardWeightWorkspaceBytes(xShape, wShape, attrs));
  assert.ok(ws.peak <= peak, `workspace peak ${ws.peak} above the announced ${peak}`);
  // Inputs must be untouched.
  assert.deepEqual(get(e, x, inp.x.length), inp.x);
  assert.deepEqual(get(e, w, inp.w.length), inp.w);
  assert.deepEqual(get(e, dy, inp.dy.length), inp.dy);
  return { y: get(e, y, yN), dx: get(e, dx, inp.dx0.length), dxOv: get(e, dxOv, inp.dx0.length), dw: get(e, dw, inp.dw0.length), db: db === 0 ? undefined : get(e, db, c.oc) };
}

function checkCase(e: Env, c: Case, rng: Rng, label: string): void {
  const r = resolveWindow(attrsOf(c), c.h, c.w);
  if (r.outH < 1 || r.outW < 1) return;
  const inp = inputs(c, rng);
  const useBias = rng.next() < 0.7;
  const ref = reference(c, inp.x, inp.w, useBias ? inp.b : new Float32Array(c.oc), inp.dy);
  for (const mode of WGRAD_MODES) {
    const got = runCase(e, c, inp, undefined, useBias, mode);
    const what = `${label} ${e.name} wgrad ${mode} ${JSON.stringify(c)}`;
    closeSum(got.y, ref.y, ref.yAbs, undefined, `${what} forward`);
    closeSum(got.dx, ref.dx, ref.dxAbs, inp.dx0, `${what} dgrad`);
    closeSum(got.dxOv, ref.dx, ref.dxAbs, undefined, `${what} dgrad, overwrite`);
    closeSum(got.dw, ref.dw, ref.dwAbs, inp.dw0, `${what} wgrad`);
    if (inp.db0 !== undefined) closeSum(got.db!, ref.db, ref.dbAbs, inp.db0, `${what} bias grad`);
  }
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} differs (${a[i]} vs ${b[i]})`);
}

function sameResults(a: Result, b: Result, what: string): void {
  sameBits(a.y, b.y, `${what} forward`);
  sameBits(a.dx, b.dx, `${what} dgrad`);
  sameBits(a.dxOv, b.dxOv, `${what} dgrad, overwrite`);
  sameBits(a.dw, b.dw, `${what} wgrad`);
  if (a.db !== undefined) sameBits(a.db, b.db!, `${what} bias grad`);
}

test('conv training kernels: random shapes, strides, dilation, pads, groups, depthwise vs float64 reference', async () => {
  const rng = new Rng(20261123);
  let n = 0;
  for (let i = 0; i < 120; i++) {
    const c = randomCase(rng);
    for (const relaxed of FLAVOURS) {
      checkCase(await env(relaxed), c, rng, `case ${i}`);
      n++;
    }
  }
  assert.ok(n >= 120);
});

test('conv training kernels: edge shapes (tiles of 4 and 8, 1x1, big strides, stride > kernel, pads > kernel span)', async () => {
  const rng = new Rng(7);
  const base: Case = { n: 2, c: 8, oc: 8, h: 6, w: 5, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1 };
  const cases: Case[] = [
    ...[1, 3, 4, 5, 7, 8, 9, 16, 17].map((oc) => ({ ...base, c: oc + 2, oc })),
    { ...base, kh: 1, kw: 1, pads: [0, 0, 0, 0], c: 13, oc: 9 }, // 1x1: the direct (in-place) path of the data gradient
    { ...base, kh: 1, kw: 1, sh: 2, sw: 2, pads: [0, 0, 0, 0], h: 7, w: 8, c: 6, oc: 10 }, // 1x1 stride 2: phases without taps
    { ...base, kh: 1, kw: 1, sh: 3, sw: 2, pads: [0, 0, 0, 0], h: 7, w: 9, c: 5, oc: 12 }, // stride > kernel
    { ...base, kh: 3, kw: 3, sh: 2, sw: 2, h: 9, w: 7, c: 12, oc: 20 },
    { ...base, kh: 5, kw: 3, sh: 2, sw: 1, dh: 2, dw: 2, pads: [4, 2, 1, 0], h: 11, w: 9, c: 7, oc: 9 },
    { ...base, kh: 3, kw: 3, sh: 2, sw: 2, dh: 2, dw: 2, pads: [2, 2, 2, 2], h: 8, w: 8, c: 16, oc: 16 }, // stride and dilation share a factor
    { ...base, kh: 7, kw: 7, sh: 2, sw: 2, pads: [3, 3, 3, 3], h: 13, w: 13, c: 3, oc: 8, n: 1 }, // stem-like, Cin 3
    { ...base, kh: 3, kw: 3, pads: [3, 0, 0, 3], h: 4, w: 4, c: 5, oc: 6 }, // pads beyond the kernel span: negative phase pads
    { ...base, n: 3, h: 1, w: 1, kh: 1, kw: 1, pads: [0, 0, 0, 0], c: 37, oc: 10 }, // Gemm-like (FC)
    { ...base, c: 4, oc: 4, group: 4, kh: 3, kw: 3, h: 9, w: 10 }, // depthwise, C = 4
    { ...base, c: 35, oc: 35, group: 35, kh: 3, kw: 3, h: 9, w: 10 }, // depthwise, tails of 16 and 4
    { ...base, c: 20, oc: 20, group: 20, kh: 3, kw: 3, sh: 2, sw: 2, h: 9, w: 10 },
    { ...base, c: 24, oc: 24, group: 24, kh: 5, kw: 5, dh: 2, dw: 2, pads: [4, 3, 2, 4], h: 12, w: 11 },
    { ...base, c: 8, oc: 16, group: 8, kh: 3, kw: 3, h: 6, w: 6 }, // channel multiplier 2: grouped dense path
  ];
  for (const [i, c] of cases.entries()) for (const relaxed of FLAVOURS) checkCase(await env(relaxed), c, rng, `edge case ${i}`);
});

test('conv training kernels: ResNet-like shapes at batch 2', async () => {
  const rng = new Rng(56);
  const mk = (h: number, c: number, oc: number, k: number, s: number, p: number): Case => ({ n: 2, c, oc, h, w: h, kh: k, kw: k, sh: s, sw: s, dh: 1, dw: 1, pads: [p, p, p, p], group: 1 });
  const cases = [mk(16, 16, 16, 3, 1, 1), mk(16, 16, 32, 3, 2, 1), mk(16, 16, 32, 1, 2, 0), mk(8, 64, 64, 3, 1, 1), mk(8, 3, 16, 3, 1, 1)];
  for (const [i, c] of cases.entries()) for (const relaxed of FLAVOURS) checkCase(await env(relaxed), c, rng, `resnet case ${i}`);
});

test('conv training kernels: any split of the work ranges is bit-identical to one call', async () => {
  const rng = new Rng(4242);
  for (let i = 0; i < 40; i++) {
    const c = randomCase(rng);
    const r = resolveWindow(attrsOf(c), c.h, c.w);
    if (r.outH < 1 || r.outW < 1) continue;
    const inp = inputs(c, rng);
    for (const relaxed of FLAVOURS) {
      const e = await env(relaxed, true);
      for (const mode of WGRAD_MODES) {
        const one = runCase(e, c, inp, undefined, true, mode);
        for (let rep = 0; rep < 2; rep++) sameResults(runCase(e, c, inp, splitRunner(e, rng), true, mode), one, `split ${i}.${rep} ${e.name} wgrad ${mode} ${JSON.stringify(c)}`);
      }
    }
  }
});

test('conv training kernels: a 2-thread ThreadPool gives the single-thread results', async () => {
  const rng = new Rng(77);
  const relaxed = FLAVOURS[FLAVOURS.length - 1]!;
  const e = await env(relaxed, true);
  const { call } = await loadKernels(e.mem, { relaxed, shared: true });
  const pool = await ThreadPool.start(2, e.mem, relaxed, nodeWorkerFactory, call);
  try {
    const cases: Case[] = [
      { n: 2, c: 16, oc: 32, h: 12, w: 12, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1 },
      { n: 2, c: 19, oc: 13, h: 9, w: 11, kh: 3, kw: 3, sh: 1, sw: 1, dh: 2, dw: 2, pads: [2, 1, 2, 1], group: 1 },
      { n: 2, c: 24, oc: 24, h: 10, w: 10, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 24 },
    ];
    for (const c of cases) {
      const inp = inputs(c, rng);
      for (const mode of WGRAD_MODES) {
        const one = runCase(e, c, inp, undefined, true, mode);
        sameResults(runCase(e, c, inp, pool, true, mode), one, `pool wgrad ${mode} ${JSON.stringify(c)}`);
      }
    }
  } finally {
    pool.dispose();
  }
});

test('axisPhases cover every (input index, tap) pair exactly once', () => {
  for (let inSize = 1; inSize <= 9; inSize++) {
    for (const k of [1, 2, 3, 5]) {
      for (const s of [1, 2, 3]) {
        for (const d of [1, 2, 3]) {
          for (let p = 0; p <= Math.min(3, (k - 1) * d + 1); p++) {
            const out = Math.floor((inSize + 2 * p - d * (k - 1) - 1) / s) + 1;
            if (out < 1) continue;
            const want = new Set<string>();
            for (let o = 0; o < out; o++) for (let t = 0; t < k; t++) {
              const i = o * s - p + t * d;
              if (i >= 0 && i < inSize) want.add(`${i},${t},${o}`);
            }
            const got = new Set<string>();
            for (const ph of axisPhases(inSize, k, s, d, p)) {
              for (let j = 0; j < ph.count; j++) for (let m = 0; m < ph.taps; m++) {
                const o = j - ph.pad + m * ph.dil;
                if (o < 0 || o >= out) continue;
                const key = `${ph.first + s * j},${ph.k0 + m * ph.kStep},${o}`;
                assert.ok(!got.has(key), `duplicate ${key}`);
                got.add(key);
              }
            }
            assert.deepEqual([...got].sort(), [...want].sort(), `in ${inSize} k ${k} s ${s} d ${d} p ${p}`);
          }
        }
      }
    }
  }
});

test('weight packing in wasm matches packing.ts', async () => {
  const rng = new Rng(3);
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (let i = 0; i < 20; i++) {
      reset(e);
      const OC = randInt(rng, 1, 20), Cin = randInt(rng, 1, 11), kh = randInt(rng, 1, 3), kw = randInt(rng, 1, 3);
      const w = randArray(rng, OC * Cin * kh * kw);
      const wp = put(e, w);
      const want = packConvWeights(w, OC, Cin, kh, kw);
      const dst = put(e, want.length);
      e.k.conv2d_pack_weights(wp, OC, Cin, kh, kw, 0, 0, 1, kh, 0, 1, kw, dst);
      assert.deepEqual(get(e, dst, want.length), want);
      // Transposed and flipped: the same as packing the explicitly transposed, flipped tensor.
      const wt = new Float32Array(w.length);
      for (let o = 0; o < OC; o++) for (let c = 0; c < Cin; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
        wt[((c * OC + o) * kh + y) * kw + x] = w[((o * Cin + c) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)]!;
      }
      const wantT = packConvWeights(wt, Cin, OC, kh, kw);
      const dstT = put(e, wantT.length);
      e.k.conv2d_pack_weights(wp, OC, Cin, kh, kw, 1, kh - 1, -1, kh, kw - 1, -1, kw, dstT);
      assert.deepEqual(get(e, dstT, wantT.length), wantT);
      const C = randInt(rng, 1, 21);
      const wd = randArray(rng, C * kh * kw);
      const wantD = packDepthwiseWeights(wd, C, kh, kw);
      const dd = put(e, wantD.length);
      e.k.dwconv2d_pack_weights(put(e, wd), C, kh * kw, dd);
      assert.deepEqual(get(e, dd, wantD.length), wantD);
    }
  }
});

test('BatchNorm reductions and relu backward vs float64, any channel split', async () => {
  const rng = new Rng(11);
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (let i = 0; i < 24; i++) {
      reset(e);
      const P = randInt(rng, 1, 700), C = randInt(rng, 1, 37);
      const x = randArray(rng, P * C, 3), dy = randArray(rng, P * C);
      for (let j = 0; j < x.length; j++) x[j] += 1.5; // an offset: the shift matters
      const shift = rng.next() < 0.5 ? randArray(rng, C, 2) : undefined;
      const invstd = rng.next() < 0.5 ? randArray(rng, C, 2) : undefined;
      const xp = put(e, x), dyp = put(e, dy), sp = shift === undefined ? 0 : put(e, shift), ip = invstd === undefined ? 0 : put(e, invstd);
      const s1 = put(e, C), s2 = put(e, C), sdy = put(e, C), sdyx = put(e, C);
      for (const [c0, c1] of splits(rng, Math.ceil(C / 4)).map(([a, b]) => [a * 4, Math.min(C, b * 4)])) {
        e.k.channel_stats(xp, P, C, sp, s1, s2, c0!, c1!);
        e.k.bn_backward_sums(dyp, xp, P, C, sp, ip, sdy, sdyx, c0!, c1!);
      }
      const w1 = new Float64Array(C), w2 = new Float64Array(C), a2 = new Float64Array(C), wd = new Float64Array(C), wdx = new Float64Array(C), adx = new Float64Array(C), ad = new Float64Array(C), a1 = new Float64Array(C);
      for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
        const v = x[p * C + c]! - (shift?.[c] ?? 0), g = dy[p * C + c]!;
        w1[c] += v; a1[c] += Math.abs(v);
        w2[c] += v * v; a2[c] += v * v;
        wd[c] += g; ad[c] += Math.abs(g);
        wdx[c] += g * v * (invstd?.[c] ?? 1); adx[c] += Math.abs(g * v * (invstd?.[c] ?? 1));
      }
      const what = `${e.name} P ${P} C ${C}`;
      closeSum(get(e, s1, C), w1, a1, undefined, `${what} sum`, 1e-5);
      closeSum(get(e, s2, C), w2, a2, undefined, `${what} sum of squares`, 1e-5);
      closeSum(get(e, sdy, C), wd, ad, undefined, `${what} Σdy`, 1e-5);
      closeSum(get(e, sdyx, C), wdx, adx, undefined, `${what} Σdy·x̂`, 1e-5);

      const n = randInt(rng, 1, 300);
      const y = randArray(rng, n), g = randArray(rng, n), d0 = randArray(rng, n);
      for (let j = 0; j < n; j += 7) y[j] = 0;
      const yp = put(e, y), gp = put(e, g), dp = put(e, d0);
      for (const [i0, i1] of splits(rng, n)) e.k.relu_backward(yp, gp, dp, i0, i1);
      const got = get(e, dp, n);
      for (let j = 0; j < n; j++) assert.equal(got[j], Math.fround(d0[j]! + (y[j]! > 0 ? g[j]! : 0)), `relu backward ${j}`);
    }
  }
});

test('BatchNorm elementwise maps (apply, input gradient) and in-place relu backward, any pixel split', async () => {
  const rng = new Rng(12);
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (let i = 0; i < 24; i++) {
      reset(e);
      const P = randInt(rng, 1, 200), C = randInt(rng, 1, 37);
      const x = randArray(rng, P * C, 3), dy = randArray(rng, P * C), d0 = randArray(rng, P * C);
      const scale = randArray(rng, C, 2), shift = randArray(rng, C, 2), k = randArray(rng, C), u = randArray(rng, C), b = randArray(rng, C);
      const xp = put(e, x), dyp = put(e, dy), dxp = put(e, d0), yp = put(e, P * C);
      // acc 0 overwrites: the buffer starts with garbage that must not leak into the gradient.
      const fresh = put(e, randArray(rng, P * C, 1e6));
      const sc = put(e, scale), sh = put(e, shift), kp = put(e, k), up = put(e, u), bp = put(e, b);
      for (const [p0, p1] of splits(rng, P)) {
        e.k.bn_apply(xp, C, sc, sh, yp, p0, p1);
        e.k.bn_backward_dx(dyp, xp, C, kp, up, bp, dxp, p0, p1, 1);
        e.k.bn_backward_dx(dyp, xp, C, kp, up, bp, fresh, p0, p1, 0);
      }
      const y = get(e, yp, P * C), dx = get(e, dxp, P * C), dxFresh = get(e, fresh, P * C);
      const what = `${e.name} P ${P} C ${C}`;
      for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
        const j = p * C + c;
        // One rounding per operation, in the kernel's order: exact equality with f32 emulation.
        assert.equal(y[j], Math.fround(Math.fround(x[j]! * scale[c]!) + shift[c]!), `${what} apply ${j}`);
        const t = Math.fround(Math.fround(k[c]! * dy[j]!) + Math.fround(Math.fround(u[c]! * x[j]!) + b[c]!));
        assert.equal(dx[j], Math.fround(d0[j]! + t), `${what} dx ${j}`);
        assert.equal(dxFresh[j], t, `${what} dx overwritten ${j}`);
      }
      // In place: y may be x.
      e.k.bn_apply(xp, C, sc, sh, xp, 0, P);
      assert.deepEqual(get(e, xp, P * C), y, `${what} apply in place`);

      const n = randInt(rng, 1, 300);
      const r = randArray(rng, n), g = randArray(rng, n);
      for (let j = 0; j < n; j += 7) r[j] = 0;
      const rp = put(e, r), gp = put(e, g);
      for (const [i0, i1] of splits(rng, n)) e.k.relu_backward_inplace(rp, gp, i0, i1);
      const got = get(e, gp, n);
      for (let j = 0; j < n; j++) assert.equal(got[j], r[j]! > 0 ? g[j]! : 0, `relu backward in place ${j}`);
    }
  }
});

test('matmulTN (AᵀB and column sums on conv2d_wgrad) vs float64, 1 and 2 threads, accumulating', async () => {
  const rng = new Rng(515);
  const relaxed = FLAVOURS[FLAVOURS.length - 1]!;
  const e = await env(relaxed, true);
  const { call } = await loadKernels(e.mem, { relaxed, shared: true });
  const pool = await ThreadPool.start(2, e.mem, relaxed, nodeWorkerFactory, call);
  try {
    // Reductions off the 4/8 tiles, one row block and many, a Gram (B = A) and a cross product.
    const shapes: [number, number, number, boolean][] = [[16, 16, 16, true], [27, 8, 48, false], [37, 37, 160, true], [72, 13, 1024, false], [145, 145, 2048, true]];
    for (const [ka, nbWant, rows, gram] of shapes) {
      const nb = gram ? ka : nbWant;
      for (const runner of [undefined, pool]) {
        reset(e);
        const ws = workspace(e);
        const tk = new TrainKernels(e.k, ws, runner === undefined ? {} : { runner, minWorkPerThread: 1 });
        const a = randArray(rng, rows * ka);
        const b = gram ? a : randArray(rng, rows * nb);
        const pa = put(e, a), pb = gram ? pa : put(e, b);
        const out0 = randArray(rng, nb * ka), sums0 = randArray(rng, nb);
        const po = put(e, out0), ps = put(e, sums0);
        tk.matmulTN(pa, ka, pb, nb, rows, po, ps);
        const want = new Float64Array(nb * ka), abs = new Float64Array(nb * ka), wantS = new Float64Array(nb), absS = new Float64Array(nb);
        for (let p = 0; p < rows; p++) {
          for (let o = 0; o < nb; o++) {
            const bv = b[p * nb + o]!;
            wantS[o]! += bv;
            absS[o]! += Math.abs(bv);
            for (let r = 0; r < ka; r++) {
              want[o * ka + r]! += a[p * ka + r]! * bv;
              abs[o * ka + r]! += Math.abs(a[p * ka + r]! * bv);
            }
          }
        }
        const what = `matmulTN ${ka}x${nb} rows ${rows} ${runner === undefined ? '1 thread' : '2 threads'}`;
        closeSum(get(e, po, nb * ka), want, abs, out0, what);
        closeSum(get(e, ps, nb), wantS, absS, sums0, `${what} sums`);
        assert.equal(ws.live.size, 0, 'workspace not freed');
        assert.ok(ws.peak <= tk.matmulTNWorkspaceBytes(ka, nb, rows), `${what}: workspace peak above the announced bytes`);
      }
    }
    assert.throws(() => new TrainKernels(e.k, workspace(e)).matmulTN(1024, 4, 1024, 4, 20, 1024, 0), /multiple of 16/);
  } finally {
    pool.dispose();
  }
});

test('ThreadPool: a stray wake-up of a sleeping worker does not run the last job again', async () => {
  // The main thread can be descheduled between publishing a job and its Atomics.notify; the late
  // notify then reaches a worker that already ran the job and sleeps waiting for the next. Replayed
  // here by hand: an accumulating kernel (relu_backward, dx += dy where y > 0) must not add twice.
  const relaxed = FLAVOURS[FLAVOURS.length - 1]!;
  const e = await env(relaxed, true);
  const { call } = await loadKernels(e.mem, { relaxed, shared: true });
  const pool = await ThreadPool.start(2, e.mem, relaxed, nodeWorkerFactory, call);
  try {
    reset(e);
    const n = 4096;
    const y = put(e, new Float32Array(n).fill(1)), dy = put(e, new Float32Array(n).fill(1)), dx = put(e, new Float32Array(n));
    const tk = new TrainKernels(e.k, workspace(e), { runner: pool, minWorkPerThread: 1 });
    tk.reluBackward(y, dy, dx, n);
    assert.deepEqual(get(e, dx, n), new Float32Array(n).fill(1), 'one job: each element once, the worker\'s half included');
    const ctl = new Int32Array(pool.control, 0, ARGS_BYTE_OFFSET / 4);
    const done = Atomics.load(ctl, CTL.DONE);
    // Let the worker finish spinning and fall asleep on the generation counter, then wake it without a job.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      Atomics.notify(ctl, CTL.GEN);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(Atomics.load(ctl, CTL.DONE), done, 'no job, no completion');
    assert.deepEqual(get(e, dx, n), new Float32Array(n).fill(1), 'the worker ran its chunk again');
    tk.reluBackward(y, dy, dx, n);
    assert.deepEqual(get(e, dx, n), new Float32Array(n).fill(2), 'the next job still runs once');
  } finally {
    pool.dispose();
  }
});
