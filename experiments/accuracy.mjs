#!/usr/bin/env node
// Top-1 accuracy of the pretrained CIFAR-10 models through the CLI, against the reference counts
// of ../shared/data/README.md (PyTorch and onnxruntime agree on them).
// Usage: node experiments/accuracy.mjs [--backend ref] > experiments/results/accuracy.md
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const data = join(root, '..', 'shared', 'data', 'cifar10');
const bin = join(root, 'bin', 'sparsecnn.js');
const extra = process.argv.slice(2);
if (!existsSync(data)) {
  console.error(`needs ${data}`);
  process.exit(1);
}
const runs = [
  ['resnet20', 'test_batch_exact_first1017.bin', 932, 1017],
  ['resnet20', 'test_batch.bin', 8103, 10000],
  ['resnet56', 'test_batch_exact_first1017.bin', 943, 1017],
  ['resnet56', 'test_batch.bin', 8320, 10000],
  ['mobilenetv2-cifar', 'test_batch_exact_first1017.bin', 862, 1017],
  ['mobilenetv2-cifar', 'test_batch.bin', 8365, 10000],
];
const rows = [];
for (const [model, file, expected, total] of runs) {
  const args = [bin, 'eval', model, '--data', join(data, file), '--json', ...extra];
  const t0 = Date.now();
  const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  const seconds = (Date.now() - t0) / 1000;
  const correct = Math.round(out.top1 * out.images);
  rows.push(`| ${model} | ${file} | ${correct}/${out.images} (${(out.top1 * 100).toFixed(2)}%) | ${expected}/${total} | ${correct - expected >= 0 ? '+' : ''}${correct - expected} | ${seconds.toFixed(0)} s |`);
  console.error(rows[rows.length - 1]);
}
console.log(`# CIFAR-10 top-1, sparsecnn vs the reference counts

- date: ${new Date().toISOString()}
- machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}
- command: \`node experiments/accuracy.mjs ${extra.join(' ')}\` (each row: \`sparsecnn eval MODEL --data ../shared/data/cifar10/FILE --json ${extra.join(' ')}\`)
- reference counts: PyTorch 1.13 and onnxruntime-node 1.30.0 (../shared/data/README.md)

| model | data | sparsecnn | reference | diff | time |
|---|---|---|---|---|---|
${rows.join('\n')}
`);
