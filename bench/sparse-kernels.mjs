#!/usr/bin/env node
/**
 * Sparse vs dense WebAssembly kernels, single thread, relaxed SIMD (plain SIMD with --simd):
 *  - conv2d_colnm (column-wise N:M at tile level) vs the dense conv2d on ResNet-50 3x3 and 1x1 shapes,
 *    weights pruned by colNmMask (l2) at 2:4, 1:4, 2:8, 1:8;
 *  - dwconv2d_dr (DEPrune DR) vs the dense dwconv2d on MobileNetV2 depthwise shapes, weights pruned by
 *    DCP-BH (T = 32, h = 4, align auto) at 50%, 70%, 90%, and with every weight pruned (the kernel's
 *    sparsity-independent floor: transposes and epilogue only);
 *  - dwconv2d_vs (vector-sparse NHWC depthwise) vs the dense dwconv2d on the same shapes and on
 *    EfficientNet-B0 3x3/5x5 ones, weights pruned by DCP-BH with lanes = 4 ((4-channel, tap) units)
 *    at 50%, 70%, 90%. --dw dr|vs|both picks the depthwise kernels (default both).
 * Per layer and repetition, every kernel is warmed up, then RUNS rounds time each kernel once (≥ 20 ms
 * of repeated calls), round-robin; the repetition's speedup is the median over rounds of that round's
 * dense ms / sparse ms (the machine is shared: load that changes between rounds hits both sides of a
 * ratio), and the table gives medians over repetitions.
 *
 * --resnet50-all replaces the five representative conv shapes by every distinct conv shape of
 * ResNet-50 but the stem (torchvision v1.5: stride on the 3x3; the stride-2 1x1 are the downsample
 * shortcuts), with the issue's per-layer targets (2:4 ≥ 1.8x, 1:4 ≥ 3.2x, 1:8 ≥ 5x) checked per row.
 *
 * --tile 4 (or both) times conv2d_colnm4 (tiles of 4 output channels) on the same shapes.
 *
 *   npm run build && node bench/sparse-kernels.mjs [--runs 15] [--repeat 3] [--filter 3x3] [--resnet50-all] [--simd] [--out FILE]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { scriptArgs } from '../scripts/script-args.mjs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { RESNET50_CONVS, resnet50Convs } from './resnet50-convs.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const W = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'index.js'));
const P = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'packing.js'));
const { colNmMask } = await import(join(ROOT, 'dist', 'src', 'prune', 'patterns', 'colnm.js'));
const { depruneMask } = await import(join(ROOT, 'dist', 'src', 'prune', 'patterns', 'deprune.js'));
const { Rng } = await import(join(ROOT, 'dist', 'src', 'zoo', 'rng.js'));

const argv = process.argv.slice(2);
const { values: parsed } = scriptArgs(import.meta.url, { options: { runs: { type: 'string' }, repeat: { type: 'string' }, filter: { type: 'string' }, out: { type: 'string' }, tile: { type: 'string' }, dw: { type: 'string' }, simd: { type: 'boolean' }, 'resnet50-all': { type: 'boolean' } } });
const opt = (name, def) => parsed[name.slice(2)] ?? def;
const RUNS = Number(opt('--runs', '15'));
const REPEAT = Number(opt('--repeat', '3'));
const FILTER = opt('--filter', '');
const OUT = opt('--out', '');
const RELAXED = parsed.simd !== true;
const MIN_RUN_MS = 20;
const WARM_MS = 250;

/** ResNet-50 convs (bench/resnet50-convs.mjs): five by default, every distinct one with --resnet50-all. */
const CONVS = resnet50Convs(['3x3 64→64 @56x56', '3x3 128→128 @28x28', '3x3 256→256 @14x14', '1x1 256→64 @56x56', '1x1 1024→256 @14x14']);
const ALL = parsed['resnet50-all'] === true;
/** The issue's per-layer targets (speedup over the dense kernel, 1 thread). */
const TARGET = { '2:4': 1.8, '1:4': 3.2, '1:8': 5 };
const NMS = [[2, 4], [1, 4], [2, 8], [1, 8]];
/** colnm tile widths: 8 (conv2d_colnm, the default) and/or 4 (conv2d_colnm4), --tile 8|4|both. */
const TILES = { 8: [8], 4: [4], both: [8, 4] }[opt('--tile', '8')] ?? [8];
/** [label, H (input), C, stride, k] — MobileNetV2 (3x3) and EfficientNet-B0 (3x3, 5x5) depthwise, pad k/2. */
const DWS = [
  ['dw3x3 C=144 @56x56 s1', 56, 144, 1, 3],
  ['dw3x3 C=192 @28x28 s1', 28, 192, 1, 3],
  ['dw3x3 C=384 @14x14 s1', 14, 384, 1, 3],
  ['dw3x3 C=960 @7x7 s1', 7, 960, 1, 3],
  ['dw3x3 C=96 @112x112 s2', 112, 96, 2, 3],
  ['dw3x3 C=240 @28x28 s1 (EffNet)', 28, 240, 1, 3],
  ['dw5x5 C=480 @14x14 s1 (EffNet)', 14, 480, 1, 5],
  ['dw5x5 C=1152 @7x7 s1 (EffNet)', 7, 1152, 1, 5],
  ['dw5x5 C=144 @56x56 s2 (EffNet)', 56, 144, 2, 5],
];
const DW_KERNELS = opt('--dw', 'both');
/** Vector-sparse ratios (DCP-BH, lanes 4). */
const VS_RATIOS = [0.5, 0.7, 0.9];
/** DCP-BH ratios; 1 = every weight pruned: no multiply-add at all, the layout work alone (the DR kernel's floor). */
const DW_RATIOS = [0.5, 0.7, 0.9, 1];

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/**
 * Per kernel of a layer, ms per call: warm-up (V8 tiers the module up to TurboFan), a repeat count
 * giving ≥ MIN_RUN_MS per run, then RUNS rounds that time every kernel once, round-robin, so that a
 * change in the machine's load hits the dense run and the sparse runs of a round alike.
 * Returns per kernel the RUNS ms values.
 */
