/**
 * Property tests of the dense WebAssembly kernels against the reference kernels (src/kernels/ref),
 * on random shapes around the tiles' edges: channels not a multiple of 8 or 4, stride 2, dilation 2,
 * asymmetric padding, batch > 1, output tails, work split into sub-ranges the way the executor
 * splits it across threads, strided (grouped) input/output rows. Every check runs on the plain
 * SIMD build and, where this V8 validates it, the relaxed-SIMD build; a few on shared memory.
 * Outputs are compared with |a − b| ≤ 1e-4·max(1, |b|), and memory around every output must
 * keep its sentinel (no kernel writes outside its range).
 */
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import type { ConvAttrs, PoolAttrs } from '../src/graph/attrs.js';
import { resolveWindow } from '../src/graph/geometry.js';
import { floatTensor } from '../src/graph/tensor.js';
import { REF_KERNELS, conv2d as refConv } from '../src/kernels/ref/index.js';
import { Act, CONV_KERNELS, GEMM_MICROKERNELS, convScratchBytes, RESERVED_BYTES, type Conv2dFn } from '../src/kernels/wasm/index.js';
import { NR, packBias, packConvWeights, packDepthwiseWeights, packGemmWeights } from '../src/kernels/wasm/packing.js';
import { Rng } from '../src/zoo/rng.js';
import { close, env, FLAVOURS, fromNhwc, get, put, randAct, randArray, randInt, RELAXED, refAct, reset, SENTINEL, splits, toNhwc, type Env } from './wasm-test-utils.js';
import { PACKAGE_ROOT } from '../src/node/paths.js';

interface ConvCase {
  n: number; cin: number; oc: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pads: [number, number, number, number];
  groups: number; act: number; a0: number; a1: number; res: boolean;
}

function randomConv(rng: Rng): ConvCase {
  const k = [1, 1, 3, 3, 3, 5, 7][randInt(rng, 0, 6)]!;
  const kw = rng.next() < 0.15 ? [1, 3][randInt(rng, 0, 1)]! : k;
  const dil = rng.next() < 0.2 ? 2 : 1;
  const s = rng.next() < 0.35 ? 2 : 1;
  const p = () => randInt(rng, 0, Math.min(3, (k - 1) * dil));
  const span = Math.max((k - 1) * dil + 1, (kw - 1) * dil + 1);
  const h = randInt(rng, Math.max(1, span - 3), span + 12);
  const w = randInt(rng, Math.max(1, span - 3), span + 12);
  const groups = rng.next() < 0.15 ? 2 : 1;
  return {
    n: randInt(rng, 1, 3), cin: randInt(rng, 1, 37) * groups, oc: randInt(rng, 1, 70) * groups, h, w, kh: k, kw,
    sh: s, sw: rng.next() < 0.8 ? s : 3 - s, dh: dil, dw: dil, pads: [p(), p(), p(), p()], groups, ...randAct(rng), res: rng.next() < 0.4,
  };
}

