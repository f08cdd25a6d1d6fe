/** The CLI as a user meets it: JSON contracts, one-line errors with non-zero exit codes, no overwrites. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { onnx } from '../src/onnx/proto.js';
import { assertCleanError, runCli, type CliResult } from './cli-helpers.js';
import { BUNDLED_IMAGES, ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsecnn-cli-'));

function cli(...args: string[]): CliResult {
  return runCli(args);
}

/** CIFAR-10 test image i of the bundled file as a PNG. */
function cifarPng(i: number, path: string): void {
  const bytes = readFileSync(BUNDLED_IMAGES);
  const rec = bytes.subarray(i * 3073 + 1, (i + 1) * 3073);
  const png = new PNG({ width: 32, height: 32 });
  for (let p = 0; p < 1024; p++) {
    png.data[p * 4] = rec[p]!;
    png.data[p * 4 + 1] = rec[1024 + p]!;
    png.data[p * 4 + 2] = rec[2048 + p]!;
    png.data[p * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

/** A one-node ONNX model using an op sparsecnn does not implement. */
function unsupportedOpModel(path: string): void {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: [{ opType: 'Erf', input: ['x'], output: ['y'], name: 'erf0' }], input: [vi('x')], output: [vi('y')] },
  });
  writeFileSync(path, onnx.ModelProto.encode(m).finish());
}

