#!/usr/bin/env node
/**
 * Micro-benchmark of the dense WebAssembly kernels, single thread: GFLOP/s (1 MAC = 2 FLOP) on
 * ResNet-50 conv shapes and MobileNetV2 depthwise shapes, plain SIMD vs relaxed SIMD (FMA).
 * Each case: warm-up (V8 tiers the module up from Liftoff to TurboFan), then the median of
 * RUNS timed runs, each run repeating the call until it lasts ≥ 40 ms.
 *
 *   npm run build && node bench/kernels.mjs [--runs 7] [--repeat 3] [--filter 3x3] [--variants] [--out FILE]
 *
 * --variants also times each fixed micro-kernel height (f32_conv2d_6x8, f32_conv2d_4x8).
 * --out writes the Markdown table (with machine, date, node version and command) to FILE.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { scriptArgs } from '../scripts/script-args.mjs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { resnet50Convs } from './resnet50-convs.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const W = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'index.js'));
const P = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'packing.js'));

const argv = process.argv.slice(2);
const { values: parsed } = scriptArgs(import.meta.url, { options: { runs: { type: 'string' }, filter: { type: 'string' }, out: { type: 'string' }, repeat: { type: 'string' }, variants: { type: 'boolean' } } });
const opt = (name, def) => parsed[name.slice(2)] ?? def;
const RUNS = Number(opt('--runs', '7'));
const FILTER = opt('--filter', '');
const OUT = opt('--out', '');
const VARIANTS = parsed.variants === true;
/** Whole-suite repetitions: a case's figure is the median over repetitions of its per-repetition median (bursts of load elsewhere last seconds). */
const REPEAT = Number(opt('--repeat', '1'));
const MIN_RUN_MS = 40;
const WARM_MS = 300;

/** ResNet-50 conv shapes (bench/resnet50-convs.mjs). */
const CONVS = resnet50Convs([
  '3x3 64→64 @56x56', '3x3 128→128 @28x28', '3x3 256→256 @14x14', '3x3 512→512 @7x7',
  '1x1 256→64 @56x56', '1x1 64→256 @56x56', '1x1 1024→256 @14x14', '1x1 2048→512 @7x7',
]);
/** [label, H (input), C, stride] — MobileNetV2 depthwise 3x3, pad 1. */
const DWS = [
  ['dw3x3 C=96 @112x112 s2', 112, 96, 2],
  ['dw3x3 C=144 @56x56 s1', 56, 144, 1],
  ['dw3x3 C=384 @14x14 s1', 14, 384, 1],
  ['dw3x3 C=960 @7x7 s1', 7, 960, 1],
];

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/** Bump allocator over a fresh memory. */
function arena(bytes) {
  const pages = Math.ceil((bytes + W.RESERVED_BYTES + 1024 * 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages });
  let top = W.RESERVED_BYTES;
  const alloc = (n) => {
    const p = top;
    top += Math.ceil(n / 64) * 64;
    if (top > pages * 65536) throw new Error('arena overflow');
    return p;
  };
  return { memory, alloc };
}

function fill(memory, ptr, n, scale) {
  const f = new Float32Array(memory.buffer, ptr, n);
  for (let i = 0; i < n; i++) f[i] = (Math.sin(i * 0.7311 + 0.3) * scale);
}

/** Median ms per call over RUNS runs, by wall clock and by this process's CPU time (which excludes time-slices lost to other processes). */
function time(fn) {
  // Warm-up: V8 first runs Liftoff code and swaps in TurboFan code compiled on a background thread;
  // keep calling for WARM_MS so the timed runs see the optimised code.
  const w0 = performance.now();
  for (let i = 0; i < 5 || performance.now() - w0 < WARM_MS; i++) fn();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = performance.now() - t;
    if (ms >= MIN_RUN_MS) break;
    reps = Math.max(reps * 2, Math.ceil((reps * MIN_RUN_MS * 1.2) / Math.max(ms, 0.01)));
  }
  const wall = [];
  const cpu = [];
  for (let r = 0; r < RUNS; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    wall.push((performance.now() - t) / reps);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000 / reps);
  }
  return { wall: median(wall), best: Math.min(...wall), cpu: median(cpu) };
}