/** Runs the case through `fn` (per group via pointer offsets, work split into sub-ranges) and compares with ref conv + residual + activation. */
async function checkConv(e: Env, c: ConvCase, entry: 'conv2d' | (typeof CONV_KERNELS)[number]['name'], rng: Rng, label: string): Promise<void> {
  reset(e);
  const fn: Conv2dFn = e.k[entry];
  const attrs: ConvAttrs = { group: c.groups, kernelShape: [c.kh, c.kw], strides: [c.sh, c.sw], dilations: [c.dh, c.dw], pads: c.pads, autoPad: 'NOTSET' };
  const r = resolveWindow(attrs, c.h, c.w);
  if (r.outH < 1 || r.outW < 1) return;
  const cinG = c.cin / c.groups, ocG = c.oc / c.groups;
  const x = floatTensor([c.n, c.cin, c.h, c.w], randArray(rng, c.n * c.cin * c.h * c.w));
  const wt = floatTensor([c.oc, cinG, c.kh, c.kw], randArray(rng, c.oc * cinG * c.kh * c.kw, 1 / Math.sqrt(cinG * c.kh * c.kw)));
  const b = rng.next() < 0.8 ? floatTensor([c.oc], randArray(rng, c.oc, 0.5)) : undefined;
  const res = c.res ? floatTensor([c.n, c.oc, r.outH, r.outW], randArray(rng, c.n * c.oc * r.outH * r.outW)) : undefined;
  const want = refConv(x, wt, b, attrs).data;
  for (let i = 0; i < want.length; i++) want[i] = refAct(want[i]! + (res?.data[i] ?? 0), c.act, c.a0, c.a1);

  // Rows wider than the tensor on both sides exercise the xc / yc strides (as a Concat or group would).
  const xPad = rng.next() < 0.3 ? randInt(rng, 1, 5) : 0, yPad = rng.next() < 0.3 ? randInt(rng, 1, 9) : 0;
  const xc = c.cin + xPad, yc = c.oc + yPad, xOff = xPad > 0 ? randInt(rng, 0, xPad) : 0, yOff = yPad > 0 ? randInt(rng, 0, yPad) : 0;
  const xp = put(e, toNhwc(x, xc, xOff));
  const P = c.n * r.outH * r.outW;
  const yp = put(e, toNhwc(floatTensor([c.n, c.oc, r.outH, r.outW]), yc, yOff));
  const rp = res === undefined ? 0 : put(e, toNhwc(res, yc, yOff));
  const K = c.kh * c.kw * cinG;
  for (let g = 0; g < c.groups; g++) {
    const wg = wt.data.subarray(g * ocG * K, (g + 1) * ocG * K);
    const wp = put(e, packConvWeights(wg, ocG, cinG, c.kh, c.kw));
    const bp = b === undefined ? 0 : put(e, packBias(b.data.subarray(g * ocG, (g + 1) * ocG), ocG));
    const T = Math.ceil(ocG / NR);
    for (const [p0, p1] of splits(rng, P)) {
      for (const [t0, t1] of splits(rng, T)) {
        const scratch = put(e, convScratchBytes(K) / 4);
        fn(xp + (xOff + g * cinG) * 4, c.h, c.w, xc, r.outH, r.outW, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, r.pads[0], r.pads[1], cinG, wp, bp, ocG,
          yp + (yOff + g * ocG) * 4, yc, rp === 0 ? 0 : rp + (yOff + g * ocG) * 4, c.act, c.a0, c.a1, p0, p1, t0, t1, scratch);
      }
    }
  }
  const got = get(e, yp, P * yc);
  close(fromNhwc(got, c.n, c.oc, r.outH, r.outW, yc, yOff), want, `${label} ${e.name} ${entry} ${JSON.stringify(c)}`);
  for (let p = 0; p < P; p++) {
    for (let ch = 0; ch < yc; ch++) if (ch < yOff || ch >= yOff + c.oc) assert.equal(got[p * yc + ch], SENTINEL, `${label}: wrote outside the output channels`);
  }
}

const CONV_ENTRIES = ['conv2d', ...CONV_KERNELS.map((v) => v.name)] as const;

test('conv2d: random shapes, strides, dilations, pads, groups, splits, epilogues vs ref', async () => {
  const rng = new Rng(1234);
  let cases = 0;
  for (let i = 0; i < 160; i++) {
    const c = randomConv(rng);
    for (const relaxed of FLAVOURS) {
      for (const entry of CONV_ENTRIES) {
        await checkConv(await env(relaxed), c, entry, rng, `case ${i}`);
        cases++;
      }
    }
  }
  assert.ok(cases >= 160 * 3);
});

