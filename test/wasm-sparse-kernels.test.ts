/**
 * Property tests of the sparse WebAssembly kernels against the reference conv (src/kernels/ref,
 * NCHW, float64 sums) run on the MASKED dense weights:
 *  - conv2d_colnm (column-wise N:M at tile level, colNmMask + packColNmWeights): random shapes with
 *    Cin not a multiple of M, OC not a multiple of 8, 1x1/3x3/5x5 (and 7x7), stride 2, dilation,
 *    asymmetric padding, batch > 1, strided (grouped) rows, pixel and tile splits, every activation
 *    and the residual; N:M in {2:4, 1:4, 2:8, 1:8};
 *  - dwconv2d_dr (DEPrune DR depthwise, packDepthwiseDr): random masks at 0/30/50/70/90% pruned
 *    (with fully pruned channels) and DCP-BH masks, 3x3/5x5 (and 1x1, 7x7), stride 1/2, dilation,
 *    any pixel split.
 * Every check runs on the plain SIMD build and, where this V8 validates it, the relaxed-SIMD build
 * (a few on shared memory). |a − b| ≤ 1e-4·max(1, |b|); sentinels around every output and around
 * the scratch must survive.
 */
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import type { ConvAttrs } from '../src/graph/attrs.js';
import { resolveWindow } from '../src/graph/geometry.js';
import { floatTensor } from '../src/graph/tensor.js';
import { conv2d as refConv } from '../src/kernels/ref/index.js';
import { Act, convColNmScratchBytes, dwDrScratchBytes, dwVsScratchBytes, RESERVED_BYTES } from '../src/kernels/wasm/index.js';
import { NR, packBias, packColNmWeights, packDepthwiseDr, packDepthwiseVs, packDepthwiseWeights } from '../src/kernels/wasm/packing.js';
import { colNmMask } from '../src/prune/patterns/colnm.js';
import { depruneMask } from '../src/prune/patterns/deprune.js';
import { Rng } from '../src/zoo/rng.js';
import { close, env, FLAVOURS, fromNhwc, get, put, randAct, randArray, randInt, RELAXED, refAct, checkGuards, SENTINEL, splits, toNhwc, type Env } from './wasm-test-utils.js';
import { PACKAGE_ROOT } from '../src/node/paths.js';

const NM: readonly (readonly [number, number])[] = [[2, 4], [1, 4], [2, 8], [1, 8]];

interface ColNmCase {
  n: number; cin: number; oc: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pads: [number, number, number, number];
  groups: number; N: number; M: number; act: number; a0: number; a1: number; res: boolean;
  /** Output channels per tile: 8 runs conv2d_colnm, 4 conv2d_colnm4 (default 8). */
  tile?: 4 | 8;
}

function randomColNm(rng: Rng): ColNmCase {
  const k = [1, 1, 3, 3, 3, 5, 7][randInt(rng, 0, 6)]!;
  const kw = rng.next() < 0.15 ? [1, 3][randInt(rng, 0, 1)]! : k;
  const dil = rng.next() < 0.2 ? 2 : 1;
  const s = rng.next() < 0.35 ? 2 : 1;
  const p = () => randInt(rng, 0, Math.min(3, (k - 1) * dil));
  const span = Math.max((k - 1) * dil + 1, (kw - 1) * dil + 1);
  const [N, M] = NM[randInt(rng, 0, NM.length - 1)]!;
  const groups = rng.next() < 0.1 ? 2 : 1;
  return {
    n: randInt(rng, 1, 3), cin: randInt(rng, 1, 45) * groups, oc: randInt(rng, 1, 40) * groups,
    h: randInt(rng, Math.max(1, span - 3), span + 10), w: randInt(rng, Math.max(1, span - 3), span + 10), kh: k, kw,
    sh: s, sw: rng.next() < 0.8 ? s : 3 - s, dh: dil, dw: dil, pads: [p(), p(), p(), p()], groups, N, M, ...randAct(rng), res: rng.next() < 0.4,
    tile: rng.next() < 0.3 ? 4 : 8,
  };
}

