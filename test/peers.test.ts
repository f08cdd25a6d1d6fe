/**
 * The peers `sparsecnn bench` compares against compute what our reference backend computes: the
 * tfjs translation of the graph IR (tfjs-from-ir.ts) and onnxruntime-web on our ONNX export, on
 * the bundled pretrained ResNet-20 and on MobileNetV3-Small (depthwise convs, folded BatchNorms,
 * HardSwish, squeeze-excite broadcasting). Each peer is skipped, with the reason, when its package
 * is not installed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchInput } from '../src/bench/bench.js';
import { createPeerByName, type PeerName } from '../src/bench/peers/index.js';
import { translateToTfjs } from '../src/bench/peers/tfjs-from-ir.js';
import { importPeerPackage } from '../src/bench/peers/types.js';
import { SparseCnnError } from '../src/errors.js';
import { NO_ATTRS } from '../src/graph/attrs.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';
import { GraphBuilder } from '../src/zoo/index.js';
import { maxAbsDiff } from './helpers.js';

/** false when every package imports, else the reason to skip. */
async function missing(...packages: string[]): Promise<string | false> {
  for (const p of packages) {
    try {
      await import(p);
    } catch {
      return `${p} is not installed`;
    }
  }
  return false;
}

const SKIP: Record<PeerName, string | false> = {
  'tfjs-wasm': await missing('@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'),
  'onnxruntime-web': await missing('onnxruntime-web'),
  'onnxruntime-node': await missing('onnxruntime-node'),
};

const TOL = 1e-3;

describe('bench peers agree with the ref backend', () => {
  for (const name of ['resnet20', 'mobilenetv3-small']) {
    for (const peerName of ['tfjs-wasm', 'onnxruntime-web'] as const) {
      it(`${peerName} == ref on ${name} at batch 1 (within ${TOL})`, { skip: SKIP[peerName] }, async () => {
        const model = loadModel(name);
        if (name === 'resnet20') assert.match(model.metadata.source ?? '', /pretrained/, 'the bundled pretrained ResNet-20');
        const x = benchInput([1, ...model.metadata.preprocessing!.inputSize]);
        const session = await compile(model, { backend: 'ref' });
        const ref = (await session.run({ input: x })).logits!.data;
        const peer = await createPeerByName(peerName, model, { threads: 1, batch: 1 });
        try {
          const y = await peer.run(x);
          assert.equal(y.length, ref.length);
          const d = maxAbsDiff(ref, y);
          assert.ok(d <= TOL, `max |ref - ${peerName}| = ${d}`);
          // A second run gives the same answer (no state leaks between runs).
          assert.equal(maxAbsDiff(y, await peer.run(x)), 0);
        } finally {
          await peer.dispose();
        }
        assert.ok(Math.max(...ref) - Math.min(...ref) > 0.1, 'logits vary');
      });
    }
  }

  it('the tfjs translation names the op it cannot translate', { skip: SKIP['tfjs-wasm'] }, async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const b = new GraphBuilder('softmax-over-channels', 1);
    const x = b.input('input', ['batch', 4, 3, 3]);
    b.output(b.add1('Softmax', [b.relu(x, 'relu')], { axis: 1, legacy: false }, 'softmax', [1, 4, 3, 3]), 'y');
    assert.throws(() => translateToTfjs(tf, b.build(), [1, 4, 3, 3]), (e: unknown) => e instanceof SparseCnnError && e.code === 'UNSUPPORTED' && /Softmax/.test(e.message));
    // Sanity: NO_ATTRS ops around it translate.
    const ok = new GraphBuilder('relu', 1);
    ok.output(ok.add1('Relu', [ok.input('input', [1, 2, 2, 2])], NO_ATTRS, 'r', [1, 2, 2, 2]), 'y');
    const net = translateToTfjs(tf, ok.build(), [1, 2, 2, 2]);
    const t = tf.tensor([-1, 2, -3, 4, 5, -6, 7, -8], [1, 2, 2, 2]);
    const y = net.run(t);
    assert.deepEqual([...(await y.data())], [0, 2, 0, 4, 5, 0, 7, 0]);
    tf.dispose([t, y]);
    net.dispose();
  });

  it('a peer whose package is missing is a NOT_FOUND error saying what to install', async () => {
    const spec = 'sparsecnn-no-such-peer-package';
    await assert.rejects(
      importPeerPackage([spec], 'nothing', () => import(spec)),
      (e: unknown) => e instanceof SparseCnnError && e.code === 'NOT_FOUND' && e.message === `install ${spec} to compare against nothing`,
    );
  });
});
