#!/usr/bin/env node
/**
 * Generates the strip micro-kernels of the DEPrune depthwise conv (dwconv2d_dr, assembly/dwconv-dr.ts)
 * from ONE template: `f32_dwconv_dr_<R>x<4V>` = R output rows x V vectors of 4 output pixels of one
 * channel, R·V ≤ VMAX, each in its own file under src/kernels/wasm/assembly/f32-dwconv-dr/ plus an
 * index with the (R, V) dispatch. The generated files are checked in; `--check` exits 1 when they
 * differ from what this script would write (a test runs it), plain runs rewrite them.
 *
 * The strip kernel computes, for each channel ch < nch of a block,
 *     out[ch][r][v] = bias[ch] + Σ_j w_j · in(a + ch·chanB + off_j + r·rowB + 16v)
 * over the channel's kept (offset off_j, weight w_j) entries (8 bytes each, the block's channels one
 * after the other from ent; channel ch has starts[ch + 1] − starts[ch] of them):
 *   a:     the block's planar input (transposed by the driver) at the strip's first output pixel,
 *   off_j: byte offset of the entry's tap (ky, kx) in that planar layout (row ky·dh, stride phase, column),
 *   rowB:  bytes between the windows of consecutive output rows (sh planar rows),
 *   out:   R·V vectors per channel, row-major, for the driver's transpose back to NHWC.
 * Per kept tap: 1 offset load + 1 weight splat, R·V input loads, R·V multiply-adds. Taps alternate
 * between 2 accumulator sets (summed at the end): with fewer than 8 independent chains the 4-cycle
 * multiply-add latency, not the ports, would set the pace. 2 taps per trip with an exit test after
 * each, so V8 keeps one tap's loads + 2·R·V accumulators + the weight (≤ 13 v128) live.
 */
import { generatorMain, writeFiles } from './generated-files.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DWDR_DIR = join(ROOT, 'src', 'kernels', 'wasm', 'assembly', 'f32-dwconv-dr');
/** Most vectors per strip (must match DWDR_VMAX in assembly/dwconv-dr.ts). */
export const VMAX = 4;

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

/** Every (R, V) with R·V ≤ VMAX. */
export function shapes() {
  const out = [];
  for (let r = 1; r <= VMAX; r++) for (let v = 1; r * v <= VMAX; v++) out.push([r, v]);
  return out;
}

const nameOf = (r, v) => `f32_dwconv_dr_${r}x${4 * v}`;
const fileOf = (r, v) => `f32-dwconv-dr-${r}x${4 * v}.ts`;

/**
 * Accumulator sets: taps go round-robin over them (even taps, odd taps) so that a 4-vector strip has 8
 * multiply-add chains in flight. The same for every shape, so an output's summation order never
 * depends on which strip computed it (an executor may split pixels anywhere; results stay identical).
 */
export const SETS = 2;

