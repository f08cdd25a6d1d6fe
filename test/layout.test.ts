/** NCHW ⇄ NHWC transposes (runtime/wasm/layout.ts) against their definition, on shapes around the tile size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nchwToNhwc, nhwcToNchw } from '../src/runtime/wasm/layout.js';

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