/** Prunes a random weight with colnm N:M (per group), runs conv2d_colnm (split like an executor) and compares with ref conv on the masked weights. */
async function checkColNm(e: Env, c: ColNmCase, rng: Rng, label: string): Promise<void> {
  e.top = RESERVED_BYTES;
  const attrs: ConvAttrs = { group: c.groups, kernelShape: [c.kh, c.kw], strides: [c.sh, c.sw], dilations: [c.dh, c.dw], pads: c.pads, autoPad: 'NOTSET' };
  const r = resolveWindow(attrs, c.h, c.w);
  if (r.outH < 1 || r.outW < 1) return;
  const cinG = c.cin / c.groups, ocG = c.oc / c.groups;
  const K = c.kh * c.kw * cinG;
  const x = floatTensor([c.n, c.cin, c.h, c.w], randArray(rng, c.n * c.cin * c.h * c.w));
  const wt = floatTensor([c.oc, cinG, c.kh, c.kw], randArray(rng, c.oc * K, 1 / Math.sqrt(K)));
  const kept: (readonly Uint32Array[])[] = [];
  for (let g = 0; g < c.groups; g++) {
    const wg = wt.data.subarray(g * ocG * K, (g + 1) * ocG * K);
    const m = colNmMask(wg, ocG, cinG, c.kh, c.kw, { n: c.N, m: c.M, tile: c.tile ?? NR, criterion: 'l2' });
    for (let i = 0; i < wg.length; i++) if (m.mask[i] === 0) wg[i] = 0;
    kept.push(m.keptRows);
  }
  const b = rng.next() < 0.8 ? floatTensor([c.oc], randArray(rng, c.oc, 0.5)) : undefined;
  const res = c.res ? floatTensor([c.n, c.oc, r.outH, r.outW], randArray(rng, c.n * c.oc * r.outH * r.outW)) : undefined;
  const want = refConv(x, wt, b, attrs).data;
  for (let i = 0; i < want.length; i++) want[i] = refAct(want[i]! + (res?.data[i] ?? 0), c.act, c.a0, c.a1);

  const xPad = rng.next() < 0.3 ? randInt(rng, 1, 5) : 0, yPad = rng.next() < 0.3 ? randInt(rng, 1, 9) : 0;
  const xc = c.cin + xPad, yc = c.oc + yPad, xOff = xPad > 0 ? randInt(rng, 0, xPad) : 0, yOff = yPad > 0 ? randInt(rng, 0, yPad) : 0;
  const xp = put(e, toNhwc(x, xc, xOff));
  const P = c.n * r.outH * r.outW;
  const yp = put(e, toNhwc(floatTensor([c.n, c.oc, r.outH, r.outW]), yc, yOff));
  const rp = res === undefined ? 0 : put(e, toNhwc(res, yc, yOff));
  for (let g = 0; g < c.groups; g++) {
    const tile = c.tile ?? 8;
    const pk = packColNmWeights(wt.data.subarray(g * ocG * K, (g + 1) * ocG * K), ocG, cinG, c.kh, c.kw, kept[g]!, tile);
    const run = tile === 4 ? e.k.conv2d_colnm4 : e.k.conv2d_colnm;
    const expectKt = Array.from({ length: Math.ceil(K / c.M) }, (_, i) => Math.min(c.M, K - i * c.M)).reduce((s, rows) => s + (rows === c.M ? c.N : Math.ceil((c.N * rows) / c.M)), 0);
    assert.equal(pk.Kt, expectKt, `${label}: Kt`);
    const vp = put(e, pk.values), ip = put(e, pk.index);
    const bp = b === undefined ? 0 : put(e, packBias(b.data.subarray(g * ocG, (g + 1) * ocG), ocG));
    const T = Math.ceil(ocG / tile);
    for (const [p0, p1] of splits(rng, P)) {
      for (const [t0, t1] of splits(rng, T)) {
        const sn = convColNmScratchBytes(pk.Kt, K) / 4;
        const scratch = put(e, sn);
        run(xp + (xOff + g * cinG) * 4, c.h, c.w, xc, r.outH, r.outW, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, r.pads[0], r.pads[1], cinG,
          vp, ip, pk.Kt, bp, ocG, yp + (yOff + g * ocG) * 4, yc, rp === 0 ? 0 : rp + (yOff + g * ocG) * 4, c.act, c.a0, c.a1, p0, p1, t0, t1, scratch);
        checkGuards(e, scratch, sn, `${label} scratch`);
      }
    }
  }
  const got = get(e, yp, P * yc);
  close(fromNhwc(got, c.n, c.oc, r.outH, r.outW, yc, yOff), want, `${label} ${e.name} ${JSON.stringify(c)}`);
  for (let p = 0; p < P; p++) {
    for (let ch = 0; ch < yc; ch++) if (ch < yOff || ch >= yOff + c.oc) assert.equal(got[p * yc + ch], SENTINEL, `${label}: wrote outside the output channels`);
  }
}

