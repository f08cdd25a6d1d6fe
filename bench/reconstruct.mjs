#!/usr/bin/env node
/**
 * Time of least-squares reconstruction (src/prune/reconstruct.ts) with each products engine:
 * prunes MODEL with METHOD, refits it on the first IMAGES CIFAR-10 training images, prints seconds
 * and the last layers' errors per engine, and the largest weight difference between the engines.
 *
 *   npm run build && node bench/reconstruct.mjs [MODEL=resnet20] [METHOD=colnm:1:4] [IMAGES=256] [THREADS=1] [ENGINES=wasm,js]
 */
import '../dist/src/node/runtime.js';
import { loadCifar10Train } from '../dist/src/node/data.js';
import { loadModel } from '../dist/src/node/models.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { pruneModel } from '../dist/src/prune/apply.js';
import { parseMethod } from '../dist/src/prune/spec.js';
import { reconstructPruned } from '../dist/src/prune/reconstruct.js';
const [model, method, images, threads] = [process.argv[2] ?? 'resnet20', process.argv[3] ?? 'colnm:1:4', Number(process.argv[4] ?? 256), Number(process.argv[5] ?? 1)];
const dense = await loadModel(model);
const train = loadCifar10Train(defaultCifar10Dir(), images);
const opts = method.startsWith('dcp') ? { pw: 0.3 } : {};
const { model: pruned } = pruneModel(dense, parseMethod(method), opts);
const res = {};
for (const products of (process.argv[6] ?? 'wasm,js').split(',')) {
  const t0 = performance.now();
  const r = await reconstructPruned(dense, pruned, train, dense.metadata.preprocessing, { images, threads, products });
  res[products] = r;
  console.log(products, ((performance.now() - t0) / 1000).toFixed(1), 's', r.report.layers.slice(-3).map((l) => `${l.name} ${l.errorBefore.toFixed(4)}→${l.errorAfter.toFixed(4)}`).join(' | '));
}
if (res.js && res.wasm) {
  let worst = 0;
  for (const [k, t] of res.js.model.graph.initializers) { const u = res.wasm.model.graph.initializers.get(k); if (t.dtype==='float32') for (let i=0;i<t.data.length;i++) worst=Math.max(worst, Math.abs(t.data[i]-u.data[i])); }
  console.log('worst weight diff', worst);
}