async function convCase(c, relaxed, entry) {
  const [, H, Wd, Cin, OC, k, s, pad] = c;
  const OH = Math.floor((H + 2 * pad - k) / s) + 1;
  const OW = Math.floor((Wd + 2 * pad - k) / s) + 1;
  const K = k * k * Cin;
  const wp = P.packConvWeights(new Float32Array(OC * K).map((_, i) => Math.sin(i) / Math.sqrt(K)), OC, Cin, k, k);
  const bias = P.packBias(new Float32Array(OC).fill(0.1), OC);
  const xN = H * Wd * Cin, yN = OH * OW * OC;
  const { memory, alloc } = arena((xN + yN + wp.length + bias.length) * 4 + W.convScratchBytes(K) + 4096);
  const kern = await W.instantiateKernels(memory, { relaxed, shared: false });
  const x = alloc(xN * 4), y = alloc(yN * 4), w = alloc(wp.length * 4), b = alloc(bias.length * 4), scr = alloc(W.convScratchBytes(K));
  fill(memory, x, xN, 1);
  new Float32Array(memory.buffer, w, wp.length).set(wp);
  new Float32Array(memory.buffer, b, bias.length).set(bias);
  const fn = kern[entry];
  const T = Math.ceil(OC / P.NR);
  const t = time(() => fn(x, H, Wd, Cin, OH, OW, k, k, s, s, 1, 1, pad, pad, Cin, w, b, OC, y, OC, 0, 1, 0, 0, 0, OH * OW, 0, T, scr));
  return rate(t, 2 * OH * OW * OC * K);
}

async function dwCase(c, relaxed) {
  const [, H, C, s] = c;
  const OH = Math.floor((H + 2 - 3) / s) + 1;
  const wp = P.packDepthwiseWeights(new Float32Array(C * 9).map((_, i) => Math.sin(i) / 3), C, 3, 3);
  const bias = P.packBias(new Float32Array(C).fill(0.1), C);
  const xN = H * H * C, yN = OH * OH * C;
  const { memory, alloc } = arena((xN + yN + wp.length + bias.length) * 4 + 4096);
  const kern = await W.instantiateKernels(memory, { relaxed, shared: false });
  const x = alloc(xN * 4), y = alloc(yN * 4), w = alloc(wp.length * 4), b = alloc(bias.length * 4);
  fill(memory, x, xN, 1);
  new Float32Array(memory.buffer, w, wp.length).set(wp);
  new Float32Array(memory.buffer, b, bias.length).set(bias);
  const t = time(() => kern.dwconv2d(x, H, H, C, OH, OH, 3, 3, s, s, 1, 1, 1, 1, w, b, y, 0, 2, 0, 6, 0, OH * OH));
  return rate(t, 2 * OH * OH * C * 9);
}

function rate(t, flop) {
  return { ms: t.wall, gflops: flop / (t.wall * 1e6), bestGflops: flop / (t.best * 1e6) };
}

/** The engine's register-only f32x4 multiply-add peak (10 independent chains), same method as the kernels. */
async function peakCase(relaxed) {
  const { memory } = arena(0);
  const kern = await W.instantiateKernels(memory, { relaxed, shared: false });
  const n = 200000;
  return rate(time(() => kern.f32_fma_peak(n)), 80 * n);
}

