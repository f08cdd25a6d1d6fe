#!/usr/bin/env node
/**
 * Benchmark of the WebAssembly training kernels, single thread: GFLOP/s (1 MAC = 2 FLOP, the
 * forward conv's MAC count for all three) of the forward conv (conv2d), the data gradient
 * (conv2d_acc over the stride's phases) and the weight gradient (conv2d_wgrad, with bias
 * gradient), each through the TrainKernels driver (so per-call weight packing and workspace are
 * included), on the ResNet-20/56 (CIFAR) conv shapes at batch 64, plain SIMD and relaxed SIMD; two
 * depthwise shapes (dwconv2d / dwconv2d_dgrad / dwconv2d_wgrad) for reference.
 * Each case: ≥ 300 ms warm-up, then the median of RUNS runs (each ≥ 40 ms of repeated calls).
 *
 *   npm run build && node bench/train-kernels.mjs [--runs 5] [--repeat 1] [--batch 64] [--filter 16x16] [--out FILE]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { scriptArgs } from '../scripts/script-args.mjs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const W = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'index.js'));
const T = await import(join(ROOT, 'dist', 'src', 'kernels', 'wasm', 'train.js'));

const argv = process.argv.slice(2);
const { values: parsed } = scriptArgs(import.meta.url, { options: { runs: { type: 'string' }, repeat: { type: 'string' }, batch: { type: 'string' }, filter: { type: 'string' }, out: { type: 'string' } } });
const opt = (name, def) => parsed[name.slice(2)] ?? def;
const RUNS = Number(opt('--runs', '5'));
const REPEAT = Number(opt('--repeat', '1'));
const BATCH = Number(opt('--batch', '64'));
const FILTER = opt('--filter', '');
const OUT = opt('--out', '');
const MIN_RUN_MS = 40;
const WARM_MS = 300;

/** [label, H, Cin, OC, k, stride, pad, group] — the convs of ResNet-20/56 for CIFAR-10 (32x32 input), then two depthwise ones. */
const SHAPES = [
  ['3x3 3→16 @32x32 (stem)', 32, 3, 16, 3, 1, 1],
  ['3x3 16→16 @32x32', 32, 16, 16, 3, 1, 1],
  ['3x3 16→32 @32x32 s2', 32, 16, 32, 3, 2, 1],
  ['1x1 16→32 @32x32 s2 (shortcut)', 32, 16, 32, 1, 2, 0],
  ['3x3 32→32 @16x16', 16, 32, 32, 3, 1, 1],
  ['3x3 32→64 @16x16 s2', 16, 32, 64, 3, 2, 1],
  ['1x1 32→64 @16x16 s2 (shortcut)', 16, 32, 64, 1, 2, 0],
  ['3x3 64→64 @8x8', 8, 64, 64, 3, 1, 1],
  ['dw3x3 C=64 @32x32', 32, 64, 64, 3, 1, 1, 64],
  ['dw3x3 C=128 @16x16 s2', 16, 128, 128, 3, 2, 1, 128],
];

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const w0 = performance.now();
  for (let i = 0; i < 3 || performance.now() - w0 < WARM_MS; i++) fn();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = performance.now() - t;
    if (ms >= MIN_RUN_MS) break;
    reps = Math.max(reps * 2, Math.ceil((reps * MIN_RUN_MS * 1.2) / Math.max(ms, 0.01)));
  }
  const wall = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    wall.push((performance.now() - t) / reps);
  }
  return { ms: median(wall), best: Math.min(...wall) };
}

/** A bump workspace over the end of the memory (reset when everything is freed). */
function bumpWorkspace(base) {
  let top = base, live = 0;
  return {
    alloc(bytes) {
      const p = top;
      top += Math.ceil(bytes / 64) * 64;
      live++;
      return p;
    },
    free() {
      if (--live === 0) top = base;
    },
  };
}

const kernelsByFlavour = new Map();
async function setup(relaxed, c) {
  const [, H, Cin, OC, k, s, p, group = 1] = c;
  const OH = Math.floor((H + 2 * p - k) / s) + 1;
  const cinG = Cin / group;
  const xN = BATCH * H * H * Cin, yN = BATCH * OH * OH * OC, wN = OC * cinG * k * k;
  const bytes = (2 * xN + 2 * yN + 2 * wN + 2 * OC) * 4 + (8 << 20);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((bytes + 65536) / 65536) });
  const kern = await W.instantiateKernels(memory, { relaxed, shared: false });
  let top = W.RESERVED_BYTES;
  const alloc = (n) => {
    const q = top;
    top += Math.ceil((n * 4) / 64) * 64;
    return q;
  };
  const f = new Float32Array(memory.buffer);
  const fill = (ptr, n, scale) => {
    for (let i = 0; i < n; i++) f[ptr / 4 + i] = Math.sin(i * 0.7311 + 0.3) * scale;
  };
  const x = alloc(xN), dx = alloc(xN), y = alloc(yN), dy = alloc(yN), w = alloc(wN), dw = alloc(wN), b = alloc(OC), db = alloc(OC);
  fill(x, xN, 1);
  fill(dy, yN, 0.1);
  fill(w, wN, 1 / Math.sqrt(cinG * k * k));
  const tk = new T.TrainKernels(kern, bumpWorkspace(top));
  const attrs = { group, kernelShape: [k, k], strides: [s, s], dilations: [1, 1], pads: [p, p, p, p], autoPad: 'NOTSET' };
  const xShape = [BATCH, Cin, H, H], wShape = [OC, cinG, k, k];
  const flop = 2 * BATCH * OH * OH * OC * cinG * k * k;
  return {
    flop,
    kern,
    forward: () => tk.convForward(x, xShape, w, wShape, b, y, attrs),
    dgrad: () => tk.convBackwardData(dy, w, dx, xShape, wShape, attrs),
    wgrad: () => tk.convBackwardWeight(x, dy, dw, db, xShape, wShape, attrs),
  };
}

