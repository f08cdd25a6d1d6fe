/** The per-operator profiler and the tuning cache: a cached choice changes the kernel; foreign caches are ignored. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';
import { WasmSession } from '../src/runtime/wasm/session.js';
import type { TuningCache } from '../src/tune/cache.js';
import { maxAbsDiff, waveInput } from './helpers.js';

const shapes = new Map([['input', [1, 3, 32, 32] as readonly number[]]]);

describe('per-operator profiler', () => {
  it('tune() times every candidate of every conv and keeps the fastest', async () => {
    const s = (await compile(loadModel('resnet20'), { backend: 'wasm', threads: 1 })) as WasmSession;
    const cache = await s.tune({ input: waveInput([1, 3, 32, 32]) }, { runs: 3, warmup: 1 });
    assert.equal(cache.machine, s.fingerprint);
    const entries = Object.values(cache.entries);
    assert.ok(entries.length >= 5, 'one entry per distinct conv signature');
    for (const e of entries) {
      assert.deepEqual(Object.keys(e.ms).sort(), ['conv2d', 'f32_conv2d_4x8', 'f32_conv2d_6x8']);
      assert.equal(e.ms[e.kernel], Math.min(...Object.values(e.ms)));
    }
    s.dispose();
  });

  it('a cached choice changes the kernel (visible in kernelChoices), keeps the output, and a cache from another machine is ignored', async () => {
    const model = loadModel('resnet20');
    const plain = (await compile(model, { backend: 'wasm', threads: 1 })) as WasmSession;
    const before = plain.kernelChoices(shapes);
    assert.ok(before.every((c) => c.kernel === 'conv2d' && !c.tuned), 'no cache: the cost model (conv2d) everywhere');
    const entries: Record<string, { kernel: string; ms: Record<string, number> }> = {};
    for (const c of before) entries[c.signature] = { kernel: 'f32_conv2d_6x8', ms: { conv2d: 2, f32_conv2d_4x8: 2, f32_conv2d_6x8: 1 } };
    const tuning: TuningCache = { version: 1, machine: plain.fingerprint, entries };
    const tuned = (await compile(model, { backend: 'wasm', threads: 1, tuning })) as WasmSession;
    const after = tuned.kernelChoices(shapes);
    assert.ok(after.every((c) => c.kernel === 'f32_conv2d_6x8' && c.tuned));
    const x = waveInput([1, 3, 32, 32]);
    const a = (await plain.run({ input: x })).logits!;
    const b = (await tuned.run({ input: x })).logits!;
    assert.ok(maxAbsDiff(a.data, b.data) < 1e-4);
    const foreign = (await compile(model, { backend: 'wasm', threads: 1, tuning: { ...tuning, machine: 'another cpu|simd' } })) as WasmSession;
    assert.ok(foreign.kernelChoices(shapes).every((c) => c.kernel === 'conv2d'));
    assert.match(foreign.notes.join(' '), /made on 'another cpu\|simd'.*ignored/);
    for (const s of [plain, tuned, foreign]) s.dispose();
  });
});