function timeRounds(fns) {
  const reps = fns.map((fn) => {
    const w0 = performance.now();
    for (let i = 0; i < 3 || performance.now() - w0 < WARM_MS; i++) fn();
    let r = 1;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < r; i++) fn();
      const ms = performance.now() - t;
      if (ms >= MIN_RUN_MS) return r;
      r = Math.max(r * 2, Math.ceil((r * MIN_RUN_MS * 1.2) / Math.max(ms, 0.01)));
    }
  });
  const out = fns.map(() => []);
  for (let k = 0; k < RUNS; k++) {
    fns.forEach((fn, i) => {
      const t = performance.now();
      for (let j = 0; j < reps[i]; j++) fn();
      out[i].push((performance.now() - t) / reps[i]);
    });
  }
  return out;
}

/** One memory per layer; a bump allocator above RESERVED_BYTES. */
async function arena(bytes) {
  const pages = Math.ceil((bytes + W.RESERVED_BYTES + 1024 * 256) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages });
  const kern = await W.instantiateKernels(memory, { relaxed: RELAXED, shared: false });
  let top = W.RESERVED_BYTES;
  const alloc = (n) => {
    const p = top;
    top += Math.ceil(n / 64) * 64;
    if (top > pages * 65536) throw new Error('arena overflow');
    return p;
  };
  const put = (arr) => {
    const p = alloc(arr.byteLength);
    new Uint8Array(memory.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return p;
  };
  return { memory, kern, alloc, put };
}