describe('CLI', () => {
  it('info --json prints {params, macs, predictedPeakBytes, nodes:[{name, op, outShape, params, macs}]}', () => {
    const r = cli('info', 'resnet20', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).sort(), ['macs', 'nodes', 'params', 'predictedPeakBytes']);
    // Two 16x32x32 float maps live at once at least (a residual block's input and its conv output).
    assert.ok(j.predictedPeakBytes >= 2 * 16 * 32 * 32 * 4 && j.predictedPeakBytes < 1 << 20, `${j.predictedPeakBytes}`);
    assert.equal(j.params, 269_034);
    assert.equal(j.macs, 40_551_040); // 40.55M MACs, the figure published for ResNet-20
    const conv = j.nodes.find((n: { op: string }) => n.op === 'Conv');
    assert.deepEqual(Object.keys(conv).sort(), ['macs', 'name', 'op', 'outShape', 'params']);
    assert.deepEqual(conv.outShape, [1, 16, 32, 32]);
  });

  it('run --json classifies a real CIFAR-10 picture (test image 0, a cat)', () => {
    const png = join(tmp, 'cat.png');
    cifarPng(0, png);
    const r = cli('run', 'resnet20', '--input', png, '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.top.length, 5);
    assert.deepEqual(Object.keys(j.top[0]).sort(), ['index', 'label', 'prob']);
    assert.equal(j.top[0].label, 'cat');
    const total = j.top.reduce((s: number, t: { prob: number }) => s + t.prob, 0);
    assert.ok(total <= 1 + 1e-6 && j.top[0].prob >= j.top[1].prob);
  });

  it('eval --json prints {top1, images} and accepts a .bin file', () => {
    const r = cli('eval', 'resnet20', '--data', BUNDLED_IMAGES, '--limit', '40', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).sort(), ['images', 'top1']);
    assert.equal(j.images, 40);
    assert.ok(j.top1 > 0.8 && j.top1 <= 1, `top1 ${j.top1}`);
  });

  it('export writes an ONNX file and refuses to overwrite it without --force', () => {
    const out = join(tmp, 'r20.onnx');
    assert.equal(cli('export', 'resnet20', '-o', out).code, 0);
    writeFileSync(out, 'precious');
    assertCleanError(cli('export', 'resnet20', '-o', out), /already exists.*--force/);
    assert.equal(readFileSync(out, 'utf8'), 'precious', 'the existing file is untouched');
    assert.equal(cli('export', 'resnet20', '-o', out, '--force').code, 0);
    assert.ok(readFileSync(out).length > 1_000_000);
  });

  it('prune --tile 4 writes a model the engine runs on conv2d_colnm4; a tile without a sparse kernel says so', () => {
    const t4 = join(tmp, 'r20-t4.onnx');
    const p = cli('prune', 'resnet20', '--method', 'colnm:2:4', '--tile', '4', '-o', t4, '--json');
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stderr, /no sparse kernel/);
    const b = cli('bench', t4, '--vs', 'none', '--runs', '1', '--warmup', '1', '--json');
    assert.equal(b.code, 0, b.stderr);
    const kernels = (JSON.parse(b.stdout) as { engines: { name: string; kernels?: { kernel: string }[] }[] }).engines[0]!.kernels!.map((k) => k.kernel);
    assert.equal(kernels.filter((k) => k === 'conv2d_colnm4').length, 18, kernels.join(','));
    const t3 = cli('prune', 'resnet20', '--method', 'colnm:2:4', '--tile', '3', '-o', join(tmp, 'r20-t3.onnx'), '--json');
    assert.equal(t3.code, 0, t3.stderr);
    assert.match(t3.stderr, /colnm tiles of 3 channels have no sparse kernel \(tiles of 8 and 4 do\): the pruned layers run on dense kernels/);
    assert.equal((JSON.parse(t3.stdout) as { method: string }).method.startsWith('colnm'), true);
  });

  describe('bad input: one clear line, non-zero exit, no stack trace, no hang', () => {
    it('a truncated ONNX file', () => {
      const p = join(tmp, 'truncated.onnx');
      writeFileSync(p, readFileSync(join(ROOT, 'assets', 'models', 'resnet20_cifar10.onnx')).subarray(0, 300_000));
      assertCleanError(cli('info', p), /not a valid ONNX file.*truncated/);
    });
    it('a file that is not ONNX', () => {
      const p = join(tmp, 'notes.onnx');
      writeFileSync(p, 'this is a text file, not a protobuf\n'.repeat(20));
      assertCleanError(cli('info', p), /not a valid ONNX file/);
    });
    it('an empty file', () => {
      const p = join(tmp, 'empty.onnx');
      writeFileSync(p, '');
      assertCleanError(cli('eval', p), /empty/);
    });
    it('an unsupported op', () => {
      const p = join(tmp, 'erf.onnx');
      unsupportedOpModel(p);
      assertCleanError(cli('info', p), /unsupported op: Erf \(1 node\)/);
    });
    it('a wrong input shape (ImageNet model on 32x32 CIFAR images)', () => {
      assertCleanError(cli('eval', 'mobilenetv3-small', '--limit', '2'), /expects 3x224x224 images.*3x32x32/);
    });
    it('a missing data directory', () => {
      assertCleanError(cli('eval', 'resnet20', '--data', join(tmp, 'no-such-dir')), /CIFAR-10 data .* does not exist/);
    });
    it('a directory without test_batch.bin', () => {
      assertCleanError(cli('eval', 'resnet20', '--data', tmp), /no test_batch\.bin/);
    });
    it('a data file that is not CIFAR-10', () => {
      const p = join(tmp, 'bad.bin');
      writeFileSync(p, Buffer.alloc(5000));
      assertCleanError(cli('eval', 'resnet20', '--data', p), /not a CIFAR-10 binary batch/);
    });
    it('an unknown model name', () => {
      assertCleanError(cli('info', 'resnet9000'), /neither a file nor a zoo model/);
    });
    it('an invalid option value (commander usage error, not a stack trace)', () => {
      const r = cli('info', 'resnet20', '--batch', '0');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--batch must be a positive integer, got '0'/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      const b = cli('eval', 'resnet20', '--backend', 'gpu');
      assert.equal(b.code, 1);
      assert.match(b.stderr, /unknown backend 'gpu' \(available: ref, wasm\)/);
      const p = cli('prune', 'mobilenetv2-cifar', '--method', 'dcp:0.5', '--pw', '2', '-o', join(tmp, 'never.onnx'));
      assert.equal(p.code, 1);
      assert.match(p.stderr, /--pw must be in \[0, 1\), got '2'/);
      assert.doesNotMatch(p.stderr, /\n\s+at /);
      assertCleanError(cli('prune', 'mobilenetv2-cifar', '--method', 'dcp-b:0.5', '--lanes', '3', '-o', join(tmp, 'never.onnx')), /--lanes 3 must divide the sub-GEMM width 32/);
    });
    it('a missing image', () => {
      assertCleanError(cli('run', 'resnet20', '--input', join(tmp, 'nope.png')), /image .* does not exist/);
    });
    it('an image that is not PNG or JPEG', () => {
      const p = join(tmp, 'fake.png');
      writeFileSync(p, 'GIF89a....');
      assertCleanError(cli('run', 'resnet20', '--input', p), /not a PNG or JPEG/);
    });
  });
});