async function peak(relaxed) {
  let k = kernelsByFlavour.get(relaxed);
  if (k === undefined) {
    k = await W.instantiateKernels(new WebAssembly.Memory({ initial: 1 }), { relaxed, shared: false });
    kernelsByFlavour.set(relaxed, k);
  }
  const n = 200000;
  const t = time(() => k.f32_fma_peak(n));
  return (80 * n) / (t.ms * 1e6);
}

const relaxedOk = W.relaxedSimdSupported();
const flavours = relaxedOk ? [false, true] : [false];
const KINDS = ['forward', 'dgrad', 'wgrad'];
const rows = [];
for (let rep = 0; rep < REPEAT; rep++) {
  for (const c of SHAPES) {
    if (FILTER && !c[0].includes(FILTER)) continue;
    for (const relaxed of flavours) {
      const s = await setup(relaxed, c);
      const r = { label: c[0], relaxed, rep };
      for (const kind of KINDS) {
        const t = time(s[kind]);
        r[kind] = { gflops: s.flop / (t.ms * 1e6), best: s.flop / (t.best * 1e6), ms: t.ms };
      }
      r.peak = await peak(relaxed);
      rows.push(r);
      const f = (x) => `${x.gflops.toFixed(1).padStart(5)} (best ${x.best.toFixed(1).padStart(5)}, ${x.ms.toFixed(2).padStart(7)} ms)`;
      console.log(`${c[0].padEnd(32)} ${relaxed ? 'relaxed' : 'simd   '}  fwd ${f(r.forward)}  dgrad ${f(r.dgrad)}  wgrad ${f(r.wgrad)}  peak ${r.peak.toFixed(1)}`);
    }
  }
}

/** Per (shape, flavour): the median over repetitions of each figure. */
function summary() {
  const out = [];
  for (const c of SHAPES) {
    for (const relaxed of flavours) {
      const rs = rows.filter((r) => r.label === c[0] && r.relaxed === relaxed);
      if (rs.length === 0) continue;
      const o = { label: c[0], relaxed, peak: median(rs.map((r) => r.peak)) };
      for (const kind of KINDS) o[kind] = { gflops: median(rs.map((r) => r[kind].gflops)), best: Math.max(...rs.map((r) => r[kind].best)), ms: median(rs.map((r) => r[kind].ms)) };
      out.push(o);
    }
  }
  return out;
}

if (OUT) {
  const cmd = `node bench/train-kernels.mjs ${argv.join(' ')}`.trim();
  const md = [
    '# WebAssembly training kernels: forward conv vs data gradient vs weight gradient',
    '',
    `- machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} logical CPUs, shared with other jobs), single thread`,
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version} (V8 ${process.versions.v8}); relaxed SIMD ${relaxedOk ? 'available (--experimental-wasm-relaxed-simd)' : 'NOT available'}`,
    `- command: \`${cmd}\``,
    `- method: each kernel through TrainKernels (src/kernels/wasm/train.ts): forward = convForward (conv2d + bias, weights`,
    `  packed each call), dgrad = convBackwardData (phase convs, conv2d_acc; packing included), wgrad = convBackwardWeight`,
    `  (conv2d_wgrad for OW ≥ 16, conv2d_wgrad_gather below, with bias gradient); depthwise rows: dwconv2d, dwconv2d_dgrad,`,
    `  dwconv2d_wgrad. Batch ${BATCH}, GFLOP/s = 2·N·OH·OW·OC·(Cin/group)·kh·kw / time for all three. ≥ ${WARM_MS} ms`,
    `  warm-up, then the median of ${RUNS} runs (each ≥ ${MIN_RUN_MS} ms of repeated calls), wall clock; suite run ${REPEAT} time(s),`,
    '  figures are medians over repetitions, "best" the fastest run of all. "peak": the same build\'s register-only',
    '  f32x4 multiply-add loop (f32_fma_peak) measured after each case (the simd peak is a mul + add pair).',
    '',
    '| shape | build | fwd GFLOP/s | dgrad GFLOP/s | wgrad GFLOP/s | fwd best | dgrad best | wgrad best | fwd ms | dgrad ms | wgrad ms | dgrad/fwd | wgrad/fwd | peak |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary().map((o) => `| ${o.label} | ${o.relaxed ? 'relaxed' : 'simd'} | ${o.forward.gflops.toFixed(1)} | ${o.dgrad.gflops.toFixed(1)} | ${o.wgrad.gflops.toFixed(1)} | ${o.forward.best.toFixed(1)} | ${o.dgrad.best.toFixed(1)} | ${o.wgrad.best.toFixed(1)} | ${o.forward.ms.toFixed(2)} | ${o.dgrad.ms.toFixed(2)} | ${o.wgrad.ms.toFixed(2)} | ${(o.dgrad.gflops / o.forward.gflops).toFixed(2)} | ${(o.wgrad.gflops / o.forward.gflops).toFixed(2)} | ${o.peak.toFixed(1)} |`),
    '',
  ].join('\n');
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md);
  console.log(`wrote ${OUT}`);
}
