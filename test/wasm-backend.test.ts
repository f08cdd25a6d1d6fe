/**
 * The WebAssembly backend against the reference backend: the conformance cases, every zoo model,
 * threads, the planned arena, and CIFAR-10 accuracy.
 */
import assert from 'node:assert/strict';

import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { evaluateAccuracy } from '../src/analysis/accuracy.js';
import { SparseCnnError } from '../src/errors.js';
import { floatTensor, type FloatTensor } from '../src/graph/tensor.js';
import { relaxedSimdSupported } from '../src/kernels/wasm/index.js';
import { loadCifar10 } from '../src/node/data.js';
import { loadModel } from '../src/node/models.js';
import { importOnnx } from '../src/onnx/import.js';
import { arenaConflicts } from '../src/runtime/arena.js';
import { compile } from '../src/runtime/session.js';
import { WasmSession } from '../src/runtime/wasm/session.js';
import { ZOO } from '../src/zoo/index.js';
import { CONFORMANCE_CASES } from './conformance-cases.js';
import { BUNDLED_IMAGES, maxAbsDiff, waveInput } from './helpers.js';

function close(ours: FloatTensor, ref: FloatTensor, what: string): void {
  assert.deepEqual(ours.shape, ref.shape, `${what}: shape`);
  let worst = 0;
  for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(ours.data[i]! - ref.data[i]!) / Math.max(1, Math.abs(ref.data[i]!)));
  assert.ok(worst <= 1e-4, `${what}: max relative difference ${worst}`);
}

describe('wasm backend: conformance cases == reference backend', () => {
  for (const c of CONFORMANCE_CASES) {
    it(c.name, async () => {
      const model = importOnnx(c.build(), { name: c.name });
      const out = c.output ?? 'y';
      const ref = (await (await compile(model, { backend: 'ref' })).run(c.feeds))[out]!;
      const s = await compile(model, { backend: 'wasm', threads: 1 });
      close((await s.run(c.feeds))[out]!, ref, c.name);
      s.dispose();
    });
  }
});

describe('wasm backend: zoo models', () => {
  for (const name of ZOO.keys()) {
    const imagenet = ZOO.get(name)!.dataset === 'imagenet';
    it(`${name}: wasm (1 and 2 threads) == ref within 1e-4; threads give identical results`, async () => {
      const model = loadModel(name);
      const x = waveInput(imagenet ? [1, 3, 224, 224] : [3, 3, 32, 32]);
      const ref = (await (await compile(model, { backend: 'ref' })).run({ input: x })).logits!;
      const one = await compile(model, { backend: 'wasm', threads: 1 });
      const two = await compile(model, { backend: 'wasm', threads: 2 });
      const a = (await one.run({ input: x })).logits!;
      const b = (await two.run({ input: x })).logits!;
      close(a, ref, `${name} 1 thread`);
      assert.equal(maxAbsDiff(a.data, b.data), 0, 'threads split work, never change results');
      one.dispose();
      two.dispose();
    });
  }
});

describe('wasm backend: engine properties', () => {
  it('relaxed-SIMD and plain-SIMD kernels agree', { skip: relaxedSimdSupported() ? false : 'relaxed SIMD not available here' }, async () => {
    const model = loadModel('resnet20');
    const x = waveInput([2, 3, 32, 32]);
    const a = await compile(model, { backend: 'wasm', threads: 1, relaxedSimd: true });
    const b = await compile(model, { backend: 'wasm', threads: 1, relaxedSimd: false });
    assert.equal((a as WasmSession).relaxedSimd, true);
    assert.equal((b as WasmSession).relaxedSimd, false);
    close((await a.run({ input: x })).logits!, (await b.run({ input: x })).logits!, 'relaxed vs plain');
  });

  for (const name of ['resnet20', 'mobilenetv2-cifar', 'efficientnet-b0']) {
    it(`${name}: the arena's predicted peak equals the measured high-water mark, and no two live tensors overlap`, async () => {
      const model = loadModel(name);
      const shape = ZOO.get(name)!.dataset === 'imagenet' ? [1, 3, 224, 224] : [4, 3, 32, 32];
      const s = (await compile(model, { backend: 'wasm', threads: 1 })) as WasmSession;
      const feeds = { input: waveInput(shape) };
      const r = await s.arenaReport(feeds);
      assert.equal(r.measuredPeakBytes, r.predictedPeakBytes);
      assert.ok(r.predictedPeakBytes < r.naiveBytes / 2, `reuse: ${r.predictedPeakBytes} vs ${r.naiveBytes}`);
      const { lifetimes, plan } = s.arenaPlan(new Map([['input', shape]]));
      assert.deepEqual(arenaConflicts(lifetimes, plan), []);
      s.dispose();
    });
  }

  it('a wrong input shape or dtype is refused before any kernel runs', async () => {
    const s = await compile(loadModel('resnet20'), { backend: 'wasm', threads: 1 });
    await assert.rejects(s.run({ input: floatTensor([1, 3, 30, 32]) }), (e: unknown) => e instanceof SparseCnnError && e.code === 'SHAPE_MISMATCH' && /expects shape \[batch,3,32,32\]/.test(e.message));
    await assert.rejects(s.run({ input: { dtype: 'int64', shape: [1, 3, 32, 32], data: new BigInt64Array(3072) } }), /must be float32/);
  });

  it('resnet20 accuracy on the 1017 original-pixel images is unchanged with wasm (932)', async () => {
    const model = loadModel('resnet20');
    const s = await compile(model, { backend: 'wasm' });
    const r = await evaluateAccuracy(s, loadCifar10(BUNDLED_IMAGES), model.metadata.preprocessing!, { batchSize: 64 });
    assert.equal(r.correct, 932);
    s.dispose();
  });

  it('the shared MobileNetV2-CIFAR ONNX file runs on wasm (depthwise, residual 1x1 shortcuts)', async () => {
    const model = loadModel('mobilenetv2-cifar');
    const x = waveInput([2, 3, 32, 32]);
    const ref = (await (await compile(model, { backend: 'ref' })).run({ input: x })).logits!;
    close((await (await compile(model, { backend: 'wasm', threads: 2 })).run({ input: x })).logits!, ref, 'mbv2');
  });
});

