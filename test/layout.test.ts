/** NCHW ⇄ NHWC transposes (runtime/wasm/layout.ts) against their definition, on shapes around the tile size; sessions in either layout. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../src/node/runtime.js';
import { compile } from '../src/runtime/session.js';
import { nchwToNhwc, nhwcToNchw, toLayout } from '../src/runtime/wasm/layout.js';
import { twoInvertedResiduals, waveInput } from './helpers.js';

test('nchwToNhwc / nhwcToNchw match the index definition and invert each other', () => {
  const shapes: [number, number, number, number][] = [[1, 1, 1, 1], [2, 3, 5, 7], [1, 16, 4, 4], [3, 17, 1, 33], [2, 96, 32, 32], [1, 960, 4, 4], [2, 33, 15, 17], [1, 1, 20, 20], [2, 40, 1, 1]];
  for (const [n, c, h, w] of shapes) {
    const len = n * c * h * w;
    const x = Float32Array.from({ length: len }, (_, i) => i * 0.5 - 7);
    const nhwc = new Float32Array(len).fill(NaN);
    nchwToNhwc(x, [n, c, h, w], nhwc);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) {
      assert.equal(nhwc[(b * h * w + p) * c + ch], x[(b * c + ch) * h * w + p], `${[n, c, h, w]} at ${[b, ch, p]}`);
    }
    assert.deepEqual(nhwcToNchw(nhwc, [n, c, h, w]), x, `${[n, c, h, w]} round trip`);
  }
});

test('sessions run in NHWC (layout: nhwc) and into given arrays (into): the same values, no transpose on wasm', async () => {
  const base = twoInvertedResiduals(3);
  const d2 = base.graph.nodes.find((n) => n.name === 'd2')!.outputs[0]!;
  const model = { ...base, graph: { ...base.graph, outputs: [{ name: d2, dtype: 'float32' as const, shape: ['batch', 48, 4, 4] }, ...base.graph.outputs] } };
  const x = waveInput([2, 3, 8, 8]);
  for (const backend of ['ref', 'wasm'] as const) {
    const s = await compile(model, { backend });
    try {
      const a = await s.run({ input: x });
      const b = await s.run({ input: toLayout(x, 'nhwc') }, { layout: 'nhwc' });
      assert.deepEqual(b[d2]!.shape, [2, 4, 4, 48], backend);
      assert.deepEqual(toLayout(b[d2]!, 'nchw').data, a[d2]!.data, `${backend}: the NHWC output is the NCHW one transposed`);
      assert.deepEqual(b.logits!.data, a.logits!.data, `${backend}: 2-D outputs are the same in either layout`);
      for (const layout of ['nchw', 'nhwc'] as const) {
        const buf = new Float32Array(2 * 48 * 16).fill(NaN);
        const c = await s.run({ input: layout === 'nhwc' ? toLayout(x, 'nhwc') : x }, { layout, into: { [d2]: buf } });
        assert.equal(c[d2]!.data, buf, `${backend} ${layout}: the output is the given array`);
        assert.deepEqual(buf, (layout === 'nhwc' ? b : a)[d2]!.data, `${backend} ${layout}: into holds the output`);
      }
      await assert.rejects(s.run({ input: x }, { layout: 'nhwc' }), /input 'input' expects shape/, `${backend}: an NCHW feed in NHWC mode is a shape error`);
      await assert.rejects(s.run({ input: x }, { into: { nope: new Float32Array(4) } }), /'into' names 'nope', which is not an output/);
      await assert.rejects(s.run({ input: x }, { into: { [d2]: new Float32Array(5) } }), /has 5 values, the output has 1536/);
      await assert.rejects(s.run({ input: x }, { layout: 'NHWC' as 'nhwc' }), /layout must be 'nchw' or 'nhwc'/);
    } finally {
      s.dispose();
    }
  }
});