/** The template: one R x 4V strip kernel, looping over the channels of a block. */
function stripKernel(R, V) {
  const S = SETS;
  const cells = [];
  for (const r of range(R)) for (const v of range(V)) cells.push([r, v]);
  const L = [];
  L.push(`// generated — do not edit; template: scripts/gen-wasm-sparse-kernels.mjs (stripKernel, R=${R}, V=${V}, ${S} accumulator sets)`);
  L.push(`import { fma } from "../common";`);
  L.push('');
  L.push(`/** ${R} output row(s) x ${4 * V} pixels of each of nch channels over their kept taps; see the generator's header. */`);
  L.push(`export function ${nameOf(R, V)}(a: usize, chanB: usize, rowB: usize, ent: usize, starts: usize, nch: i32, bias: usize, out: usize): void {`);
  L.push(`  let e = ent;`);
  L.push(`  for (let ch = 0; ch < nch; ch++) {`);
  L.push(`    let k = <i32>(load<u32>(starts + (<usize>ch << 2), 4) - load<u32>(starts + (<usize>ch << 2)));`);
  L.push(`    let s0 = f32x4.splat(0.0);`);
  L.push(`    let z = s0;`);
  L.push(`    if (bias != 0) s0 = v128.load32_splat(bias + (<usize>ch << 2));`);
  for (const [r, v] of cells) {
    L.push(`    let a0r${r}v${v} = s0;`);
    for (let u = 1; u < S; u++) L.push(`    let a${u}r${r}v${v} = z;`);
  }
  L.push(`    let base = a + <usize>ch * chanB;`);
  L.push(`    if (k > 0) {`);
  L.push(`      while (true) {`);
  for (let u = 0; u < S; u++) {
    L.push(`        let p${u} = base + <usize>load<u32>(e, ${8 * u});`);
    L.push(`        let w${u} = v128.load32_splat(e, ${8 * u + 4});`);
    for (const r of range(R)) {
      const p = r === 0 ? `p${u}` : `p${u}r${r}`;
      if (r > 0) L.push(`        let ${p} = ${r === 1 ? `p${u}` : `p${u}r${r - 1}`} + rowB;`);
      for (const v of range(V)) L.push(`        a${u}r${r}v${v} = fma(v128.load(${p}, ${16 * v}), w${u}, a${u}r${r}v${v});`);
    }
    if (u < S - 1) {
      L.push(`        if (--k == 0) {`);
      L.push(`          e += ${8 * (u + 1)};`);
      L.push(`          break;`);
      L.push(`        }`);
    } else {
      L.push(`        e += ${8 * S};`);
      L.push(`        if (--k == 0) break;`);
    }
  }
  L.push(`      }`);
  L.push(`    }`);
  L.push(`    let o = out + <usize>ch * ${16 * R * V};`);
  for (const [r, v] of cells) {
    let sum = `a0r${r}v${v}`;
    if (S === 2) sum = `f32x4.add(a0r${r}v${v}, a1r${r}v${v})`;
    if (S === 3) sum = `f32x4.add(f32x4.add(a0r${r}v${v}, a1r${r}v${v}), a2r${r}v${v})`;
    if (S === 4) sum = `f32x4.add(f32x4.add(a0r${r}v${v}, a1r${r}v${v}), f32x4.add(a2r${r}v${v}, a3r${r}v${v}))`;
    L.push(`    v128.store(o, ${sum}, ${16 * (r * V + v)});`);
  }
  L.push(`  }`);
  L.push(`}`);
  L.push('');
  return { file: fileOf(R, V), name: nameOf(R, V), text: L.join('\n') };
}

function stripIndex(kernels) {
  const L = [];
  L.push(`// generated — do not edit; template: scripts/gen-wasm-sparse-kernels.mjs (stripIndex)`);
  for (const k of kernels) L.push(`import { ${k.name} } from "./${k.file.replace(/\.ts$/, '')}";`);
  L.push('');
  L.push(`/** Runs the R x 4V strip kernel (R·V ≤ ${VMAX}) over nch channels. */`);
  L.push(`export function dwDrStrips(R: i32, V: i32, a: usize, chanB: usize, rowB: usize, ent: usize, starts: usize, nch: i32, bias: usize, out: usize): void {`);
  L.push(`  switch (R * 8 + V) {`);
  for (const k of kernels) L.push(`    case ${k.r * 8 + k.v}: ${k.name}(a, chanB, rowB, ent, starts, nch, bias, out); break;`);
  L.push(`    default: unreachable();`);
  L.push(`  }`);
  L.push(`}`);
  L.push('');
  return { file: 'index.ts', text: L.join('\n') };
}

/** Every generated file: path → text. */
export function generate() {
  const kernels = shapes().map(([r, v]) => ({ ...stripKernel(r, v), r, v }));
  const out = new Map();
  for (const k of kernels) out.set(join(DWDR_DIR, k.file), k.text);
  const idx = stripIndex(kernels);
  out.set(join(DWDR_DIR, idx.file), idx.text);
  return out;
}

/** Writes files that changed; returns the paths that differed. */
export function writeGenerated({ check = false } = {}) {
  return writeFiles(generate(), { check });
}

generatorMain(import.meta, generate, 'generated sparse kernels');
