/** Least-squares reconstruction of pruned convs: zeros kept, errors fall, the fit is the optimum, channel maps found. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import type { ImageBatch } from '../src/data/cifar10.js';
import { batchTensor } from '../src/data/preprocess.js';
import type { Model, Preprocessing } from '../src/graph/ir.js';
import { FUSION_PASS_NAMES } from '../src/graph/passes/index.js';
import type { FloatTensor } from '../src/graph/tensor.js';
import { parseMethod, pruneModel, readPruningMetadata } from '../src/prune/index.js';
import { reconstructPruned } from '../src/prune/reconstruct.js';
import { compile } from '../src/runtime/session.js';
import { GraphBuilder } from '../src/zoo/builder.js';
import { Rng } from '../src/zoo/rng.js';
import { randomImages } from './helpers.js';

const PRE: Preprocessing = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], inputSize: [3, 8, 8] };

/** stem 3x3 → 3x3 stride 2 → 1x1 expansion → depthwise 3x3 → 1x1 projection → pool → classifier, all with biases. */
function tinyNet(seed: number): Model {
  const b = new GraphBuilder('tiny', seed);
  let x = b.input('input', ['batch', 3, 8, 8]);
  x = b.relu(b.conv(x, 8, { kernel: 3, bias: true }, 'stem'), 'r0');
  x = b.relu(b.conv(x, 16, { kernel: 3, stride: 2, bias: true }, 'c1'), 'r1');
  x = b.relu(b.conv(x, 32, { kernel: 1, bias: true }, 'expand'), 'r2');
  x = b.relu(b.conv(x, 32, { kernel: 3, groups: 32, bias: true }, 'dw'), 'r3');
  x = b.conv(x, 16, { kernel: 1, bias: true }, 'project');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flat');
  b.output(b.linear(x, 10, 'fc'), 'logits');
  return { graph: b.build(), opset: 14, metadata: { name: 'tiny', preprocessing: PRE } };
}

/** Two residual blocks: the block input is read again after the block's convs (a held value across refits). */
function residualNet(seed: number): Model {
  const b = new GraphBuilder('res', seed);
  let x = b.input('input', ['batch', 3, 8, 8]);
  x = b.relu(b.conv(x, 8, { kernel: 3, bias: true }, 'stem'), 'r0');
  for (const k of [1, 2]) {
    const y = b.relu(b.conv(x, 8, { kernel: 3, bias: true }, `b${k}.c1`), `b${k}.r1`);
    x = b.relu(b.add(x, b.conv(y, 8, { kernel: 3, bias: true }, `b${k}.c2`), `b${k}.add`), `b${k}.r2`);
  }
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flat');
  b.output(b.linear(x, 10, 'fc'), 'logits');
  return { graph: b.build(), opset: 14, metadata: { name: 'res', preprocessing: PRE } };
}

function weightOf(m: Model, conv: string): Float32Array {
  const n = m.graph.nodes.find((x) => x.name === conv)!;
  return (m.graph.initializers.get(n.inputs[1]!) as FloatTensor).data;
}

/** Σ (y_dense − y)² / Σ (y_dense − mean)² of one conv's output, summed over channels, on `data` (reference backend). */
async function measuredError(dense: Model, model: Model, conv: string, data: ImageBatch): Promise<number> {
  const out = async (m: Model) => {
    const node = m.graph.nodes.find((x) => x.name === conv)!;
    const y = node.outputs[0]!;
    const s = await compile({ ...m, graph: { ...m.graph, outputs: [...m.graph.outputs, { name: y, dtype: 'float32', shape: ['batch', 1, 1, 1] }] } }, { backend: 'ref', disablePasses: FUSION_PASS_NAMES });
    const r = (await s.run({ input: batchTensor(data, 0, data.count, PRE) }))[y] as FloatTensor;
    s.dispose();
    return r;
  };
  const yd = await out(dense), yp = await out(model);
  const [n, C, H, W] = yd.shape as [number, number, number, number];
  let num = 0, den = 0;
  for (let c = 0; c < C; c++) {
    let s1 = 0, s2 = 0, e = 0;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < H * W; p++) {
        const k = (i * C + c) * H * W + p;
        s1 += yd.data[k]!;
        s2 += yd.data[k]! ** 2;
        e += (yd.data[k]! - yp.data[k]!) ** 2;
      }
    }
    num += e;
    den += s2 - (s1 * s1) / (n * H * W);
  }
  return num / den;
}