test('conv2d: tile edges, the 1x1 direct path, Gemm, long K chunks and big-weight blocking', async () => {
  const rng = new Rng(99);
  const base = { n: 1, h: 1, w: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [0, 0, 0, 0] as [number, number, number, number], groups: 1, act: 0, a0: 0, a1: 0, res: false };
  const cases: ConvCase[] = [
    // Gemm as 1x1 on 1x1 images: batch = pixels, OC around the tile width.
    ...[1, 7, 8, 9, 16, 17].map((oc) => ({ ...base, n: 3, cin: 13, oc })),
    { ...base, n: 2, cin: 1300, oc: 10, act: Act.relu }, // K split into chunks, partial tile
    // 1x1 stride 1 unpadded: rows read in place; pixel counts around 4, 6, 12 and the block sizes.
    ...[1, 3, 4, 5, 6, 7, 12, 13, 25, 49].map((hw) => ({ ...base, h: 1, w: hw, cin: 9, oc: 12, res: true, act: Act.clip, a0: 0, a1: 6 })),
    { ...base, h: 30, w: 30, cin: 600, oc: 20, act: Act.silu }, // many blocks, K chunks
    { ...base, h: 9, w: 11, cin: 70, kh: 3, kw: 3, pads: [1, 1, 1, 1], oc: 260, res: true, act: Act.relu }, // weights > 512 KiB: big blocks
    { ...base, h: 7, w: 7, cin: 3, kh: 7, kw: 7, sh: 2, sw: 2, pads: [3, 3, 3, 3], oc: 8 }, // stem-like
    { ...base, h: 5, w: 5, cin: 4, kh: 3, kw: 3, pads: [2, 0, 0, 2], oc: 5, dh: 2, dw: 2 },
  ];
  for (const [i, c] of cases.entries()) {
    for (const relaxed of FLAVOURS) for (const entry of CONV_ENTRIES) await checkConv(await env(relaxed), c, entry, rng, `edge ${i}`);
  }
  // Empty shares of a split are no-ops (an executor may hand a thread nothing).
  const e = await env(false);
  reset(e);
  const yp = put(e, 8);
  e.k.conv2d(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 8, yp, 8, 0, 0, 0, 0, 5, 5, 0, 1, put(e, convScratchBytes(1) / 4));
  e.k.conv2d(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 8, yp, 8, 0, 0, 0, 0, 0, 1, 1, 1, put(e, convScratchBytes(1) / 4));
  assert.ok(get(e, yp, 8).every((v) => v === SENTINEL));
});

test('conv2d on shared memory (the threads build)', async () => {
  const rng = new Rng(7);
  for (let i = 0; i < 6; i++) {
    const c = randomConv(rng);
    for (const relaxed of FLAVOURS) await checkConv(await env(relaxed, true), c, 'conv2d', rng, `shared ${i}`);
  }
});

test('gemm micro-kernels: every height, partial tiles, accumulate mode', async () => {
  const rng = new Rng(5);
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (const mk of GEMM_MICROKERNELS) {
      for (const [K, nc] of [[1, 8], [2, 3], [7, 8], [33, 5], [64, 1]] as const) {
        reset(e);
        const a = randArray(rng, mk.mr * K), wts = randArray(rng, K * NR), bias = randArray(rng, NR), y0 = randArray(rng, mk.mr * nc);
        const ap = put(e, a), wp = put(e, wts), bp = put(e, bias), tmp = put(e, 64);
        for (const acc of [0, 1]) {
          const yp = put(e, y0);
          e.k[mk.name](ap, K * 4, K, wp, bp, yp, nc * 4, 0, nc, Act.none, 0, 0, tmp, acc);
          const want = new Float32Array(mk.mr * nc);
          for (let m = 0; m < mk.mr; m++) {
            for (let j = 0; j < nc; j++) {
              let s = acc ? y0[m * nc + j]! : bias[j]!;
              for (let k = 0; k < K; k++) s += a[m * K + k]! * wts[k * NR + j]!;
              want[m * nc + j] = s;
            }
          }
          close(get(e, yp, mk.mr * nc), want, `${e.name} ${mk.name} K=${K} nc=${nc} acc=${acc}`);
        }
      }
    }
  }
});

