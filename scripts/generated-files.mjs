/**
 * What every kernel generator shares: write the files that changed, or with --check list the stale
 * ones and fail (a test runs every generator with --check, so checked-in output never drifts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Writes the generated files (path → text) that differ from disk; returns the paths that differed. */
export function writeFiles(files, { check = false } = {}) {
  const stale = [];
  for (const [path, text] of files) {
    let old = null;
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = null;
    }
    if (old === text) continue;
    stale.push(path);
    if (!check) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  return stale;
}

/** The command-line entry of a generator module (`importMeta` = its import.meta). */
export function generatorMain(importMeta, generate, what) {
  if (!process.argv[1] || fileURLToPath(importMeta.url) !== process.argv[1]) return;
  const check = process.argv.includes('--check');
  const stale = writeFiles(generate(), { check });
  const script = fileURLToPath(importMeta.url).split('/').slice(-2).join('/');
  if (check && stale.length > 0) {
    console.error(`stale ${what} (run node ${script}):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  if (!check) console.log(stale.length === 0 ? `${what} up to date` : `wrote ${stale.length} generated file(s)`);
}
