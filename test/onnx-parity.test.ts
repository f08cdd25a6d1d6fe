/** The shared pretrained ONNX files: our reference backend vs onnxruntime-node, and export round trips. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { compile } from '../src/runtime/session.js';
import { ASSET_MODELS, maxAbsDiff, runOrt, SHARED_DATA, SHARED_SKIP, waveInput } from './helpers.js';

const FILES: [string, string, boolean][] = [
  ['resnet20_cifar10.onnx', join(ASSET_MODELS, 'resnet20_cifar10.onnx'), false],
  ['resnet56_cifar10.onnx', join(SHARED_DATA, 'models', 'resnet56_cifar10.onnx'), true],
  ['mobilenetv2_cifar10.onnx', join(SHARED_DATA, 'models', 'mobilenetv2_cifar10.onnx'), true],
];

describe('pretrained ONNX files: ref backend == onnxruntime-node', () => {
  for (const [name, path, shared] of FILES) {
    it(`${name} (batch 3) within 1e-4, and after export`, { skip: shared ? SHARED_SKIP : false }, async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const model = importOnnx(bytes, { name });
      const session = await compile(model, { backend: 'ref' });
      const x = waveInput([3, 3, 32, 32]);
      const ours = (await session.run({ input: x })).logits!;
      assert.deepEqual(ours.shape, [3, 10]);
      const theirs = await runOrt(path, { input: x }, 'logits');
      const d = maxAbsDiff(ours.data, theirs);
      assert.ok(d < 1e-4, `max |ours - ort| = ${d}`);
      // The logits are not degenerate (a parity test of constants would prove nothing).
      assert.ok(Math.max(...ours.data) - Math.min(...ours.data) > 1, 'logits vary');

      const exported = exportOnnx(model);
      const viaExport = await runOrt(exported, { input: x }, 'logits');
      assert.ok(maxAbsDiff(ours.data, viaExport) < 1e-4, 'onnxruntime on our export');
      const again = await compile(importOnnx(exported), { backend: 'ref' });
      assert.ok(maxAbsDiff(ours.data, (await again.run({ input: x })).logits!.data) === 0, 're-imported export is identical');
    });
  }
});