test('dwconv2d: random shapes vs ref grouped conv', async () => {
  const rng = new Rng(4321);
  for (let i = 0; i < 150; i++) {
    const k = [3, 3, 3, 5, 5, 7, 1][randInt(rng, 0, 6)]!;
    const kw = rng.next() < 0.1 ? 1 : k;
    const dil = rng.next() < 0.2 ? 2 : 1;
    const s = rng.next() < 0.4 ? 2 : 1;
    const C = rng.next() < 0.25 ? randInt(rng, 38, 70) : randInt(rng, 1, 37);
    const n = randInt(rng, 1, 3);
    const p = () => randInt(rng, 0, Math.min(3, (k - 1) * dil));
    const pads: [number, number, number, number] = rng.next() < 0.5 ? [(k - 1) >> 1, (kw - 1) >> 1, (k - 1) >> 1, (kw - 1) >> 1] : [p(), p(), p(), p()];
    const h = randInt(rng, Math.max(1, (k - 1) * dil - 2), 20), w = randInt(rng, Math.max(1, (k - 1) * dil - 2), 20);
    const attrs: ConvAttrs = { group: C, kernelShape: [k, kw], strides: [s, s], dilations: [dil, dil], pads, autoPad: 'NOTSET' };
    const r = resolveWindow(attrs, h, w);
    if (r.outH < 1 || r.outW < 1) continue;
    const { act, a0, a1 } = randAct(rng);
    const x = floatTensor([n, C, h, w], randArray(rng, n * C * h * w));
    const wt = floatTensor([C, 1, k, kw], randArray(rng, C * k * kw, 0.5));
    const b = rng.next() < 0.8 ? floatTensor([C], randArray(rng, C, 0.5)) : undefined;
    const useRes = rng.next() < 0.3;
    const res = floatTensor([n, C, r.outH, r.outW], randArray(rng, n * C * r.outH * r.outW));
    const want = refConv(x, wt, b, attrs).data;
    for (let j = 0; j < want.length; j++) want[j] = refAct(want[j]! + (useRes ? res.data[j]! : 0), act, a0, a1);
    const P = n * r.outH * r.outW;
    for (const relaxed of FLAVOURS) {
      const e = await env(relaxed);
      reset(e);
      const xp = put(e, toNhwc(x)), wp = put(e, packDepthwiseWeights(wt.data, C, k, kw)), bp = b === undefined ? 0 : put(e, packBias(b.data, C));
      const rp = useRes ? put(e, toNhwc(res)) : 0;
      const yp = put(e, P * C);
      for (const [p0, p1] of splits(rng, P)) e.k.dwconv2d(xp, h, w, C, r.outH, r.outW, k, kw, s, s, dil, dil, r.pads[0], r.pads[1], wp, bp, yp, rp, act, a0, a1, p0, p1);
      close(fromNhwc(get(e, yp, P * C), n, C, r.outH, r.outW), want, `dw ${i} ${e.name} C=${C} k=${k}x${kw} s=${s} d=${dil} pads=${pads} ${h}x${w} act=${act}`);
    }
  }
});

