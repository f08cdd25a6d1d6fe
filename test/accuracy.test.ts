/**
 * Accuracy of the pretrained CIFAR ResNets on the bundled original-pixel test images, against the
 * counts PyTorch and onnxruntime give (../shared/data/README.md): ResNet-20 932/1017.
 * (ResNet-56 on all 10,000 images is checked by experiments/accuracy.sh; results committed.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateAccuracy } from '../src/analysis/accuracy.js';
import { loadCifar10 } from '../src/node/data.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';
import { BUNDLED_IMAGES } from './helpers.js';

describe('CIFAR-10 accuracy (reference backend)', () => {
  it('resnet20 classifies 932 of the 1017 original-pixel test images correctly (±2)', async () => {
    const model = loadModel('resnet20');
    const data = loadCifar10(BUNDLED_IMAGES);
    assert.equal(data.count, 1017);
    const r = await evaluateAccuracy(await compile(model, { backend: 'ref' }), data, model.metadata.preprocessing!, { batchSize: 50 });
    assert.ok(Math.abs(r.correct - 932) <= 2, `${r.correct}/1017`);
  });
});