function randWeights(n, fanIn, seed) {
  const rng = new Rng(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.normal() / Math.sqrt(fanIn);
  return w;
}

function fillInput(memory, ptr, n) {
  const f = new Float32Array(memory.buffer, ptr, n);
  for (let i = 0; i < n; i++) f[i] = Math.sin(i * 0.7311 + 0.3);
}

/** Per conv layer: callables for dense and every N:M (same input, bias + relu epilogue). */
async function convLayer(c) {
  const [, H, Wd, Cin, OC, k, s, pad] = c;
  const OH = Math.floor((H + 2 * pad - k) / s) + 1, OW = Math.floor((Wd + 2 * pad - k) / s) + 1;
  const K = k * k * Cin, T = Math.ceil(OC / P.NR);
  const w = randWeights(OC * K, K, 11);
  const packs = TILES.flatMap((tile) => NMS.map(([n, m]) => {
    const mask = colNmMask(w, OC, Cin, k, k, { n, m, tile, criterion: 'l2' });
    const wm = w.map((v, i) => (mask.mask[i] ? v : 0));
    return { label: tile === P.NR ? `${n}:${m}` : `${n}:${m} tile ${tile}`, tile, pk: P.packColNmWeights(wm, OC, Cin, k, k, mask.keptRows, tile) };
  }));
  const dense = P.packConvWeights(w, OC, Cin, k, k);
  const bias = P.packBias(new Float32Array(OC).fill(0.1), OC);
  const xN = H * Wd * Cin, yN = OH * OW * OC;
  const sparseBytes = packs.reduce((s2, p) => s2 + p.pk.values.byteLength + p.pk.index.byteLength + W.convColNmScratchBytes(p.pk.Kt, K) + 256, 0);
  const { memory, kern, alloc, put } = await arena((xN + yN + dense.length + bias.length) * 4 + W.convScratchBytes(K) + sparseBytes + 4096);
  const x = alloc(xN * 4), y = alloc(yN * 4);
  fillInput(memory, x, xN);
  const wd = put(dense), b = put(bias), scr = alloc(W.convScratchBytes(K));
  const fns = [{ label: 'dense', fn: () => kern.conv2d(x, H, Wd, Cin, OH, OW, k, k, s, s, 1, 1, pad, pad, Cin, wd, b, OC, y, OC, 0, 1, 0, 0, 0, OH * OW, 0, T, scr) }];
  for (const { label, tile, pk } of packs) {
    const v = put(pk.values), ix = put(pk.index), ss = alloc(W.convColNmScratchBytes(pk.Kt, K));
    const run = tile === 4 ? kern.conv2d_colnm4 : kern.conv2d_colnm;
    const tiles = Math.ceil(OC / tile);
    fns.push({ label, Kt: pk.Kt, fn: () => run(x, H, Wd, Cin, OH, OW, k, k, s, s, 1, 1, pad, pad, Cin, v, ix, pk.Kt, b, OC, y, OC, 0, 1, 0, 0, 0, OH * OW, 0, tiles, ss) });
  }
  return { label: c[0], K, flop: 2 * OH * OW * OC * K, fns };
}

async function dwLayer(c) {
  const [, H, C, s, k] = c;
  const taps = k * k, pad = k >> 1;
  const OH = Math.floor((H + 2 * pad - k) / s) + 1;
  const w = randWeights(C * taps, taps, 12);
  const masked = (m) => w.map((v, i) => (m.mask[i] ? v : 0));
  const dr = DW_KERNELS === 'vs' ? [] : DW_RATIOS.map((ratio) => {
    if (ratio === 1) return { label: 'DR all pruned (floor)', realized: 1, pk: P.packDepthwiseDr(new Float32Array(C * taps), C, k, k) };
    const m = depruneMask(w, C, k, k, { mode: 'dcp-bh', ratio, groupWidth: 32, hardwareTile: 4, align: 'auto' });
    return { label: `DR DCP-BH ${Math.round(ratio * 100)}%`, realized: m.realizedRatio, pk: P.packDepthwiseDr(masked(m), C, k, k) };
  });
  const vs = DW_KERNELS === 'dr' ? [] : VS_RATIOS.map((ratio) => {
    const m = depruneMask(w, C, k, k, { mode: 'dcp-bh', ratio, groupWidth: 32, hardwareTile: 4, align: 'auto', lanes: 4 });
    const wm = masked(m);
    return { label: `VS DCP-BH ${Math.round(ratio * 100)}% lanes 4`, realized: m.realizedRatio, pk: P.packDepthwiseVs(wm, C, k, k), dense: P.packDepthwiseWeights(wm, C, k, k) };
  });
  const dense = P.packDepthwiseWeights(w, C, k, k);
  const bias = P.packBias(new Float32Array(C).fill(0.1), C);
  const xN = H * H * C, yN = OH * OH * C;
  const scrB = Math.max(W.dwDrScratchBytes(C, OH, k, k, s, s, 1, 1), W.dwVsScratchBytes(C, k, k));
  const bytes = [...dr, ...vs].reduce((a, p) => a + p.pk.data.byteLength + (p.dense ? p.dense.byteLength : 0) + 128, 0);
  const { memory, kern, alloc, put } = await arena((xN + yN + dense.length + bias.length) * 4 + scrB + bytes + 4096);
  const x = alloc(xN * 4), y = alloc(yN * 4);
  fillInput(memory, x, xN);
  const wd = put(dense), b = put(bias), scr = alloc(scrB);
  const fns = [{ label: 'dense', fn: () => kern.dwconv2d(x, H, H, C, OH, OH, k, k, s, s, 1, 1, pad, pad, wd, b, y, 0, 2, 0, 6, 0, OH * OH) }];
  for (const { label, realized, pk } of dr) {
    const d = put(pk.data);
    fns.push({ label, realized, fn: () => kern.dwconv2d_dr(x, H, H, C, OH, OH, k, k, s, s, 1, 1, pad, pad, d, b, y, 0, 2, 0, 6, 0, OH * OH, scr) });
  }
  for (const { label, realized, pk, dense: dm } of vs) {
    const d = put(pk.data), wm = put(dm);
    fns.push({ label, realized, fn: () => kern.dwconv2d_vs(x, H, H, C, OH, OH, k, k, s, s, 1, 1, pad, pad, wm, d, b, y, 0, 2, 0, 6, 0, OH * OH, scr) });
  }
  return { label: c[0], flop: 2 * OH * OH * C * taps, fns };
}

const layers = [];
for (const c of ALL ? RESNET50_CONVS : CONVS) if (!FILTER || c[0].includes(FILTER)) layers.push(await convLayer(c));
if (!ALL) for (const c of DWS) if (!FILTER || c[0].includes(FILTER)) layers.push(await dwLayer(c));

/** results[layer][fn] = { ms: [], speedup: [] } over repetitions. */
const results = layers.map((l) => l.fns.map(() => ({ ms: [], speedup: [] })));
for (let rep = 0; rep < REPEAT; rep++) {
  console.log(`repetition ${rep + 1}/${REPEAT} (${RELAXED ? 'relaxed SIMD' : 'SIMD'})`);
  for (const [li, l] of layers.entries()) {
    const runs = timeRounds(l.fns.map((f) => f.fn));
    const ms = runs.map(median);
    const line = l.fns.map((f, i) => {
      results[li][i].ms.push(ms[i]);
      // This repetition's speedup: the median over rounds of the round's dense ms / sparse ms.
      results[li][i].speedup.push(median(runs[0].map((d, k) => d / runs[i][k])));
      return `${f.label} ${ms[i].toFixed(3)} ms${i > 0 ? ` (${results[li][i].speedup.at(-1).toFixed(2)}x)` : ''}`;
    });
    console.log(`  ${l.label.padEnd(26)} ${line.join('  ')}`);
  }
}

const rows = [];
const met = [], missed = [];
for (const [li, l] of layers.entries()) {
  const dense = median(results[li][0].ms);
  for (const [i, f] of l.fns.entries()) {
    if (i === 0) continue;
    const ms = median(results[li][i].ms);
    const kept = f.Kt !== undefined ? `Kt ${f.Kt}/${l.K}` : `${((1 - f.realized) * 100).toFixed(1)}% kept`;
    const effGflops = (l.flop / (ms * 1e6)).toFixed(1);
    const sp = results[li][i].speedup;
    const target = ALL ? TARGET[f.label] : undefined;
    const check = target === undefined ? '' : median(sp) >= target ? ` ✓ ≥ ${target}` : ` ✗ < ${target}`;
    if (target !== undefined) (median(sp) >= target ? met : missed).push(`${l.label} ${f.label}`);
    rows.push(`| ${l.label} | ${f.label} | ${kept} | ${dense.toFixed(3)} | ${ms.toFixed(3)} | ${median(sp).toFixed(2)}x${check} | ${Math.min(...sp).toFixed(2)}–${Math.max(...sp).toFixed(2)} | ${(l.flop / (dense * 1e6)).toFixed(1)} | ${effGflops} |`);
  }
}
const table = [
  '| layer | pattern | kept | dense ms | sparse ms | speedup | speedup range | dense GFLOP/s | sparse dense-equivalent GFLOP/s |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(`\nmedian over ${REPEAT} repetitions:\n${table}`);
const verdict = ALL ? `\nPer-layer targets (2:4 ≥ 1.8x, 1:4 ≥ 3.2x, 1:8 ≥ 5x): met on ${met.length} of ${met.length + missed.length} (layer, pattern) pairs${missed.length > 0 ? `; missed: ${missed.join(', ')}` : ''}.\n` : '';
console.log(verdict);

if (OUT) {
  const cmd = `node bench/sparse-kernels.mjs ${argv.join(' ')}`.trim();
  const md = [
    '# Sparse WebAssembly kernels vs dense',
    '',
    `- machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} logical CPUs, shared with other work), single thread`,
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version} (V8 ${process.versions.v8}); ${RELAXED ? 'relaxed SIMD (--experimental-wasm-relaxed-simd, f32x4.relaxed_madd)' : 'plain SIMD128'}`,
    `- command: \`${cmd}\``,
    `- method: per layer and repetition, every kernel: ≥ ${WARM_MS} ms warm-up, then ${RUNS} rounds that time each kernel once (≥ ${MIN_RUN_MS} ms`,
    `  of repeated calls), round-robin. A repetition's speedup = median over its rounds of dense ms / sparse ms of the same round;`,
    `  table: medians over ${REPEAT} repetitions (range: lowest–highest repetition). Convs: bias + relu, dense = conv2d;`,
    '  depthwise: bias + relu6, dense = dwconv2d.',
    '  "dense-equivalent GFLOP/s" counts the dense layer\'s FLOPs (2 per MAC) over the sparse time.',
    `- colnm: colNmMask (l2 score, tile ${TILES.join(' and ')}; tile 4 runs conv2d_colnm4) of N(0, 1/K) weights; DR: depruneMask DCP-BH (T = 32, h = 4, align auto);`,
    '  VS: dwconv2d_vs on depruneMask DCP-BH with lanes = 4 ((4-channel, tap) units, T = 32);',
    '  "all pruned (floor)": DR with no kept weight, i.e. only its layout work (NHWC → planar → NHWC) and epilogue.',
    '',
    table,
    verdict,
  ].join('\n');
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md);
  console.log(`wrote ${OUT}`);
}