test('maxpool2d / avgpool2d: ceil mode, padding, dilation, count_include_pad both ways', async () => {
  const rng = new Rng(77);
  for (let i = 0; i < 120; i++) {
    const isMax = i % 2 === 0;
    const k = randInt(rng, 1, 4), kw = rng.next() < 0.2 ? randInt(rng, 1, 4) : k;
    const s = randInt(rng, 1, 3);
    const dil = isMax && rng.next() < 0.25 ? 2 : 1;
    const p = (kk: number) => randInt(rng, 0, Math.floor(kk / 2));
    const attrs: PoolAttrs = {
      kernelShape: [k, kw], strides: [s, rng.next() < 0.8 ? s : randInt(rng, 1, 3)], dilations: [dil, dil],
      pads: [p(k), p(kw), p(k), p(kw)], autoPad: 'NOTSET', ceilMode: rng.next() < 0.5, countIncludePad: rng.next() < 0.5,
    };
    const n = randInt(rng, 1, 2), C = randInt(rng, 1, 40);
    const h = randInt(rng, (k - 1) * dil + 1, 14), w = randInt(rng, (kw - 1) * dil + 1, 14);
    const r = resolveWindow(attrs, h, w);
    const x = floatTensor([n, C, h, w], randArray(rng, n * C * h * w));
    const outType = { dtype: 'float32' as const, shape: [n, C, r.outH, r.outW] };
    const want = (isMax ? REF_KERNELS.MaxPool : REF_KERNELS.AveragePool)(attrs, [x], [outType])[0]!.data as Float32Array;
    const P = n * r.outH * r.outW;
    for (const relaxed of FLAVOURS) {
      const e = await env(relaxed);
      reset(e);
      const xp = put(e, toNhwc(x)), yp = put(e, P * C);
      const [pt, pl, pb, pr] = r.pads;
      for (const [p0, p1] of splits(rng, P)) {
        if (isMax) e.k.maxpool2d(xp, h, w, C, r.outH, r.outW, k, kw, attrs.strides[0], attrs.strides[1], dil, dil, pt, pl, yp, p0, p1);
        else e.k.avgpool2d(xp, h, w, C, r.outH, r.outW, k, kw, attrs.strides[0], attrs.strides[1], pt, pl, pb, pr, attrs.countIncludePad ? 1 : 0, yp, p0, p1);
      }
      close(fromNhwc(get(e, yp, P * C), n, C, r.outH, r.outW), want, `${isMax ? 'max' : 'avg'}pool ${i} ${e.name} ${JSON.stringify(attrs)} ${h}x${w} C=${C}`);
    }
  }
});

test('globalavgpool', async () => {
  const rng = new Rng(3);
  for (let i = 0; i < 20; i++) {
    const n = randInt(rng, 1, 3), C = randInt(rng, 1, 70), h = randInt(rng, 1, 12), w = randInt(rng, 1, 12);
    const x = floatTensor([n, C, h, w], randArray(rng, n * C * h * w));
    const want = REF_KERNELS.GlobalAveragePool({}, [x], [{ dtype: 'float32', shape: [n, C, 1, 1] }])[0]!.data as Float32Array;
    for (const relaxed of FLAVOURS) {
      const e = await env(relaxed);
      reset(e);
      const xp = put(e, toNhwc(x)), yp = put(e, n * C);
      for (const [n0, n1] of splits(rng, n)) e.k.globalavgpool(xp, h * w, C, yp, n0, n1);
      close(get(e, yp, n * C), want, `gap ${i} ${e.name}`);
    }
  }
});

test('elementwise: add + activation, mul_channel, activation, softmax_rows', async () => {
  const rng = new Rng(11);
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (let act = 0; act <= 6; act++) {
      for (const len of [1, 3, 4, 7, 8, 9, 33, 100]) {
        reset(e);
        const a0 = act === Act.hardsigmoid ? 0.2 : act === Act.clip ? -0.5 : 0, a1 = act === Act.hardsigmoid ? 0.5 : act === Act.clip ? 0.7 : 0;
        const a = randArray(rng, len, 8), b = randArray(rng, len, 8);
        const ap = put(e, a), bp = put(e, b), yp = put(e, len), zp = put(e, len);
        for (const [i0, i1] of splits(rng, len)) {
          e.k.add(ap, bp, yp, len, act, a0, a1, i0, i1);
          e.k.activation(ap, zp, len, act, a0, a1, i0, i1);
        }
        close(get(e, yp, len), Array.from(a, (v, i) => refAct(v + b[i]!, act, a0, a1)), `add act=${act} n=${len} ${e.name}`);
        close(get(e, zp, len), Array.from(a, (v) => refAct(v, act, a0, a1)), `activation act=${act} n=${len} ${e.name}`);
      }
    }
    for (let i = 0; i < 10; i++) {
      reset(e);
      const n = randInt(rng, 1, 3), hw = randInt(rng, 1, 20), C = randInt(rng, 1, 37);
      const x = randArray(rng, n * hw * C), s = randArray(rng, n * C);
      const xp = put(e, x), sp = put(e, s), yp = put(e, x.length);
      for (const [n0, n1] of splits(rng, n)) e.k.mul_channel(xp, sp, yp, hw, C, n0, n1);
      close(get(e, yp, x.length), Array.from(x, (v, j) => v * s[Math.floor(j / (hw * C)) * C + (j % C)]!), `mul_channel ${i} ${e.name}`);
    }
    for (const [rows, cols] of [[1, 1], [2, 3], [3, 10], [1, 1000], [4, 17]] as const) {
      reset(e);
      const x = randArray(rng, rows * cols, 20);
      const want = REF_KERNELS.Softmax({ axis: 1, legacy: false }, [floatTensor([rows, cols], x)], [{ dtype: 'float32', shape: [rows, cols] }])[0]!.data as Float32Array;
      const xp = put(e, x), yp = put(e, rows * cols);
      e.k.softmax_rows(xp, yp, rows, cols);
      close(get(e, yp, rows * cols), want, `softmax ${rows}x${cols} ${e.name}`, 2e-5);
    }
  }
});

