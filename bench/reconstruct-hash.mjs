#!/usr/bin/env node
/**
 * Reconstruction time and a hash of the refit weights, for comparing two checkouts of sparsecnn
 * (same weights = same refit, bit for bit): prunes MODEL with METHOD (dcp* with --pw 0.3), refits on
 * the first IMAGES CIFAR-10 training images at 1 thread, prints seconds, the first 16 hex digits of
 * a SHA-256 over every float initializer, and the last two layers' errors.
 *
 *   node bench/reconstruct-hash.mjs ROOT MODEL METHOD IMAGES
 *   e.g. git worktree add /tmp/old HEAD~3 && (cd /tmp/old && npm run build)
 *        node bench/reconstruct-hash.mjs /tmp/old resnet20 colnm:2:4 256
 *        node bench/reconstruct-hash.mjs "$PWD" resnet20 colnm:2:4 256
 * ROOT is an absolute path to a built checkout (its dist/ is imported).
 */
const root = process.argv[2];
await import(root + '/dist/src/node/runtime.js');
const { loadCifar10Train } = await import(root + '/dist/src/node/data.js');
const { loadModel } = await import(root + '/dist/src/node/models.js');
const { defaultCifar10Dir } = await import(root + '/dist/src/node/paths.js');
const { pruneModel } = await import(root + '/dist/src/prune/apply.js');
const { parseMethod } = await import(root + '/dist/src/prune/spec.js');
const { reconstructPruned } = await import(root + '/dist/src/prune/reconstruct.js');
const { createHash } = await import('node:crypto');
const [model, method, images] = [process.argv[3], process.argv[4], Number(process.argv[5])];
const dense = await loadModel(model);
const train = loadCifar10Train(defaultCifar10Dir(), images);
const { model: pruned } = pruneModel(dense, parseMethod(method), method.startsWith('dcp') ? { pw: 0.3 } : {});
const t0 = performance.now();
const r = await reconstructPruned(dense, pruned, train, dense.metadata.preprocessing, { images, threads: 1 });
const s = (performance.now() - t0) / 1000;
const h = createHash('sha256');
for (const [k, t] of [...r.model.graph.initializers].sort()) { h.update(k); if (t.dtype === 'float32') h.update(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)); }
console.log(root, model, method, s.toFixed(1) + ' s', h.digest('hex').slice(0, 16), JSON.stringify(r.report.layers.slice(-2)));
