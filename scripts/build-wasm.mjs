#!/usr/bin/env node
/**
 * Builds the WebAssembly kernels (src/kernels/wasm/assembly, AssemblyScript) into four variants,
 * {simd, relaxed-simd} x {non-shared, shared memory}, all importing their memory from JS (env.memory),
 * and writes src/kernels/wasm/generated/wasm-binaries.ts with them as base64 strings so the
 * browser-safe loader needs no fs. Regenerates the templated micro-kernels first.
 *
 *   node scripts/build-wasm.mjs            build (skips asc when sources and flags are unchanged)
 *   node scripts/build-wasm.mjs --force    always rebuild
 *   node scripts/build-wasm.mjs --wat DIR  also write .wat text of each variant to DIR (for reading codegen)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGenerated } from './gen-wasm-kernels.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src', 'kernels', 'wasm', 'assembly');
const OUT_DIR = join(ROOT, 'src', 'kernels', 'wasm', 'generated');
const OUT = join(OUT_DIR, 'wasm-binaries.ts');
const ASC = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'asc.cmd' : 'asc');
/** Must match RESERVED_BYTES in src/kernels/wasm/index.ts: the module may use no memory above it. */
const RESERVED_BYTES = 1024;
/** Shared memories need a declared maximum; 65536 pages (4 GiB) accepts any memory JS creates. */
const SHARED_MAX_PAGES = 65536;

const COMMON = [
  '--importMemory', '--noExportMemory', '--initialMemory', '0', '--runtime', 'stub', '-O3', '--noAssert',
  // AS112 warns that v128 parameters cannot cross to JS; they only appear on internal helpers.
  '--disableWarning', '112',
];
const VARIANTS = [
  { key: 'simd', flags: ['--enable', 'simd'] },
  { key: 'relaxedSimd', flags: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { key: 'simdShared', flags: ['--enable', 'simd', '--enable', 'threads', '--sharedMemory', '--maximumMemory', String(SHARED_MAX_PAGES)] },
  { key: 'relaxedSimdShared', flags: ['--enable', 'simd', '--enable', 'relaxed-simd', '--enable', 'threads', '--sharedMemory', '--maximumMemory', String(SHARED_MAX_PAGES)] },
];

function listSources(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listSources(p));
    else if (e.endsWith('.ts') || e.endsWith('.json')) out.push(p);
  }
  return out;
}

/** Fails when a binary has a data segment: the executor owns all memory above RESERVED_BYTES and we promise to use none. */
function checkNoData(bytes, key) {
  let i = 8;
  const leb = () => {
    let v = 0, s = 0, b;
    do {
      b = bytes[i++];
      v |= (b & 0x7f) << s;
      s += 7;
    } while (b & 0x80);
    return v >>> 0;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    if (id === 11 || id === 6) throw new Error(`${key}: the module has ${id === 11 ? 'a data' : 'a global'} section; RESERVED_BYTES (${RESERVED_BYTES}) assumes none`);
    i += size;
  }
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const watIdx = args.indexOf('--wat');
const watDir = watIdx >= 0 ? args[watIdx + 1] : undefined;

const regenerated = writeGenerated();
if (regenerated.length > 0) console.log(`build-wasm: regenerated ${regenerated.length} micro-kernel file(s)`);

const hash = createHash('sha256');
const ascVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;
hash.update(`${ascVersion}\n${JSON.stringify(COMMON)}\n${JSON.stringify(VARIANTS)}\n${RESERVED_BYTES}\n`);
for (const f of listSources(SRC)) hash.update(`${relative(ROOT, f)}\n`).update(readFileSync(f));
const digest = hash.digest('hex').slice(0, 16);

if (!force && !watDir && existsSync(OUT) && readFileSync(OUT, 'utf8').includes(`sourceHash = '${digest}'`)) {
  console.log('build-wasm: up to date');
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'sparsecnn-wasm-'));
const lines = [];
try {
  for (const v of VARIANTS) {
    const wasm = join(tmp, `${v.key}.wasm`);
    const extra = watDir ? ['-t', join(watDir, `${v.key}.wat`)] : [];
    if (watDir) mkdirSync(watDir, { recursive: true });
    execFileSync(ASC, [join(SRC, 'index.ts'), ...COMMON, ...v.flags, '-o', wasm, ...extra], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const bytes = readFileSync(wasm);
    checkNoData(bytes, v.key);
    lines.push(`/** ${v.flags.join(' ')} (${bytes.length} bytes) */`);
    lines.push(`export const ${v.key} = '${bytes.toString('base64')}';`);
    console.log(`build-wasm: ${v.key} ${bytes.length} bytes`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(
  OUT,
  [
    '// generated by scripts/build-wasm.mjs from src/kernels/wasm/assembly — do not edit, not checked in',
    `// asc ${ascVersion}: ${COMMON.join(' ')}`,
    `export const sourceHash = '${digest}';`,
    `export const reservedBytes = ${RESERVED_BYTES};`,
    ...lines,
    '',
  ].join('\n'),
);
console.log(`build-wasm: wrote ${relative(ROOT, OUT)}`);
