#!/usr/bin/env node
/**
 * Generates the f32 GEMM micro-kernels of the WebAssembly engine from ONE template:
 * `f32_gemm_<MR>x8` for MR = 1..6, each in its own file (file = symbol, see STYLE.md) under
 * src/kernels/wasm/assembly/f32-gemm/. The generated files are checked in; `--check` exits 1
 * when they differ from what this script would write (CI/test), plain runs rewrite them.
 *
 * The micro-kernel computes an MR x 8 block of Y = A·B (+ bias, + residual, activation):
 *   A: MR rows of K floats, row m at a + m·as bytes (a packed im2col panel, or the NHWC input
 *      itself for 1x1 stride-1 convs and Gemm),
 *   B: one packed weight tile, [K][8] floats (8 output channels contiguous per k),
 *   Y: MR rows of nc ≤ 8 floats, row m at y + m·ys bytes; res likewise (0 = none).
 * acc = 0 starts from the bias (0 = none), acc = 1 from the partial sums in Y (K-blocking: the
 * driver passes act = 0, res = 0 for every K chunk but the last).
 * Per k: 2 B vectors, MR A splats, 2·MR fused multiply-adds (2·MR + 3 ≤ 15 v128 registers: V8 on
 * x64 allocates xmm0-14, so MR = 6 is the largest 8-wide tile that does not spill).
 */
import { generatorMain, writeFiles } from './generated-files.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const GEMM_DIR = join(ROOT, 'src', 'kernels', 'wasm', 'assembly', 'f32-gemm');
export const NR = 8;
export const MR_MAX = 6;
const KU = 2; // k-steps per loop trip
const SPLIT_MAX_MR = 2; // kernels this short keep two accumulator sets (see gemmKernel)

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

/** The template: one MR x 8 micro-kernel. */
function gemmKernel(mr) {
  const rows = range(mr);
  const name = `f32_gemm_${mr}x${NR}`;
  const L = [];
  L.push(`// generated — do not edit; template: scripts/gen-wasm-kernels.mjs (gemmKernel, MR=${mr})`);
  L.push(`import { fma, stageRow, storeRow } from "../common";`);
  L.push('');
  L.push(`/** ${mr}x${NR} micro-kernel: Y[${mr}, nc] = act(bias + A[${mr}, K]·B[K, 8] (+ res)); see the generator's header. */`);
  L.push(`export function ${name}(a: usize, as: usize, kc: i32, w: usize, bias: usize, y: usize, ys: usize, res: usize, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, acc: i32): void {`);
  L.push(`  let a0 = a;`);
  for (const m of rows.slice(1)) L.push(`  let a${m} = a${m - 1} + as;`);
  // Accumulators start from the bias (first K chunk) or from the partial sums already in y (acc != 0).
  for (const m of rows) L.push(`  let c${m}x0: v128, c${m}x1: v128;`);
  L.push(`  if (acc != 0) {`);
  L.push(`    if (nc == ${NR}) {`);
  for (const m of rows) {
    const yy = m === 0 ? 'y' : `y + ${m} * ys`;
    L.push(`      c${m}x0 = v128.load(${yy});`, `      c${m}x1 = v128.load(${yy}, 16);`);
  }
  L.push(`    } else {`);
  for (const m of rows) {
    const yy = m === 0 ? 'y' : `y + ${m} * ys`;
    L.push(`      stageRow(${yy}, nc, tmp);`, `      c${m}x0 = v128.load(tmp);`, `      c${m}x1 = v128.load(tmp, 16);`);
  }
  L.push(`    }`);
  L.push(`  } else {`);
  L.push(`    c0x0 = f32x4.splat(0.0);`);
  L.push(`    c0x1 = f32x4.splat(0.0);`);
  L.push(`    if (bias != 0) {`);
  L.push(`      c0x0 = v128.load(bias);`);
  L.push(`      c0x1 = v128.load(bias, 16);`);
  L.push(`    }`);
  for (const m of rows.slice(1)) L.push(`    c${m}x0 = c0x0;`, `    c${m}x1 = c0x1;`);
  L.push(`  }`);
  // K loop, two k-steps per trip with an exit test after each. The mid-loop exit makes the
  // accumulators flow into the epilogue's phis, so TurboFan must finish step 0's multiply-adds before
  // it issues step 1's loads (it otherwise hoists every load of a block to the top and spills).
  // With 1-2 rows the 2·MR accumulator chains cannot hide the multiply-add latency (4 cycles, 2 per
  // cycle), so odd k-steps go to a second set d, summed after the loop.
  const split = mr <= SPLIT_MAX_MR;
  if (split) for (const m of rows) L.push(`  let d${m}x0 = f32x4.splat(0.0);`, `  let d${m}x1 = f32x4.splat(0.0);`);
  L.push(`  let k = kc;`);
  L.push(`  if (k > 0) {`);
  L.push(`    while (true) {`);
  for (let u = 0; u < KU; u++) {
    L.push(`      let b${u}x0 = v128.load(w, ${u * NR * 4});`);
    L.push(`      let b${u}x1 = v128.load(w, ${u * NR * 4 + 16});`);
    const acc = split && u % 2 === 1 ? 'd' : 'c';
    for (const m of rows) {
      L.push(`      let v${u}r${m} = v128.load32_splat(a${m}, ${u * 4});`);
      L.push(`      ${acc}${m}x0 = fma(v${u}r${m}, b${u}x0, ${acc}${m}x0);`);
      L.push(`      ${acc}${m}x1 = fma(v${u}r${m}, b${u}x1, ${acc}${m}x1);`);
    }
    if (u === KU - 1) {
      for (const m of rows) L.push(`      a${m} += ${KU * 4};`);
      L.push(`      w += ${KU * NR * 4};`);
    }
    L.push(`      if (--k == 0) break;`);
  }
  L.push(`    }`);
  L.push(`  }`);
  if (split) for (const m of rows) L.push(`  c${m}x0 = f32x4.add(c${m}x0, d${m}x0);`, `  c${m}x1 = f32x4.add(c${m}x1, d${m}x1);`);
  // Fast epilogue: full tile, none/relu/clip as one clamp; everything else goes through storeRow.
  L.push(`  if (nc == ${NR} && act <= 2) {`);
  for (const m of rows.slice(1)) L.push(`    let y${m} = y + ${m} * ys;`);
  L.push(`    if (res != 0) {`);
  for (const m of rows) {
    const r = m === 0 ? 'res' : `res + ${m} * ys`;
    L.push(`      c${m}x0 = f32x4.add(c${m}x0, v128.load(${r}));`);
    L.push(`      c${m}x1 = f32x4.add(c${m}x1, v128.load(${r}, 16));`);
  }
  L.push(`    }`);
  L.push(`    if (act != 0) {`);
  L.push(`      let vlo = f32x4.splat(act == 1 ? 0.0 : lo);`);
  L.push(`      let vhi = f32x4.splat(act == 1 ? Infinity : hi);`);
  for (const m of rows) {
    for (const j of [0, 1]) L.push(`      c${m}x${j} = f32x4.pmin(f32x4.pmax(vlo, c${m}x${j}), vhi);`);
  }
  L.push(`    }`);
  for (const m of rows) {
    const yy = m === 0 ? 'y' : `y${m}`;
    L.push(`    v128.store(${yy}, c${m}x0);`);
    L.push(`    v128.store(${yy}, c${m}x1, 16);`);
  }
  L.push(`    return;`);
  L.push(`  }`);
  for (const m of rows) {
    const yy = m === 0 ? 'y' : `y + ${m} * ys`;
    const r = m === 0 ? 'res' : `res != 0 ? res + ${m} * ys : 0`;
    L.push(`  storeRow(${yy}, ${r}, c${m}x0, c${m}x1, nc, act, lo, hi, tmp);`);
  }
  L.push(`}`);
  L.push('');
  return { file: `f32-gemm-${mr}x${NR}.ts`, name, text: L.join('\n') };
}