test('conv2d_colnm: random shapes, N:M, strides, dilations, pads, splits, epilogues vs ref on the masked weights', async () => {
  const rng = new Rng(2024);
  let cases = 0;
  for (let i = 0; i < 300; i++) {
    const c = randomColNm(rng);
    for (const relaxed of FLAVOURS) {
      await checkColNm(await env(relaxed), c, rng, `case ${i}`);
      cases++;
    }
  }
  assert.ok(cases >= 300);
});

test('conv2d_colnm: tile and group edges, 1x1, Gemm-like, long K, big padding, every N:M', async () => {
  const rng = new Rng(77);
  const base: ColNmCase = { n: 1, cin: 8, oc: 8, h: 1, w: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [0, 0, 0, 0], groups: 1, N: 2, M: 4, act: 0, a0: 0, a1: 0, res: false };
  const cases: ColNmCase[] = [];
  for (const [N, M] of NM) {
    // Gemm as 1x1 on 1x1 images (batch = pixels), OC around the tile, Cin around M.
    for (const oc of [1, 7, 8, 9, 17]) cases.push({ ...base, N, M, n: 3, cin: M + 1, oc });
    cases.push({ ...base, N, M, cin: 3, oc: 5, h: 6, w: 7, kh: 3, kw: 3, pads: [1, 1, 1, 1], res: true, act: Act.relu }); // K < M·tiles, Cin < M
    cases.push({ ...base, N, M, cin: 13, oc: 19, h: 9, w: 9, kh: 5, kw: 5, pads: [2, 2, 2, 2], sh: 2, sw: 2, act: Act.clip, a0: 0, a1: 6 }); // 5x5 s2
    cases.push({ ...base, N, M, cin: 64, oc: 16, h: 5, w: 13, kh: 3, kw: 3, pads: [1, 1, 1, 1] }); // the ResNet case, small
    cases.push({ ...base, N, M, cin: 300, oc: 10, h: 3, w: 3, act: Act.silu }); // long K, 1x1 direct
    cases.push({ ...base, N, M, cin: 6, oc: 12, h: 4, w: 5, kh: 3, kw: 3, pads: [3, 2, 3, 1] }); // windows entirely in the padding
    cases.push({ ...base, N, M, cin: 5, oc: 9, h: 7, w: 7, kh: 3, kw: 3, dh: 2, dw: 2, pads: [2, 0, 1, 2], n: 2, res: true, act: Act.hardswish });
    // Kt above the chunk size (320 kept rows): chunks whose rows are all in padded taps for a border group.
    cases.push({ ...base, N, M, cin: 150 * (M === 4 && N === 2 ? 1 : 3), oc: 20, h: 5, w: 6, kh: 3, kw: 3, pads: [1, 1, 1, 1], res: true, act: Act.relu });
    // Several 256-pixel blocks, batch 2.
    cases.push({ ...base, N, M, cin: 21, oc: 9, h: 17, w: 19, kh: 3, kw: 3, pads: [1, 1, 1, 1], n: 2 });
    // Kt <= 8 with two or more full tiles: the tile-inner order (all tiles per group of 4 pixels),
    // beside a partial last tile, border groups (3x3 padded) and a tail group.
    cases.push({ ...base, N, M, cin: Math.max(1, Math.floor((8 * M) / N)), oc: 24, h: 9, w: 7, n: 2, res: true, act: Act.relu });
    cases.push({ ...base, N, M, cin: Math.max(1, Math.floor((4 * M) / N)), oc: 21, h: 6, w: 11, act: Act.clip, a0: 0, a1: 6 });
    cases.push({ ...base, N, M, cin: 1, oc: 17, h: 7, w: 9, kh: 3, kw: 3, pads: [1, 1, 1, 1], res: true, act: Act.hardswish });
    // More full tiles than one batch of prepared rows holds (512 / Kt): several tile batches.
    cases.push({ ...base, N, M, cin: Math.max(1, Math.floor((8 * M) / N)), oc: 8 * 70 + 3, h: 3, w: 3, res: true, act: Act.relu });
  }
  // The same cases with tiles of 4 (conv2d_colnm4).
  cases.push(...cases.map((c) => ({ ...c, tile: 4 as const })));
  const ktOf = (c: ColNmCase): number => {
    const K = c.kh * c.kw * (c.cin / c.groups);
    return Array.from({ length: Math.ceil(K / c.M) }, (_, i) => Math.min(c.M, K - i * c.M)).reduce((s, rows) => s + (rows === c.M ? c.N : Math.ceil((c.N * rows) / c.M)), 0);
  };
  assert.ok(cases.filter((c) => c.tile !== 4 && ktOf(c) <= 8 && c.oc / c.groups >= 16 && c.n * c.h * c.w >= 8).length >= NM.length * 3, 'edge cases reach the tile-inner order');
  for (const [i, c] of cases.entries()) {
    for (const relaxed of FLAVOURS) await checkColNm(await env(relaxed), c, rng, `edge ${i}`);
  }
  // Empty shares of a split are no-ops.
  const e = await env(false);
  e.top = RESERVED_BYTES;
  const yp = put(e, 8);
  const s = put(e, convColNmScratchBytes(1, 1) / 4);
  e.k.conv2d_colnm(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0, 8, yp, 8, 0, 0, 0, 0, 5, 5, 0, 1, s);
  e.k.conv2d_colnm(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0, 8, yp, 8, 0, 0, 0, 0, 0, 1, 1, 1, s);
  assert.ok(get(e, yp, 8).every((v) => v === SENTINEL));
});