const relaxedOk = W.relaxedSimdSupported();
const flavours = relaxedOk ? [false, true] : [false];
const rows = new Map();
const fmt = (x) => `${x.gflops.toFixed(1).padStart(5)} best ${x.bestGflops.toFixed(1).padStart(5)} (peak ${x.peak.toFixed(1)})`;
async function row(label, f) {
  let r = rows.get(label);
  if (r === undefined) rows.set(label, (r = { label, reps: flavours.map(() => []) }));
  const line = [];
  for (const [i, relaxed] of flavours.entries()) {
    const x = await f(relaxed);
    x.peak = (await peakCase(relaxed)).gflops; // the same flavour's register-only peak, measured right after
    r.reps[i].push(x);
    line.push(x);
  }
  console.log(`${label.padEnd(46)} ${line.map(fmt).join('   ')}`);
}
/** Per flavour: median over repetitions of the median GFLOP/s (its ms and peak from that repetition), best of all runs. */
function summary(r) {
  return r.reps.map((xs) => {
    const sorted = [...xs].sort((a, b) => a.gflops - b.gflops);
    const mid = sorted[Math.floor(sorted.length / 2)];
    return { ...mid, bestGflops: Math.max(...xs.map((x) => x.bestGflops)) };
  });
}
const entries = VARIANTS ? ['conv2d', ...W.CONV_KERNELS.map((v) => v.name)] : ['conv2d'];
for (let rep = 0; rep < REPEAT; rep++) {
  console.log(`${`repetition ${rep + 1}/${REPEAT}`.padEnd(46)} ${flavours.map((f) => (f ? 'relaxed GFLOP/s: median, best run, (peak)' : 'simd GFLOP/s: median, best run, (peak)').padEnd(33)).join('  ')}`);
  for (const c of CONVS) {
    if (FILTER && !c[0].includes(FILTER)) continue;
    for (const entry of entries) await row(entry === 'conv2d' ? c[0] : `${c[0]} [${entry}]`, (relaxed) => convCase(c, relaxed, entry));
  }
  for (const c of DWS) {
    if (FILTER && !c[0].includes(FILTER)) continue;
    await row(c[0], (relaxed) => dwCase(c, relaxed));
  }
}
if (REPEAT > 1) {
  console.log('summary: median over repetitions');
  for (const r of rows.values()) console.log(`${r.label.padEnd(46)} ${summary(r).map(fmt).join('   ')}`);
}

if (OUT) {
  const cmd = `node bench/kernels.mjs ${argv.join(' ')}`.trim();
  const head = flavours.map((f) => (f ? 'relaxed GFLOP/s (median) | relaxed best | relaxed ms | relaxed peak' : 'simd GFLOP/s (median) | simd best | simd ms | simd peak')).join(' | ');
  const md = [
    `# WebAssembly kernel micro-benchmark`,
    '',
    `- machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} logical CPUs), single thread`,
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version} (V8 ${process.versions.v8}); relaxed SIMD ${relaxedOk ? 'available (--experimental-wasm-relaxed-simd)' : 'NOT available'}`,
    `- command: \`${cmd}\``,
    `- method: ≥ ${WARM_MS} ms of warm-up calls (TurboFan tier-up), then the median of ${RUNS} runs (each ≥ ${MIN_RUN_MS} ms of repeated calls),`,
    `  wall clock; 1 MAC = 2 FLOP; conv epilogue bias + relu, depthwise bias + relu6. "peak" is the same build's`,
    `  register-only f32x4 multiply-add loop (f32_fma_peak: 10 independent chains) measured right after each case the`,
    `  same way: on a shared machine it shows how much of the core the case had (the simd peak is a mul + add pair).`,
    `  "best" is the fastest single run. The suite ran ${REPEAT} time(s); each figure is the median over those`,
    `  repetitions of the per-repetition median (ms and peak from that same repetition).`,
    '',
    `| kernel / shape | ${head} |`,
    `|---|${flavours.map(() => '---:|---:|---:|---:').join('|')}|`,
    ...[...rows.values()].map((r) => `| ${r.label} | ${summary(r).map((x) => `${x.gflops.toFixed(1)} | ${x.bestGflops.toFixed(1)} | ${x.ms.toFixed(3)} | ${x.peak.toFixed(1)}`).join(' | ')} |`),
    '',
  ].join('\n');
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md);
  console.log(`wrote ${OUT}`);
}
