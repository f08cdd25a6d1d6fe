/** Pruned models on the wasm engine: sparse kernels chosen from the pattern metadata, equal to the reference. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { loadModel } from '../src/node/models.js';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { parseMethod, pruneModel } from '../src/prune/index.js';
import { compile } from '../src/runtime/session.js';
import { depthwiseKernelFor, keptRowsFromZeros } from '../src/runtime/wasm/lower.js';
import { WasmSession } from '../src/runtime/wasm/session.js';
import { colNmMask } from '../src/prune/index.js';
import { Rng } from '../src/zoo/rng.js';
import { maxAbsDiff, waveInput } from './helpers.js';

/** A session whose tuning cache names `kernel` for every tunable layer that offers it. */
async function forced(model: Parameters<typeof compile>[0], threads: number, kernel: string, shapes: ReadonlyMap<string, readonly number[]>): Promise<WasmSession> {
  const probe = (await compile(model, { backend: 'wasm', threads })) as WasmSession;
  const entries = Object.fromEntries(probe.kernelChoices(shapes).map((c) => [c.signature, { kernel, ms: {} }]));
  const tuning = { version: 1 as const, machine: probe.fingerprint, entries };
  probe.dispose();
  return (await compile(model, { backend: 'wasm', threads, tuning })) as WasmSession;
}