test('conv2d_colnm on shared memory (the threads build)', async () => {
  const rng = new Rng(8);
  for (let i = 0; i < 6; i++) {
    const c = randomColNm(rng);
    for (const relaxed of FLAVOURS) await checkColNm(await env(relaxed, true), c, rng, `shared ${i}`);
  }
});

// ---------------------------------------------------------------- DEPrune DR depthwise

interface DwCase {
  n: number; C: number; h: number; w: number; kh: number; kw: number; s: number; dil: number;
  pads: [number, number, number, number]; ratio: number; mode: 'random' | 'dcp-bh' | 'lanes'; act: number; a0: number; a1: number; res: boolean; bias: boolean;
}

function randomDw(rng: Rng): DwCase {
  const k = [3, 3, 3, 5, 5, 7, 1][randInt(rng, 0, 6)]!;
  const kw = rng.next() < 0.1 ? [1, 3][randInt(rng, 0, 1)]! : k;
  const dil = rng.next() < 0.15 ? 2 : 1;
  const p = () => randInt(rng, 0, Math.min(3, (k - 1) * dil));
  const pads: [number, number, number, number] = rng.next() < 0.6 ? [(k - 1) >> 1, (kw - 1) >> 1, (k - 1) >> 1, (kw - 1) >> 1] : [p(), p(), p(), p()];
  return {
    n: randInt(rng, 1, 3), C: rng.next() < 0.3 ? randInt(rng, 38, 70) : randInt(rng, 1, 37),
    h: randInt(rng, Math.max(1, (k - 1) * dil - 2), 22), w: randInt(rng, Math.max(1, (k - 1) * dil - 2), 30), kh: k, kw,
    s: rng.next() < 0.4 ? 2 : 1, dil, pads, ratio: [0, 0.3, 0.5, 0.7, 0.9][randInt(rng, 0, 4)]!, mode: rng.next() < 0.3 ? 'dcp-bh' : 'random',
    ...randAct(rng), res: rng.next() < 0.3, bias: rng.next() < 0.8,
  };
}

