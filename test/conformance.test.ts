/**
 * Per-op conformance: every case of conformance-cases.ts is a raw ONNX file; our importer + the
 * reference backend must agree with onnxruntime-node on the same bytes, and our export of the
 * imported model must run in onnxruntime with the same result. The loop is backend-agnostic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { SparseCnnError } from '../src/errors.js';
import type { FloatTensor } from '../src/graph/tensor.js';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { compile } from '../src/runtime/session.js';
import { CONFORMANCE_CASES, type ConformanceCase } from './conformance-cases.js';
import { maxAbsDiff } from './helpers.js';

const TOL = 1e-4;

/** onnxruntime-node, one thread: the named output's data and dims. */
async function ortRun(bytes: Uint8Array, feeds: Record<string, FloatTensor>, output: string): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, [...v.shape]);
  const r = await session.run(f);
  await session.release();
  const out = r[output];
  if (out === undefined) throw new Error(`onnxruntime gave no '${output}'`);
  assert.equal(out.type, 'float32', `onnxruntime output '${output}' is ${out.type}`);
  return { data: out.data as Float32Array, dims: [...out.dims] };
}

async function runOurs(c: ConformanceCase, bytes: Uint8Array) {
  const model = importOnnx(bytes, { name: c.name });
  const session = await compile(model, { backend: 'ref' });
  const out = (await session.run(c.feeds))[c.output ?? 'y'];
  assert.ok(out !== undefined, `no output '${c.output ?? 'y'}'`);
  return { model, session, out };
}

function assertClose(ours: FloatTensor, theirs: { data: Float32Array; dims: number[] }, what: string): void {
  assert.deepEqual([...ours.shape], theirs.dims, `${what}: output shape`);
  const d = maxAbsDiff(ours.data, theirs.data);
  assert.ok(d < TOL, `${what}: max |ours - onnxruntime| = ${d}`);
}

describe('op conformance: raw ONNX files, ref backend vs onnxruntime-node', () => {
  it('the case table is well formed', () => {
    const names = CONFORMANCE_CASES.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'case names are unique');
    assert.ok(CONFORMANCE_CASES.length >= 60, `${CONFORMANCE_CASES.length} cases`);
  });

  for (const c of CONFORMANCE_CASES) {
    const output = c.output ?? 'y';

    it(`${c.name}: ref == onnxruntime`, async () => {
      const bytes = c.build();
      const { out } = await runOurs(c, bytes);
      const theirs = await ortRun(bytes, c.feeds, output);
      assertClose(out, theirs, 'import + ref');
      // A parity check over constant outputs would prove little.
      assert.ok(out.data.length === 1 || Math.max(...out.data) > Math.min(...out.data), 'output varies');
    });

    if (c.exportRefusal !== undefined) {
      it(`${c.name}: export refuses with ${c.exportRefusal}`, async () => {
        const { model } = await runOurs(c, c.build());
        assert.throws(() => exportOnnx(model), (e: unknown) => e instanceof SparseCnnError && e.code === c.exportRefusal);
      });
    } else {
      it(`${c.name}: export round trip == onnxruntime`, async () => {
        const { model, out } = await runOurs(c, c.build());
        const exported = exportOnnx(model);
        assertClose(out, await ortRun(exported, c.feeds, output), 'onnxruntime on our export');
        const again = await runOurs(c, exported);
        assert.equal(maxAbsDiff(out.data, again.out.data), 0, 're-imported export gives identical results');
      });
    }

    if (c.foldedAway !== undefined) {
      const ops = c.foldedAway;
      it(`${c.name}: compile folds away ${ops.join('/')}`, async () => {
        const { session } = await runOurs(c, c.build());
        const shapes = new Map(Object.entries(c.feeds).map(([k, v]) => [k, v.shape] as const));
        const left = session.optimizedGraph(shapes).nodes.filter((n) => ops.includes(n.op)).map((n) => `${n.name} (${n.op})`);
        assert.deepEqual(left, [], 'shape-subgraph nodes left after compile');
      });
    }
  }
});