/** The index of the generated family: the row-count dispatch the conv driver calls. */
function gemmIndex(kernels) {
  const L = [];
  L.push(`// generated — do not edit; template: scripts/gen-wasm-kernels.mjs (gemmIndex)`);
  for (const k of kernels) L.push(`import { ${k.name} } from "./${k.file.replace(/\.ts$/, '')}";`);
  for (const k of kernels) L.push(`export { ${k.name} };`);
  L.push('');
  L.push(`/** Runs the micro-kernel with exactly \`rows\` (1..${MR_MAX}) rows. */`);
  L.push(`export function gemmRows(rows: i32, a: usize, as: usize, kc: i32, w: usize, bias: usize, y: usize, ys: usize, res: usize, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize, acc: i32): void {`);
  L.push(`  switch (rows) {`);
  for (const k of kernels.slice().reverse()) {
    const mr = Number(k.name.match(/_(\d+)x/)[1]);
    L.push(`    case ${mr}: ${k.name}(a, as, kc, w, bias, y, ys, res, nc, act, lo, hi, tmp, acc); break;`);
  }
  L.push(`    default: unreachable();`);
  L.push(`  }`);
  L.push(`}`);
  L.push('');
  return { file: 'index.ts', text: L.join('\n') };
}

/** Every generated file: path → text. */
export function generate() {
  const kernels = range(MR_MAX).map((i) => gemmKernel(i + 1));
  const out = new Map();
  for (const k of kernels) out.set(join(GEMM_DIR, k.file), k.text);
  const idx = gemmIndex(kernels);
  out.set(join(GEMM_DIR, idx.file), idx.text);
  return out;
}

/** Writes files that changed; returns the paths that differed. */
export function writeGenerated({ check = false } = {}) {
  return writeFiles(generate(), { check });
}

generatorMain(import.meta, generate, 'generated kernels');