async function checkDw(e: Env, c: DwCase, rng: Rng, label: string, kernel: 'dr' | 'vs' = 'dr'): Promise<void> {
  e.top = RESERVED_BYTES;
  const attrs: ConvAttrs = { group: c.C, kernelShape: [c.kh, c.kw], strides: [c.s, c.s], dilations: [c.dil, c.dil], pads: c.pads, autoPad: 'NOTSET' };
  const r = resolveWindow(attrs, c.h, c.w);
  if (r.outH < 1 || r.outW < 1) return;
  const taps = c.kh * c.kw;
  const x = floatTensor([c.n, c.C, c.h, c.w], randArray(rng, c.n * c.C * c.h * c.w));
  const wt = floatTensor([c.C, 1, c.kh, c.kw], randArray(rng, c.C * taps, 0.5));
  if (c.mode === 'dcp-bh') {
    const m = depruneMask(wt.data, c.C, c.kh, c.kw, { mode: 'dcp-bh', ratio: c.ratio, groupWidth: 32, hardwareTile: 4, align: 'auto' });
    for (let i = 0; i < wt.data.length; i++) if (m.mask[i] === 0) wt.data[i] = 0;
  } else if (c.mode === 'lanes') {
    // (4-channel block, tap) units pruned together, as dwconv2d_vs skips them.
    for (let b = 0; b < Math.ceil(c.C / 4); b++) {
      for (let t = 0; t < taps; t++) if (rng.next() < c.ratio) for (let ch = b * 4; ch < Math.min(c.C, b * 4 + 4); ch++) wt.data[ch * taps + t] = 0;
    }
  } else {
    for (let i = 0; i < wt.data.length; i++) if (rng.next() < c.ratio) wt.data[i] = 0;
    // A fully pruned channel or two (only the bias survives).
    if (c.ratio > 0 && rng.next() < 0.5) for (let t = 0; t < taps; t++) wt.data[randInt(rng, 0, c.C - 1) * taps + t] = 0;
  }
  const b = c.bias ? floatTensor([c.C], randArray(rng, c.C, 0.5)) : undefined;
  const res = floatTensor([c.n, c.C, r.outH, r.outW], randArray(rng, c.n * c.C * r.outH * r.outW));
  const want = refConv(x, wt, b, attrs).data;
  for (let j = 0; j < want.length; j++) want[j] = refAct(want[j]! + (c.res ? res.data[j]! : 0), c.act, c.a0, c.a1);
  const P = c.n * r.outH * r.outW;
  const xp = put(e, toNhwc(x)), bp = b === undefined ? 0 : put(e, packBias(b.data, c.C));
  const rp = c.res ? put(e, toNhwc(res)) : 0;
  const yp = put(e, P * c.C);
  if (kernel === 'vs') {
    const vs = packDepthwiseVs(wt.data, c.C, c.kh, c.kw);
    const wp = put(e, packDepthwiseWeights(wt.data, c.C, c.kh, c.kw)), vp = put(e, vs.data);
    const sn = dwVsScratchBytes(c.C, c.kh, c.kw) / 4;
    for (const [p0, p1] of splits(rng, P)) {
      const scratch = put(e, sn);
      e.k.dwconv2d_vs(xp, c.h, c.w, c.C, r.outH, r.outW, c.kh, c.kw, c.s, c.s, c.dil, c.dil, r.pads[0], r.pads[1], wp, vp, bp, yp, rp, c.act, c.a0, c.a1, p0, p1, scratch);
      checkGuards(e, scratch, sn, `${label} scratch`);
    }
  } else {
    const pk = packDepthwiseDr(wt.data, c.C, c.kh, c.kw);
    assert.equal(pk.kept, wt.data.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0));
    const wp = put(e, pk.data);
    const sn = dwDrScratchBytes(c.C, r.outW, c.kh, c.kw, c.s, c.s, c.dil, c.dil) / 4;
    for (const [p0, p1] of splits(rng, P)) {
      const scratch = put(e, sn);
      e.k.dwconv2d_dr(xp, c.h, c.w, c.C, r.outH, r.outW, c.kh, c.kw, c.s, c.s, c.dil, c.dil, r.pads[0], r.pads[1], wp, bp, yp, rp, c.act, c.a0, c.a1, p0, p1, scratch);
      checkGuards(e, scratch, sn, `${label} scratch`);
    }
  }
  close(fromNhwc(get(e, yp, P * c.C), c.n, c.C, r.outH, r.outW), want, `${label} ${e.name} ${JSON.stringify(c)}`);
}

