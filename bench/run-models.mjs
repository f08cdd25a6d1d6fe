#!/usr/bin/env node
/**
 * Runs `sparsecnn bench <model> --json` over the ImageNet-shape zoo models at batch 1 with 1 and
 * 2 threads, and writes bench/results/models-<date>.md (a table per model, the machine, the exact
 * commands) with the raw JSON beside it (models-<date>.json).
 *
 *   node bench/run-models.mjs                               # the full set
 *   node bench/run-models.mjs --models resnet18 --runs 3 --warmup 1
 *   node bench/run-models.mjs --threads 1,2,4 --backend wasm --out /tmp/results
 *
 * Options: --models LIST, --threads LIST, --batch N, --out DIR; --runs, --warmup, --backend and
 * --vs are passed through to `sparsecnn bench`. Build first (npx tsc -p .): this runs bin/sparsecnn.js.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'sparsecnn.js');

function parseArgs(argv) {
  const o = { models: ['resnet50', 'resnet18', 'mobilenetv2', 'efficientnet-b0'], threads: [1, 2], batch: 1, out: join(ROOT, 'bench', 'results'), pass: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--models') o.models = val().split(',').filter(Boolean);
    else if (a === '--threads') o.threads = val().split(',').map(Number);
    else if (a === '--batch') o.batch = Number(val());
    else if (a === '--out') o.out = resolve(val());
    else if (['--runs', '--warmup', '--backend', '--vs'].includes(a)) o.pass.push(a, val());
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run-models.mjs [--models LIST] [--threads LIST] [--batch N] [--out DIR] [--runs N] [--warmup N] [--backend NAME] [--vs LIST]');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (see --help)`);
  }
  if (o.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('--threads must be a comma list of positive integers');
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error('--batch must be a positive integer');
  return o;
}

function git(...args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    logicalCores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: (git('status', '--porcelain') ?? '') !== '',
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

const q = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
const fmt = (ms) => (ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3));

function runOne(model, threads, opts) {
  const args = ['bench', model, '--batch', String(opts.batch), '--threads', String(threads), ...opts.pass, '--json'];
  const command = `node ${relative(process.cwd(), BIN) || BIN} ${args.map(q).join(' ')}`;
  process.stderr.write(`$ ${command}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = (Date.now() - t0) / 1000;
  const stderr = r.stderr.trim();
  if (r.status !== 0) {
    const error = stderr.split('\n').find((l) => l.startsWith('sparsecnn:')) ?? (stderr || `exit code ${r.status}`);
    process.stderr.write(`  failed after ${seconds.toFixed(0)} s: ${error}\n`);
    return { model, threads, command, seconds, error, stderr };
  }
  const result = JSON.parse(r.stdout);
  process.stderr.write(`  ${seconds.toFixed(0)} s: ${result.engines.map((e) => `${e.name} ${fmt(e.medianMs)} ms`).join(', ')}\n`);
  return { model, threads, command, seconds, result, ...(stderr ? { stderr } : {}) };
}

function markdown(runs, m, opts, startedAt) {
  const lines = [];
  lines.push(`# sparsecnn bench: ImageNet-shape models, ${startedAt.toISOString().slice(0, 10)}`);
  lines.push('');
  lines.push(`Batch ${opts.batch}; threads ${opts.threads.join(', ')}${opts.pass.length ? `; ${opts.pass.join(' ')}` : ''}. ` +
    'Median and p90 in milliseconds per inference; GFLOP/s counts 2 FLOPs per multiply-accumulate; ' +
    'peer/ours is the peer median over the sparsecnn median (above 1: sparsecnn is faster). ' +
    'Every peer output was checked against sparsecnn on the same input before timing (max |diff|).');
  lines.push('');
  lines.push('## Machine');
  lines.push('');
  lines.push(`- CPU: ${m.cpu}, ${m.logicalCores} logical cores (available parallelism ${m.availableParallelism}), ${m.memoryGiB} GiB`);
  lines.push(`- OS: ${m.os}`);
  lines.push(`- Node ${m.node} (V8 ${m.v8})`);
  lines.push(`- sparsecnn commit ${m.commit ?? 'unknown'}${m.dirty ? ' (with uncommitted changes)' : ''}`);
  lines.push(`- load average at start ${m.loadAverage.join(' / ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min)`);
  const versions = new Map();
  for (const r of runs) for (const e of r.result?.engines ?? []) if (e.version) versions.set(e.name, e.version);
  if (versions.size) lines.push(`- peers: ${[...versions].map(([n, v]) => `${n} ${v}`).join(', ')}`);
  lines.push(`- started ${startedAt.toISOString()}, finished ${new Date().toISOString()}`);
  lines.push('');
  for (const model of opts.models) {
    const mine = runs.filter((r) => r.model === model);
    lines.push(`## ${model}`);
    lines.push('');
    const ok = mine.filter((r) => r.result);
    for (const r of mine.filter((x) => x.error)) lines.push(`- threads ${r.threads}: **failed**: ${r.error}`);
    if (ok.length) {
      const engines = [...new Set(ok.flatMap((r) => r.result.engines.map((e) => e.name)))];
      const head = ['engine', ...ok.flatMap((r) => [`${r.threads}T median`, `${r.threads}T p90`, `${r.threads}T GFLOP/s`, `${r.threads}T peer/ours`])];
      lines.push(`| ${head.join(' | ')} |`);
      lines.push(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const name of engines) {
        const cells = [name === 'sparsecnn' ? `sparsecnn (${ok[0].result.engines[0].backend ?? '?'})` : name];
        for (const r of ok) {
          const e = r.result.engines.find((x) => x.name === name);
          if (!e) cells.push('', '', '', '');
          else cells.push(fmt(e.medianMs), fmt(e.p90Ms), e.gflops?.toFixed(2) ?? '', name === 'sparsecnn' ? '1.00' : r.result.ratios[name].toFixed(2));
        }
        lines.push(`| ${cells.join(' | ')} |`);
      }
      lines.push('');
      const diffs = ok[0].result.engines.filter((e) => e.maxAbsDiff !== undefined).map((e) => `${e.name} ${e.maxAbsDiff.toExponential(1)}`);
      if (diffs.length) lines.push(`max |peer - sparsecnn| (threads ${ok[0].threads}): ${diffs.join(', ')}`);
      const notes = new Set(ok.flatMap((r) => r.result.engines.filter((e) => e.note).map((e) => `${e.name}: ${e.note}`)));
      for (const n of notes) lines.push(`- note: ${n}`);
    }
    lines.push('');
  }
  lines.push('## Commands');
  lines.push('');
  lines.push('```');
  for (const r of runs) lines.push(r.command);
  lines.push('```');
  lines.push('');
  return lines.join('\n');
}

const opts = parseArgs(process.argv.slice(2));
if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npx tsc -p .');
const startedAt = new Date();
const m = machine();
const runs = [];
for (const model of opts.models) for (const t of opts.threads) runs.push(runOne(model, t, opts));

mkdirSync(opts.out, { recursive: true });
const day = startedAt.toISOString().slice(0, 10);
let stem = join(opts.out, `models-${day}`);
if (existsSync(`${stem}.md`) || existsSync(`${stem}.json`)) stem += `-${startedAt.toISOString().slice(11, 19).replaceAll(':', '')}`;
writeFileSync(`${stem}.json`, `${JSON.stringify({ machine: m, batch: opts.batch, threads: opts.threads, passThrough: opts.pass, startedAt: startedAt.toISOString(), runs }, null, 2)}\n`);
writeFileSync(`${stem}.md`, markdown(runs, m, opts, startedAt));
process.stderr.write(`wrote ${stem}.md and ${stem}.json\n`);
if (runs.some((r) => r.error)) process.exitCode = 1;
