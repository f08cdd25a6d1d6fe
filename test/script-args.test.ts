/** The bench/ and experiments/ scripts that take options: --help prints their usage, a typo stops them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

// Every script that parses named options through scripts/script-args.mjs.
const SCRIPTS = [
  'experiments/finetune.mjs',
  'experiments/pw-alloc-screen.mjs',
  'experiments/pruning-accuracy.mjs',
  'bench/plan-models.mjs',
  'bench/train-throughput.mjs',
  'bench/deprune-ablation.mjs',
  'bench/pw-alloc.mjs',
  'bench/kernels.mjs',
  'bench/sparse-kernels.mjs',
  'bench/train-kernels.mjs',
  'bench/train-tfjs.mjs',
  'bench/run-pruned.mjs',
];

const run = (script: string, args: readonly string[]) =>
  spawnSync(process.execPath, [join(ROOT, script), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('script options', () => {
  for (const script of SCRIPTS) {
    it(`${script}: --help prints its header comment and runs nothing`, () => {
      const r = run(script, ['--help']);
      assert.equal(r.status, 0, r.stderr);
      // The first line of the printed usage is the first line of the file's own header comment.
      const src = readFileSync(join(ROOT, script), 'utf8').split('\n');
      const first = src.find((l, i) => i > 0 && /^\s*(\*|\/\/) ?\S/.test(l))!.replace(/^\s*(\*|\/\/) ?/, '');
      assert.equal(r.stdout.split('\n')[0], first);
      assert.ok(r.stdout.split('\n').length >= 3, 'more than a title');
    });

    it(`${script}: an unknown option exits 2 naming it`, () => {
      const r = run(script, ['--epoks', '3']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /Unknown option '--epoks'/);
      assert.match(r.stderr, /--help/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
});