test('dwconv2d_dr: random masks 0-90% (and DCP-BH), shapes, strides, pads, splits, epilogues vs ref', async () => {
  const rng = new Rng(4242);
  let cases = 0;
  for (let i = 0; i < 300; i++) {
    const c = randomDw(rng);
    for (const relaxed of FLAVOURS) {
      await checkDw(await env(relaxed), c, rng, `dw ${i}`);
      cases++;
    }
  }
  assert.ok(cases >= 300);
});

test('dwconv2d_dr: MobileNet-like rows (multi-row strips, long rows, stride 2), every pruning ratio', async () => {
  const rng = new Rng(5);
  const base: DwCase = { n: 1, C: 16, h: 7, w: 7, kh: 3, kw: 3, s: 1, dil: 1, pads: [1, 1, 1, 1], ratio: 0.5, mode: 'dcp-bh', act: Act.clip, a0: 0, a1: 6, res: false, bias: true };
  const cases: DwCase[] = [];
  for (const ratio of [0, 0.3, 0.5, 0.7, 0.9]) {
    cases.push({ ...base, ratio });
    cases.push({ ...base, ratio, C: 24, h: 14, w: 14, res: true });
    cases.push({ ...base, ratio, C: 8, h: 60, w: 57, mode: 'random' }); // rows of 15 vectors: several strips
    cases.push({ ...base, ratio, C: 12, h: 30, w: 31, s: 2, act: Act.relu });
    cases.push({ ...base, ratio, C: 7, h: 9, w: 10, kh: 5, kw: 5, pads: [2, 2, 2, 2], mode: 'random', act: Act.hardswish });
    cases.push({ ...base, ratio, C: 20, h: 3, w: 3, n: 3, mode: 'random' }); // rows of 1 vector, 6 rows per strip
  }
  for (const [i, c] of cases.entries()) {
    for (const relaxed of FLAVOURS) await checkDw(await env(relaxed), c, rng, `mobilenet-like ${i}`);
  }
  for (let i = 0; i < 4; i++) {
    const c = randomDw(rng);
    for (const relaxed of FLAVOURS) await checkDw(await env(relaxed, true), c, rng, `shared ${i}`);
  }
});

test('dwconv2d_vs: (4-channel block, tap) masks and arbitrary masks 0-90%, shapes, strides, pads, splits, epilogues vs ref', async () => {
  const rng = new Rng(777);
  for (let i = 0; i < 200; i++) {
    const c = randomDw(rng);
    if (rng.next() < 0.6) c.mode = 'lanes';
    // Long reductions too: 5x5 and 7x7 windows keep more than 8 taps (several passes through y).
    for (const relaxed of FLAVOURS) await checkDw(await env(relaxed), c, rng, `vs ${i}`, 'vs');
  }
  const base: DwCase = { n: 1, C: 16, h: 7, w: 7, kh: 3, kw: 3, s: 1, dil: 1, pads: [1, 1, 1, 1], ratio: 0.5, mode: 'lanes', act: Act.clip, a0: 0, a1: 6, res: false, bias: true };
  for (const ratio of [0, 0.5, 0.7, 1 - 1e-9]) {
    for (const c of [{ ...base, ratio }, { ...base, ratio, C: 22, h: 14, w: 15, res: true, s: 2 }, { ...base, ratio, C: 8, h: 9, w: 9, kh: 5, kw: 5, pads: [2, 2, 2, 2] as [number, number, number, number], bias: false }]) {
      for (const relaxed of FLAVOURS) await checkDw(await env(relaxed), c, rng, `vs mobilenet-like r${ratio}`, 'vs');
    }
  }
  const c = randomDw(rng);
  await checkDw(await env(RELAXED, true), { ...c, mode: 'lanes' }, rng, 'vs shared', 'vs');
});