describe('sparse kernels in the engine', () => {
  for (const [name, spec, shape, kernel, lanes, tile] of [
    ['resnet20', 'colnm:2:4', [3, 3, 32, 32], 'conv2d_colnm', 1, 8],
    ['resnet20', 'colnm:1:8', [1, 3, 32, 32], 'conv2d_colnm', 1, 8],
    ['resnet18', 'colnm:1:4', [1, 3, 224, 224], 'conv2d_colnm', 1, 8],
    ['resnet20', 'colnm:2:4', [3, 3, 32, 32], 'conv2d_colnm4', 1, 4],
    ['resnet56', 'colnm:1:8', [2, 3, 32, 32], 'conv2d_colnm4', 1, 4],
    ['mobilenetv2-cifar', 'dcp-bh:0.5', [2, 3, 32, 32], 'dwconv2d_dr', 1, 8],
    ['mobilenetv2', 'dcp:0.7', [1, 3, 224, 224], 'dwconv2d_dr', 1, 8],
    ['mobilenetv2-cifar', 'dcp-bh:0.5', [2, 3, 32, 32], 'dwconv2d_vs', 4, 8],
    ['efficientnet-b0', 'dcp-b:0.7', [1, 3, 224, 224], 'dwconv2d_vs', 4, 8],
  ] as const) {
    it(`${name} ${spec}${lanes > 1 ? ` --lanes ${lanes}` : ''}${tile !== 8 ? ` --tile ${tile}` : ''}: the engine runs ${kernel} (loaded back from ONNX) and matches the reference; threads agree`, async () => {
      const { model } = pruneModel(loadModel(name), parseMethod(spec), { lanes, tile });
      const reloaded = importOnnx(exportOnnx(model), { name });
      const x = waveInput(shape);
      const ref = (await (await compile(reloaded, { backend: 'ref' })).run({ input: x })).logits!;
      const shapes = new Map([['input', shape as readonly number[]]]);
      // The cost model may keep a layer dense at these ratios; a tuning cache that names the sparse kernel selects it.
      const one = await forced(reloaded, 1, kernel, shapes);
      const two = await forced(reloaded, 2, kernel, shapes);
      const sparse = one.kernelChoices(shapes).filter((c) => (kernel.startsWith('conv2d_colnm') ? c.signature.includes('colnm') : c.signature.startsWith('dwconv2d:dcp')));
      assert.ok(sparse.length > 0 && sparse.every((c) => c.kernel === kernel), `chose ${[...new Set(sparse.map((c) => c.kernel))].join(', ')}`);
      const a = (await one.run({ input: x })).logits!;
      const b = (await two.run({ input: x })).logits!;
      assert.ok(maxAbsDiff(a.data, ref.data) < 1e-4, `max diff ${maxAbsDiff(a.data, ref.data)}`);
      assert.equal(maxAbsDiff(a.data, b.data), 0, 'threads split work, never change results');
      one.dispose();
      two.dispose();
    });
  }

  it('the cost model picks the depthwise kernel by shape and what is pruned, and the engine follows it', async () => {
    assert.equal(depthwiseKernelFor(3, 3, 1, 0.5, 1), 'dwconv2d');
    assert.equal(depthwiseKernelFor(3, 3, 1, 0.5, 0.5), 'dwconv2d');
    assert.equal(depthwiseKernelFor(3, 3, 2, 0.5, 0.5), 'dwconv2d_vs');
    assert.equal(depthwiseKernelFor(3, 3, 1, 0.1, 0.1), 'dwconv2d_vs');
    assert.equal(depthwiseKernelFor(5, 5, 1, 0.5, 1), 'dwconv2d_dr');
    assert.equal(depthwiseKernelFor(3, 3, 1, 0.03, 1), 'dwconv2d_dr');
    const { model } = pruneModel(loadModel('mobilenetv2-cifar'), parseMethod('dcp-bh:0.7'), { lanes: 4 });
    const s = (await compile(model, { backend: 'wasm', threads: 1 })) as WasmSession;
    const dw = s.kernelChoices(new Map([['input', [1, 3, 32, 32] as readonly number[]]])).filter((c) => c.signature.startsWith('dwconv2d:dcp'));
    // Stride-2 layers at 70% of the units pruned run vector-sparse, stride-1 ones stay dense.
    assert.ok(dw.some((c) => c.kernel === 'dwconv2d_vs') && dw.some((c) => c.kernel === 'dwconv2d'), dw.map((c) => `${c.signature} ${c.kernel}`).join('; '));
    for (const c of dw) assert.equal(c.kernel, c.signature.includes(' s2x2 ') ? 'dwconv2d_vs' : 'dwconv2d', c.signature);
    s.dispose();
  });

  it('DEPrune --lanes 4 prunes whole (4-channel, tap) units at the asked ratio; element-wise masks leave the vector kernel little to skip', () => {
    const base = loadModel('mobilenetv2-cifar');
    for (const lanes of [1, 4]) {
      const { model, report } = pruneModel(base, parseMethod('dcp-b:0.5'), { lanes });
      const dw = report.layers.filter((l) => l.deprune !== undefined);
      assert.ok(dw.length > 0);
      for (const l of dw) assert.ok(Math.abs(l.sparsity - 0.5) < 0.06, `${l.name} ${l.sparsity}`);
      for (const n of model.graph.nodes.filter((x) => dw.some((l) => l.name === x.name))) {
        const w = model.graph.initializers.get(n.inputs[1]!)!;
        const [C, , kh, kw] = w.shape as number[];
        const taps = kh! * kw!;
        let units = 0, zero = 0;
        for (let b = 0; b < Math.ceil(C! / 4); b++) for (let t = 0; t < taps; t++) {
          units++;
          let all = true;
          for (let c = b * 4; c < Math.min(C!, b * 4 + 4); c++) all &&= (w.data as Float32Array)[c * taps + t] === 0;
          if (all) zero++;
        }
        // lanes 4: every pruned weight belongs to a fully pruned unit; lanes 1: few units are empty.
        if (lanes === 4) assert.ok(Math.abs(zero / units - 0.5) < 0.06, `${n.name}: ${zero}/${units} empty units`);
        else assert.ok(zero / units < 0.2, `${n.name}: ${zero}/${units} empty units with element masks`);
      }
    }
  });

  it('kept rows read back from the zeros equal the colnm mask\'s rows, padded to equal counts', () => {
    const rng = new Rng(5);
    const w = rng.normalArray(20 * 12 * 9, 1);
    const { mask, keptRows } = colNmMask(w, 20, 12, 3, 3, { n: 1, m: 4, tile: 8, criterion: 'l2' });
    const masked = w.map((v, i) => (mask[i] ? v : 0));
    assert.deepEqual(keptRowsFromZeros(masked, 20, 12, 3, 3, 8).map((r) => [...r]), keptRows.map((r) => [...r]));
  });

  it('the profiler can pick the dense kernel for a pruned layer, and the output does not change', async () => {
    const { model } = pruneModel(loadModel('resnet20'), parseMethod('colnm:3:4'));
    const shapes = new Map([['input', [1, 3, 32, 32] as readonly number[]]]);
    const s = (await compile(model, { backend: 'wasm', threads: 1 })) as WasmSession;
    const sigs = s.kernelChoices(shapes).filter((c) => c.signature.includes('colnm'));
    assert.ok(sigs.length > 0);
    const entries = Object.fromEntries(sigs.map((c) => [c.signature, { kernel: 'f32_conv2d_4x8', ms: {} }]));
    const t = (await compile(model, { backend: 'wasm', threads: 1, tuning: { version: 1, machine: s.fingerprint, entries } })) as WasmSession;
    assert.ok(t.kernelChoices(shapes).filter((c) => c.signature.includes('colnm')).every((c) => c.kernel === 'f32_conv2d_4x8' && c.tuned));
    const x = waveInput([1, 3, 32, 32]);
    assert.ok(maxAbsDiff((await s.run({ input: x })).logits!.data, (await t.run({ input: x })).logits!.data) < 1e-4);
    s.dispose();
    t.dispose();
  });
});