function perturbed(m: Model, conv: string, rng: Rng, eps: number): Model {
  const node = m.graph.nodes.find((x) => x.name === conv)!;
  const w = weightOf(m, conv);
  const data = w.map((v) => (v === 0 ? 0 : v + eps * rng.normal()));
  const inits = new Map(m.graph.initializers);
  inits.set(node.inputs[1]!, { dtype: 'float32', shape: (m.graph.initializers.get(node.inputs[1]!) as FloatTensor).shape, data });
  return { ...m, graph: { ...m.graph, initializers: inits } };
}

describe('reconstructPruned', () => {
  const dense = tinyNet(5);
  const data = randomImages(48, 9);

  it('colnm: keeps every zero and the record, lowers every layer\'s error, and reports the error the refit model has', async () => {
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:2:4'));
    const { model, report } = await reconstructPruned(dense, pruned, data, PRE, { images: 48, damp: 0 });
    assert.deepEqual(readPruningMetadata(model), readPruningMetadata(pruned));
    // The depthwise conv is not pruned by colnm, but it reads a pruned conv's output: refit too.
    assert.deepEqual(report.layers.map((l) => l.name), ['c1', 'expand', 'dw', 'project']);
    const only = await reconstructPruned(dense, pruned, data, PRE, { images: 8, downstream: false });
    assert.deepEqual(only.report.layers.map((l) => l.name), ['c1', 'expand', 'project']);
    for (const conv of ['c1', 'expand', 'dw', 'project']) {
      const a = weightOf(pruned, conv), b = weightOf(model, conv);
      for (let i = 0; i < a.length; i++) assert.equal(a[i] === 0, b[i] === 0, `${conv}[${i}] keeps its zero/non-zero state`);
      assert.ok(b.some((v, i) => v !== a[i]), `${conv}: kept weights were refit`);
    }
    for (const l of report.layers) {
      assert.ok(l.errorAfter < l.errorBefore, `${l.name}: ${l.errorAfter} < ${l.errorBefore}`);
      const measured = await measuredError(dense, model, l.name, data);
      assert.ok(Math.abs(measured - l.errorAfter) <= 1e-3 * Math.max(1, l.errorAfter) + 1e-4, `${l.name}: reported ${l.errorAfter}, measured ${measured}`);
    }
  });

  it('the refit is the least-squares optimum: perturbing the kept weights of a layer only raises its error', async () => {
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:1:4'));
    const { model } = await reconstructPruned(dense, pruned, data, PRE, { images: 48, damp: 0 });
    const rng = new Rng(3);
    // c1 reads the unpruned stem's output, so its error depends on its own weights only.
    const best = await measuredError(dense, model, 'c1', data);
    for (let t = 0; t < 4; t++) {
      const worse = await measuredError(dense, perturbed(model, 'c1', rng, 0.02), 'c1', data);
      assert.ok(worse > best, `perturbation ${t}: ${worse} > ${best}`);
    }
  });

  it('DEPrune with pointwise filter pruning: finds the depthwise conv\'s channels and refits it and the projection', async () => {
    const { model: pruned } = pruneModel(dense, parseMethod('dcp:0.5'), { pw: 0.25 });
    const before = { dw: await measuredError(dense, pruned, 'project', data) };
    const { model, report } = await reconstructPruned(dense, pruned, data, PRE, { images: 48, damp: 1e-3 });
    const names = report.layers.map((l) => l.name);
    assert.ok(names.includes('dw') && names.includes('project') && names.includes('expand'), names.join());
    const a = weightOf(pruned, 'dw'), b = weightOf(model, 'dw');
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.equal(a[i] === 0, b[i] === 0);
    for (const l of report.layers) assert.ok(l.errorAfter <= l.errorBefore, `${l.name}`);
    assert.ok(await measuredError(dense, model, 'project', data) < before.dw, 'the projection output moves toward the dense one');
  });

  it('with --all-layers the stem (which reads the model input) is refit too', async () => {
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:2:4'), { allLayers: true });
    const { model, report } = await reconstructPruned(dense, pruned, data, PRE, { images: 16, damp: 0 });
    const stem = report.layers.find((l) => l.name === 'stem');
    assert.ok(stem !== undefined && stem.errorAfter < stem.errorBefore, JSON.stringify(stem));
    const measured = await measuredError(dense, model, 'stem', randomImages(16, 9));
    assert.ok(Math.abs(measured - stem.errorAfter) <= 1e-3 * Math.max(1, stem.errorAfter) + 1e-4, `reported ${stem.errorAfter}, measured ${measured}`);
  });

  it('the wasm products (f32 chunks) refit to the f64 JS oracle\'s weights, and a bad engine name is an error', async () => {
    for (const method of ['colnm:2:4', 'dcp:0.5']) {
      const { model: pruned } = pruneModel(dense, parseMethod(method), method.startsWith('dcp') ? { pw: 0.25 } : {});
      const js = await reconstructPruned(dense, pruned, data, PRE, { images: 48, products: 'js' });
      const wasm = await reconstructPruned(dense, pruned, data, PRE, { images: 48 });
      assert.deepEqual(wasm.report.layers.map((l) => l.name), js.report.layers.map((l) => l.name));
      for (const l of js.report.layers) {
        const a = weightOf(js.model, l.name), b = weightOf(wasm.model, l.name);
        const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
        assert.ok(worst <= 1e-3 * scale, `${method} ${l.name}: weights differ by ${worst} (scale ${scale})`);
        const w = wasm.report.layers.find((x) => x.name === l.name)!;
        assert.ok(Math.abs(w.errorAfter - l.errorAfter) <= 1e-3 * l.errorAfter + 1e-5, `${method} ${l.name}: error ${w.errorAfter} vs ${l.errorAfter}`);
      }
    }
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:2:4'));
    await assert.rejects(reconstructPruned(dense, pruned, data, PRE, { products: 'gpu' as 'js' }), /products must be 'wasm' or 'js'/);
  });

  it('dense targets come from one dense pass per window of layers: any budget gives the same refit', async () => {
    // 150 images: three calibration batches, the last partial; 8 rows per unknown: sampled pixels
    // whose phase moves across batch boundaries.
    const many = randomImages(150, 4);
    for (const method of ['colnm:2:4', 'dcp:0.5']) {
      const { model: pruned } = pruneModel(dense, parseMethod(method), method.startsWith('dcp') ? { pw: 0.25 } : {});
      const opts = { images: 150, rowsPerWeight: 8 };
      const one = await reconstructPruned(dense, pruned, many, PRE, opts);
      // A budget below any layer's targets: one layer per window, i.e. a dense pass per layer.
      const each = await reconstructPruned(dense, pruned, many, PRE, { ...opts, targetCacheBytes: 1 });
      assert.deepEqual(each.report, one.report, method);
      for (const l of one.report.layers) assert.deepEqual(weightOf(each.model, l.name), weightOf(one.model, l.name), `${method} ${l.name}`);
    }
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:2:4'));
    await assert.rejects(reconstructPruned(dense, pruned, data, PRE, { targetCacheBytes: 0 }), /targetCacheBytes must be positive/);
  });

  it('the pruned network\'s values held between layers give the same refit as a prefix per layer', async () => {
    const many = randomImages(100, 6);
    for (const net of [dense, residualNet(2)]) {
      const { model: pruned } = pruneModel(net, parseMethod('colnm:1:4'), { allLayers: true });
      const held = await reconstructPruned(net, pruned, many, PRE, { images: 100 });
      // Budget 0: nothing is held, every conv's input is computed from the model input.
      const prefix = await reconstructPruned(net, pruned, many, PRE, { images: 100, valueCacheBytes: 0 });
      assert.ok(held.report.layers.length >= 4, held.report.layers.map((l) => l.name).join());
      assert.deepEqual(held.report, prefix.report, net.metadata.name);
      for (const l of held.report.layers) assert.deepEqual(weightOf(held.model, l.name), weightOf(prefix.model, l.name), `${net.metadata.name} ${l.name}`);
      // And the reported errors are those of the refit model, measured independently.
      for (const l of held.report.layers.slice(-2)) {
        const measured = await measuredError(net, held.model, l.name, many);
        assert.ok(Math.abs(measured - l.errorAfter) <= 1e-3 * Math.max(1, l.errorAfter) + 1e-4, `${l.name}: reported ${l.errorAfter}, measured ${measured}`);
      }
    }
    const { model: pruned } = pruneModel(dense, parseMethod('colnm:2:4'));
    await assert.rejects(reconstructPruned(dense, pruned, data, PRE, { valueCacheBytes: -1 }), /valueCacheBytes must be a non-negative number/);
  });

  it('a model pruned from another architecture is a clear error', async () => {
    const other: Model = { ...dense, graph: { ...dense.graph, inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 3, 16, 16] }] } };
    await assert.rejects(reconstructPruned(other, pruneModel(dense, parseMethod('colnm:2:4')).model, data, PRE), /input/);
    await assert.rejects(reconstructPruned(dense, dense, data, PRE, { damp: -1 }), /damp/);
  });
});