// ---------------------------------------------------------------- split independence

test('sparse kernels: results are bit-identical for any split of the pixels (threads never change results)', async () => {
  const rng = new Rng(31);
  const e = await env(RELAXED);
  for (let i = 0; i < 12; i++) {
    e.top = RESERVED_BYTES;
    // Depthwise DR: one call over all pixels vs random pieces (multi-row strips cut short, partial rows).
    const C = randInt(rng, 1, 40), h = randInt(rng, 3, 16), w = randInt(rng, 3, 16), s = randInt(rng, 1, 2), k = [3, 5][randInt(rng, 0, 1)]!;
    const OH = Math.floor((h + 2 * (k >> 1) - k) / s) + 1, OW = Math.floor((w + 2 * (k >> 1) - k) / s) + 1;
    const wt = randArray(rng, C * k * k, 0.5).map((v) => (rng.next() < 0.6 ? 0 : v));
    const xp = put(e, randArray(rng, 2 * h * w * C)), wp = put(e, packDepthwiseDr(wt, C, k, k).data), bp = put(e, packBias(randArray(rng, C), C));
    const P = 2 * OH * OW, ya = put(e, P * C), yb = put(e, P * C);
    const scratch = put(e, dwDrScratchBytes(C, OW, k, k, s, s, 1, 1) / 4);
    e.k.dwconv2d_dr(xp, h, w, C, OH, OW, k, k, s, s, 1, 1, k >> 1, k >> 1, wp, bp, ya, 0, Act.relu, 0, 0, 0, P, scratch);
    for (const [p0, p1] of splits(rng, P)) e.k.dwconv2d_dr(xp, h, w, C, OH, OW, k, k, s, s, 1, 1, k >> 1, k >> 1, wp, bp, yb, 0, Act.relu, 0, 0, p0, p1, scratch);
    assert.deepEqual(get(e, yb, P * C), get(e, ya, P * C), `dw split ${i}`);
    // colnm: pixel and tile splits.
    const cin = randInt(rng, 1, 40), oc = randInt(rng, 1, 30), K = 9 * cin, T = Math.ceil(oc / NR);
    const cw = randArray(rng, oc * K, 0.3);
    const m = colNmMask(cw, oc, cin, 3, 3, { n: 1, m: 4, tile: NR, criterion: 'l2' });
    const pk = packColNmWeights(cw.map((v, j) => (m.mask[j] ? v : 0)), oc, cin, 3, 3, m.keptRows);
    const cx = put(e, randArray(rng, h * w * cin)), vp = put(e, pk.values), ip = put(e, pk.index), cb = put(e, packBias(randArray(rng, oc), oc));
    const Q = h * w, za = put(e, Q * oc), zb = put(e, Q * oc), cs = put(e, convColNmScratchBytes(pk.Kt, K) / 4);
    e.k.conv2d_colnm(cx, h, w, cin, h, w, 3, 3, 1, 1, 1, 1, 1, 1, cin, vp, ip, pk.Kt, cb, oc, za, oc, 0, 0, 0, 0, 0, Q, 0, T, cs);
    for (const [p0, p1] of splits(rng, Q)) for (const [t0, t1] of splits(rng, T)) e.k.conv2d_colnm(cx, h, w, cin, h, w, 3, 3, 1, 1, 1, 1, 1, 1, cin, vp, ip, pk.Kt, cb, oc, zb, oc, 0, 0, 0, 0, p0, p1, t0, t1, cs);
    assert.deepEqual(get(e, zb, Q * oc), get(e, za, Q * oc), `colnm split ${i}`);
    // Tiles of 4: conv2d_colnm4 over 4-channel tile splits.
    const T4 = Math.ceil(oc / 4);
    const m4 = colNmMask(cw, oc, cin, 3, 3, { n: 1, m: 4, tile: 4, criterion: 'l2' });
    const pk4 = packColNmWeights(cw.map((v, j) => (m4.mask[j] ? v : 0)), oc, cin, 3, 3, m4.keptRows, 4);
    const vp4 = put(e, pk4.values), ip4 = put(e, pk4.index), cs4 = put(e, convColNmScratchBytes(pk4.Kt, K) / 4);
    const zc = put(e, Q * oc), zd = put(e, Q * oc);
    e.k.conv2d_colnm4(cx, h, w, cin, h, w, 3, 3, 1, 1, 1, 1, 1, 1, cin, vp4, ip4, pk4.Kt, cb, oc, zc, oc, 0, 0, 0, 0, 0, Q, 0, T4, cs4);
    for (const [p0, p1] of splits(rng, Q)) for (const [t0, t1] of splits(rng, T4)) e.k.conv2d_colnm4(cx, h, w, cin, h, w, 3, 3, 1, 1, 1, 1, 1, 1, cin, vp4, ip4, pk4.Kt, cb, oc, zd, oc, 0, 0, 0, 0, p0, p1, t0, t1, cs4);
    assert.deepEqual(get(e, zd, Q * oc), get(e, zc, Q * oc), `colnm4 split ${i}`);
  }
});