test('packing layouts', () => {
  // OIHW [3][2][1][2] → one tile [K=4][8], k = kx·Cin + ci.
  const w = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const p = packConvWeights(w, 3, 2, 1, 2);
  assert.equal(p.length, 4 * NR);
  assert.deepEqual(Array.from(p.subarray(0, 8)), [1, 5, 9, 0, 0, 0, 0, 0]); // k=0: (kx=0, ci=0)
  assert.deepEqual(Array.from(p.subarray(8, 16)), [3, 7, 11, 0, 0, 0, 0, 0]); // k=1: (kx=0, ci=1)
  assert.deepEqual(Array.from(p.subarray(16, 24)), [2, 6, 10, 0, 0, 0, 0, 0]); // k=2: (kx=1, ci=0)
  // Gemm B [K=3][N=10] and its transpose pack alike, as a 1x1 conv with OC = N.
  const b = Float32Array.from({ length: 30 }, (_, i) => i * 0.5);
  const bt = new Float32Array(30);
  for (let k = 0; k < 3; k++) for (let n = 0; n < 10; n++) bt[n * 3 + k] = b[k * 10 + n]!;
  assert.deepEqual(packGemmWeights(b, 3, 10, false), packGemmWeights(bt, 3, 10, true));
  assert.deepEqual(packGemmWeights(bt, 3, 10, true), packConvWeights(bt, 10, 3, 1, 1));
  // Depthwise [C=5][1][1][2] → [2 taps][8 channels (5 padded to 4·2)].
  assert.deepEqual(Array.from(packDepthwiseWeights(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 5, 1, 2)), [1, 3, 5, 7, 9, 0, 0, 0, 2, 4, 6, 8, 10, 0, 0, 0]);
  assert.deepEqual(Array.from(packBias(Float32Array.from([1, 2, 3]), 3)), [1, 2, 3, 0, 0, 0, 0, 0]);
  assert.equal(packBias(undefined, 9).length, 16);
});

test('module facts agree with the JS side', async () => {
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (const K of [1, 3, 27, 64, 576, 1300, 4608, 20000]) assert.equal(e.k.conv2d_scratch_bytes(K), convScratchBytes(K), `scratch for K=${K}`);
  }
  assert.ok(RESERVED_BYTES > 0 && RESERVED_BYTES % 64 === 0);
});

test('generated micro-kernels match their template', () => {
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'gen-wasm-kernels.mjs'), '--check'], { stdio: 'pipe' });
});

test('relaxed SIMD is exercised where V8 supports it', { skip: RELAXED ? false : 'this V8 does not validate relaxed SIMD' }, async () => {
  assert.equal((await env(true)).k.relaxed, true);
});
