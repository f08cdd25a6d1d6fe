/** Every zoo model: our reference output == onnxruntime-node on our exported ONNX; pretrained ones == the original files. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { modelStats } from '../src/analysis/stats.js';
import { loadModel } from '../src/node/models.js';
import { exportOnnx } from '../src/onnx/export.js';
import { compile } from '../src/runtime/session.js';
import { ZOO } from '../src/zoo/index.js';
import { ASSET_MODELS, HAS_SHARED, maxAbsDiff, runOrt, SHARED_DATA, waveInput } from './helpers.js';

/** Parameter counts of the reference implementations (torchvision; akamaster; pytorch-cifar). */
const PARAMS: Record<string, number> = {
  // akamaster's counts less one per BN channel: folding turns (gamma, beta) into one conv bias.
  resnet20: 269_722 - 688,
  resnet56: 853_018 - 2_032,
  'mobilenetv2-cifar': 0,
  resnet18: 11_689_512,
  resnet50: 25_557_032,
  mobilenetv2: 3_504_872,
  'mobilenetv3-small': 2_542_856,
  'efficientnet-b0': 5_288_548,
};

describe('model zoo', () => {
  for (const name of ZOO.keys()) {
    const imagenet = ZOO.get(name)!.dataset === 'imagenet';
    it(`${name}: ref == onnxruntime on the exported model within 1e-4`, async () => {
      const model = loadModel(name);
      const session = await compile(model, { backend: 'ref' });
      const shape = imagenet ? [1, 3, 224, 224] : [2, 3, 32, 32];
      const x = waveInput(shape);
      const ours = (await session.run({ input: x })).logits!;
      assert.equal(ours.shape[1], imagenet ? 1000 : 10);
      assert.ok(ours.data.every(Number.isFinite), 'finite logits');
      const spread = Math.max(...ours.data) - Math.min(...ours.data);
      assert.ok(spread > 0.1, `logits vary (spread ${spread})`);
      const theirs = await runOrt(exportOnnx(model), { input: x }, 'logits');
      const d = maxAbsDiff(ours.data, theirs);
      assert.ok(d < 1e-4, `max |ours - ort| = ${d}`);
    });
    it(`${name}: parameter count matches the reference architecture`, { skip: PARAMS[name] === 0 ? 'no independent count' : false }, () => {
      assert.equal(modelStats(loadModel(name)).params, PARAMS[name]);
    });
  }

  it('resnet20 and resnet56 built from code with pretrained weights == the original ONNX files in onnxruntime', async () => {
    for (const [name, file] of [['resnet20', join(ASSET_MODELS, 'resnet20_cifar10.onnx')], ['resnet56', join(ASSET_MODELS, 'resnet56_cifar10.onnx')]] as const) {
      const model = loadModel(name);
      assert.match(model.metadata.source ?? '', /pretrained/);
      const x = waveInput([2, 3, 32, 32], 0.21);
      const ours = (await (await compile(model, { backend: 'ref' })).run({ input: x })).logits!;
      const theirs = await runOrt(file, { input: x }, 'logits');
      assert.ok(maxAbsDiff(ours.data, theirs) < 1e-4, name);
    }
  });

  it('mobilenetv2-cifar built from code with pretrained weights == the shared ONNX file', { skip: HAS_SHARED ? false : 'needs ../shared/data' }, async () => {
    const model = loadModel('mobilenetv2-cifar');
    assert.match(model.metadata.source ?? '', /pretrained/);
    const x = waveInput([2, 3, 32, 32], 0.13);
    const ours = (await (await compile(model, { backend: 'ref' })).run({ input: x })).logits!;
    const theirs = await runOrt(join(SHARED_DATA, 'models', 'mobilenetv2_cifar10.onnx'), { input: x }, 'logits');
    assert.ok(maxAbsDiff(ours.data, theirs) < 1e-4);
  });
});