// ---------------------------------------------------------------- packing, module facts, generated files

test('sparse packing layouts', () => {
  // OIHW [3][2][1][2], K = 4 (k = kx·2 + ci), one tile keeping rows 1 and 2.
  const w = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const p = packColNmWeights(w, 3, 2, 1, 2, [Uint32Array.from([1, 2])]);
  assert.equal(p.Kt, 2);
  assert.deepEqual(Array.from(p.index), [(0 << 16) | 1, (1 << 16) | 0]);
  assert.deepEqual(Array.from(p.values.subarray(0, 8)), [3, 7, 11, 0, 0, 0, 0, 0]); // k=1: (kx=0, ci=1)
  assert.deepEqual(Array.from(p.values.subarray(8, 16)), [2, 6, 10, 0, 0, 0, 0, 0]); // k=2: (kx=1, ci=0)
  assert.throws(() => packColNmWeights(new Float32Array(9 * 4), 9, 4, 1, 1, [Uint32Array.from([0, 1]), Uint32Array.from([2])]), /keeps 1 rows/);
  // Depthwise [C=3][1][1][2]: channel 1 fully pruned.
  const d = packDepthwiseDr(Float32Array.from([1, 0, 0, 0, 0, 2.5]), 3, 1, 2);
  assert.equal(d.kept, 2);
  const f = new Float32Array(d.data.buffer);
  assert.deepEqual(Array.from(d.data.subarray(0, 4)), [0, 1, 1, 2]);
  assert.deepEqual([d.data[4], f[5], d.data[6], f[7]], [0, 1, 1, 2.5]);
});

test('sparse module facts agree with the JS side', async () => {
  for (const relaxed of FLAVOURS) {
    const e = await env(relaxed);
    for (const [Kt, K] of [[1, 1], [2, 3], [288, 576], [650, 1300], [1152, 2304], [0, 9]] as const) assert.equal(e.k.conv2d_colnm_scratch_bytes(Kt, K), convColNmScratchBytes(Kt, K), `colnm scratch ${Kt}/${K}`);
    const geoms: [number, number, number, number, number, number, number, number][] = [[144, 56, 3, 3, 1, 1, 1, 1], [96, 56, 3, 3, 2, 2, 1, 1], [960, 7, 3, 3, 1, 1, 1, 1], [5, 3, 5, 5, 2, 2, 2, 2], [7, 1, 1, 1, 1, 1, 1, 1], [33, 13, 7, 3, 1, 2, 1, 1]];
    for (const g of geoms) {
      assert.equal(e.k.dwconv2d_dr_scratch_bytes(...g), dwDrScratchBytes(...g), `dw scratch ${g}`);
    }
  }
});

test('generated sparse micro-kernels match their template', () => {
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'gen-wasm-sparse-kernels.mjs'), '--check'], { stdio: 'pipe' });
});
