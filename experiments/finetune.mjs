#!/usr/bin/env node
/**
 * Fine-tuning recovers what pruning costs: for each pattern, prune the pretrained model, fine-tune it
 * with one recipe, and compare with the DENSE model fine-tuned with the same recipe on the same data
 * (the CIFAR-10 training pixels here are JPEG-decoded, so fine-tuning alone moves dense accuracy and
 * must not be credited to pruning). Accuracy is on the full test_batch.bin (10,000 JPEG-decoded images).
 *
 *   node experiments/finetune.mjs [--model resnet20] [--patterns dense,colnm:2:4,colnm:1:4]
 *        [--epochs 2] [--lr 0.01] [--wd 5e-4] [--seed 1] [--batch 64] [--threads 2] [--limit N] [--out experiments/results/finetune-resnet20.md]
 *        [--pw R [--pw-scope expansion|all] [--pw-alloc weights|macs|filters [--pw-alloc-scope expansion|all]] [--pw-alloc-images N]]
 *        [--tile T] [--distill alpha:T [--features WEIGHT[:REGEX]] [--teacher-mode eval|train] [--mixup]] [--teacher FILE.onnx] [--bn-match] [--reconstruct IMAGES] [--save DIR] [--refresh-stats IMAGES] [--rows FILE.json] [--from a.json,b.json]
 *
 * --model takes a zoo name or an .onnx file (e.g. a dense model fine-tuned by an earlier run and kept
 * with --save): pruning a model already adapted to the JPEG-decoded pixels is the usual
 * train-dense → prune → fine-tune pipeline. --teacher (default: the unpruned --model) is the model
 * distilled from and whose statistics --bn-match restores.
 *
 * --features adds feature distillation (src/train/ops/loss.ts featureLoss) to --distill: the student's
 * chain boundaries whose names match REGEX (default: block outputs `(add|c3)_output$` and the head's
 * `relu_head_output`, MobileNetV2-CIFAR's names) are pulled toward the teacher's, WEIGHT times their
 * mean relative squared error. Every row, dense included, trains with the same terms.
 * --teacher-mode train runs the teacher like a student in training (BatchNorm on batch statistics,
 * src/train/finetune.ts trainModeTeacher) instead of as an inference session: logits and values then
 * differ from the student's only where the weights do.
 *
 * --mixup (with --distill 1:T) mixes every augmented batch (src/train/data.ts mixBatch) before teacher and
 * student see it: pure distillation on images between the training images ("function matching").
 *
 * --limit N trains on the first N training images (data_batch_1 first). With --epochs raised to match
 * (10,000 images, 8 epochs = 20,000 images, 4 epochs), it runs as many steps on fewer distinct images.
 *
 * Pattern `keep` fine-tunes --model as it is: a model pruned and fine-tuned by an earlier run keeps its
 * pruning record, so its masks hold (the next stage of a staged schedule; `dense` on a pruned model
 * would be the same training but a misleading row name).
 *
 * Needs `npm run build` and ../shared/data (training batches + test_batch.bin).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cpus } from 'node:os';
import { scriptArgs } from '../scripts/script-args.mjs';
import '../dist/src/node/runtime.js';
import { evaluateAccuracy } from '../dist/src/analysis/accuracy.js';
import { loadCifar10, loadCifar10Train } from '../dist/src/node/data.js';
import { loadModel, saveModel } from '../dist/src/node/models.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { pruneModel } from '../dist/src/prune/apply.js';
import { allocatePwRatios } from '../dist/src/prune/allocate.js';
import { parseMethod } from '../dist/src/prune/spec.js';
import { readPruningMetadata } from '../dist/src/prune/metadata.js';
import { reconstructPruned } from '../dist/src/prune/reconstruct.js';
import { compile } from '../dist/src/runtime/session.js';
import { finetune, sessionTeacher, trainModeTeacher } from '../dist/src/train/finetune.js';
import { chainBoundaries, createTrainer } from '../dist/src/train/trainer.js';
import { exposeValues } from '../dist/src/graph/expose.js';

const { values: o } = scriptArgs(import.meta.url, {
  options: {
    model: { type: 'string', default: 'resnet20' },
    patterns: { type: 'string', default: 'dense,colnm:2:4,colnm:1:4' },
    pw: { type: 'string' },
    // weights|macs|filters — place the --pw pruning by measured sensitivity (src/prune/allocate.ts): per-group
    // ratios removing at least what uniform --pw removes in that unit, with the least summed KL.
    'pw-alloc': { type: 'string' },
    'pw-alloc-images': { type: 'string', default: '256' },
    // expansion|all — which PW convs --pw prunes (PruneOptions.pwScope): all adds the head conv and the residual streams.
    'pw-scope': { type: 'string', default: 'expansion' },
    // expansion|all — where --pw-alloc may place the pruning (default: --pw-scope); the budget stays what --pw removes in --pw-scope.
    'pw-alloc-scope': { type: 'string' },
    // colnm output channels per tile (default 8 = conv2d_colnm's NR; 4 runs on conv2d_colnm4; other
    // widths are an accuracy ablation and run on dense kernels).
    tile: { type: 'string' },
    epochs: { type: 'string', default: '2' },
    lr: { type: 'string', default: '0.01' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    checkpoint: { type: 'string', default: 'store-all' },
    wd: { type: 'string', default: '5e-4' },
    // Training seed (augmentation, batch order): a second seed says how much of a gap is noise.
    seed: { type: 'string', default: '1' },
    // Train on the first N training images only (data_batch_1 first): with --epochs scaled up, as many
    // steps on fewer distinct images.
    limit: { type: 'string' },
    // alpha:T — distil from the unpruned model (knowledge distillation); dense rows distil from themselves,
    // so every row still follows one recipe.
    distill: { type: 'string' },
    features: { type: 'string' },
    'teacher-mode': { type: 'string', default: 'eval' },
    mixup: { type: 'boolean', default: false },
    // Unfolded BatchNorms of pruned models restore each channel's dense statistics (statistics matching).
    'bn-match': { type: 'boolean', default: false },
    teacher: { type: 'string' },
    // EPOCHS[:REFRESH[:DECAY]] — colnm rows train with dynamic masks (SR-STE) from the unpruned weights
    // for the first EPOCHS epochs, masks re-selected every REFRESH steps (default 1), DECAY on pruned
    // weights (default 2e-4); fixed masks after. Dense rows have no mask: the recipe is otherwise the same.
    dynamic: { type: 'string' },
    // IMAGES — after pruning, refit the kept weights of every pruned conv to the dense model's layer
    // outputs on the first IMAGES training images (least-squares reconstruction, src/prune/reconstruct.ts).
    reconstruct: { type: 'string' },
    save: { type: 'string' },
    // IMAGES — after training, also measure the model with its BatchNorm running statistics re-estimated
    // as the exact mean over the first IMAGES training images, unaugmented (Trainer.refreshStatistics
    // with average): training leaves statistics of augmented batches and of weights that kept moving.
    'refresh-stats': { type: 'string' },
    'eval-limit': { type: 'string' },
    out: { type: 'string' },
    // Runs of different patterns can go in parallel processes: each writes its rows with --rows, and
    // a last call with --from a.json,b.json (no training) renders one table against the dense row.
    rows: { type: 'string' },
    from: { type: 'string' },
  },
});
if (o.from) {
  const parts = o.from.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const md = renderTable(parts[0].meta, parts.flatMap((p) => p.rows));
  process.stdout.write(md);
  if (o.out) writeFileSync(o.out, md);
  process.exit(0);
}
const dir = defaultCifar10Dir();
const train = loadCifar10Train(dir, o.limit ? Number(o.limit) : undefined);
const test = loadCifar10(dir, o['eval-limit'] ? Number(o['eval-limit']) : undefined);
const threads = Number(o.threads);
const base = loadModel(o.model);
const pre = base.metadata.preprocessing;
const teacherModel = o.teacher ? loadModel(o.teacher) : base;
const teacherName = o.teacher ? basename(o.teacher) : 'the dense starting model';
if (o.save) mkdirSync(o.save, { recursive: true });
if (o.features && !o.distill) throw new Error('--features needs --distill (the teacher it matches)');
let features;
if (o.features) {
  const [w, re = '(add|c3)_output$|^relu_head_output$'] = [o.features.split(':')[0], o.features.split(':').slice(1).join(':') || undefined];
  const values = chainBoundaries(base).filter((v) => new RegExp(re).test(v));
  if (values.length === 0) throw new Error(`--features: no chain boundary of ${o.model} matches /${re}/ (boundaries: ${chainBoundaries(base).join(', ')})`);
  features = { weight: Number(w), values };
  process.stderr.write(`feature distillation, weight ${w}, ${values.length} values: ${values.join(' ')}\n`);
}
const distill = o.distill ? { alpha: Number(o.distill.split(':')[0]), temperature: Number(o.distill.split(':')[1] ?? 4), ...(features ? { features } : {}) } : undefined;
const cfg = { epochs: Number(o.epochs), lr: Number(o.lr), warmupSteps: 0, seed: Number(o.seed), ...(distill ? { distill } : {}), ...(o.mixup ? { mixup: true } : {}) };

async function accuracy(model) {
  const s = await compile(model, { backend: 'wasm', threads });
  const r = await evaluateAccuracy(s, test, pre, { batchSize: 100 });
  s.dispose();
  return r;
}

// One teacher session serves every pattern (the teacher does not change between them).
if (o['teacher-mode'] !== 'eval' && o['teacher-mode'] !== 'train') throw new Error(`--teacher-mode must be eval or train, got '${o['teacher-mode']}'`);
const trainTeacher = distill && o['teacher-mode'] === 'train' ? await trainModeTeacher(teacherModel, { batch: Number(o.batch), threads, calibration: { data: train, pre } }) : undefined;
const teacherSession = distill && !trainTeacher ? await compile(features ? exposeValues(teacherModel, features.values) : teacherModel, { backend: 'wasm', threads }) : undefined;
const rows = [];
for (const pattern of o.patterns.split(',')) {
  if (pattern === 'keep' && Object.keys(readPruningMetadata(base)).length === 0) throw new Error(`--patterns keep: ${o.model} has no pruning record; use dense`);
  // Rows that prune here (not dense, not a file pruned by an earlier run).
  const prunes = pattern !== 'dense' && pattern !== 'keep';
  let alloc;
  if (prunes && o.pw && o['pw-alloc']) {
    alloc = await allocatePwRatios(base, train, { ratio: Number(o.pw), budget: o['pw-alloc'], images: Number(o['pw-alloc-images']), scope: o['pw-alloc-scope'] ?? o['pw-scope'], budgetScope: o['pw-scope'], compile: { backend: 'wasm', threads } });
    const f = (x, t) => `${((x / t) * 100).toFixed(1)}%`;
    process.stderr.write(`PW allocation (${o['pw-alloc']}): ${alloc.groups.map((g) => `${g.source}=${g.chosen.ratio}`).join(' ')}\n  uniform ${o.pw}: ${f(alloc.uniform.weights, alloc.pwWeights)} of PW weights, ${f(alloc.uniform.macs, alloc.pwMacs)} of PW MACs, ${alloc.uniform.filters} filters; allocated: ${f(alloc.allocated.weights, alloc.pwWeights)}, ${f(alloc.allocated.macs, alloc.pwMacs)}, ${alloc.allocated.filters}\n`);
  }
  const pruneOpts = { ...(o.pw ? { pw: Number(o.pw), pwScope: o['pw-scope'] } : {}), ...(alloc ? { pwRatios: alloc.ratios, pwScope: alloc.scope } : {}), ...(o.tile ? { tile: Number(o.tile) } : {}) };
  const oneShot = !prunes ? base : pruneModel(base, parseMethod(pattern), pruneOpts).model;
  const before = await accuracy(oneShot);
  let pruned = oneShot;
  let reconstructed;
  if (o.reconstruct && prunes) {
    pruned = (await reconstructPruned(base, oneShot, train, pre, { images: Number(o.reconstruct), threads })).model;
    reconstructed = await accuracy(pruned);
  }
  const trainer = await createTrainer(pruned, { batch: Number(o.batch), threads, weightDecay: Number(o.wd), checkpoint: o.checkpoint, calibration: { data: train, pre, ...(o['bn-match'] && prunes ? { reference: teacherModel } : {}) }, ...(distill ? { distill } : {}) });
  // With statistics matching the unfolded model is no longer the pruned model's function: measure it.
  const matched = o['bn-match'] && prunes ? await accuracy(trainer.trainedModel()) : undefined;
  let runCfg = cfg;
  if (o.dynamic && pattern.startsWith('colnm')) {
    const [ep, refresh = '1', decay = '2e-4'] = o.dynamic.split(':');
    trainer.startDynamicMasks({ dense: base, decay: Number(decay) });
    runCfg = { ...cfg, dynamicMasks: { steps: Number(ep) * Math.floor(train.count / Number(o.batch)), refreshEvery: Number(refresh) } };
  }
  let lastLog = 0;
  const r = await finetune(trainer, train, pre, runCfg, {
    onStep: (s) => {
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        process.stderr.write(`${pattern}: epoch ${s.epoch} step ${s.step}/${s.stepsPerEpoch} loss ${s.meanLoss.toFixed(3)}${features ? ` (features ${s.featureLoss.toFixed(3)})` : ''} acc ${(s.trainAccuracy * 100).toFixed(1)}% ${s.imagesPerSec.toFixed(0)} img/s\n`);
      }
    },
  }, undefined, trainTeacher ? trainTeacher.teach : teacherSession ? sessionTeacher(teacherSession, { student: pre, teacher: teacherModel.metadata.preprocessing ?? pre }) : undefined);
  const tuned = trainer.trainedModel();
  const after = await accuracy(tuned);
  let refreshed;
  if (o['refresh-stats']) {
    trainer.refreshStatistics(train, pre, Math.ceil(Number(o['refresh-stats']) / Number(o.batch)), { average: true });
    const m = trainer.trainedModel();
    refreshed = await accuracy(m);
    if (o.save) saveModel(m, join(o.save, `${base.metadata.name ?? o.model}-${pattern.replaceAll(':', '')}-refreshed.onnx`), true);
  }
  trainer.dispose();
  if (o.save) saveModel(tuned, join(o.save, `${base.metadata.name ?? o.model}-${pattern.replaceAll(':', '')}.onnx`), true);
  // Share of the pruned layers' weights whose kept/pruned state differs from one-shot pruning (dynamic masks move it).
  let moved;
  if (o.dynamic && pattern.startsWith('colnm')) {
    let diff = 0, total = 0;
    for (const name of Object.keys(readPruningMetadata(pruned))) {
      const weightOf = (m) => m.graph.initializers.get(m.graph.nodes.find((n) => n.name === name).inputs[1]).data;
      const a = weightOf(pruned), b = weightOf(tuned);
      for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (b[i] === 0)) diff++;
      total += a.length;
    }
    moved = diff / total;
  }
  const row = { ...(moved !== undefined ? { maskMoved: moved } : {}), command: `node experiments/finetune.mjs ${process.argv.slice(2).join(' ')}`, ...(alloc ? { pwAllocation: { budget: alloc.budget, images: alloc.images, scope: alloc.scope, budgetScope: alloc.budgetScope, ratios: Object.fromEntries(alloc.ratios), pwWeights: alloc.pwWeights, pwMacs: alloc.pwMacs, uniform: alloc.uniform, allocated: alloc.allocated } } : {}), pattern: pattern + (o.pw && prunes ? ` + pw ${o.pw}${o['pw-scope'] !== 'expansion' ? ` (scope ${o['pw-scope']})` : ''}${alloc ? ` allocated (${alloc.budget}${alloc.scope !== alloc.budgetScope ? `, placed in ${alloc.scope} PW groups` : ''})` : ''}` : '') + (o.tile && pattern.startsWith('colnm') ? ` tile ${o.tile}` : ''), before: before.correct, ...(reconstructed ? { reconstructed: reconstructed.correct } : {}), ...(matched ? { matched: matched.correct } : {}), after: after.correct, ...(refreshed ? { refreshed: refreshed.correct } : {}), images: test.count, seconds: r.seconds, steps: r.globalStep };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}

teacherSession?.dispose();
trainTeacher?.dispose();

const meta = {
  model: o.model,
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}`,
  command: `node experiments/finetune.mjs ${process.argv.slice(2).join(' ')}`,
  recipe: `${o.model.endsWith('.onnx') ? `starting from ${o.model}; ` : ''}${cfg.epochs} epochs over ${train.count} training images (${train.files.map((f) => f.split('/').pop()).join(', ')}, JPEG-decoded pixels), batch ${o.batch}, SGD momentum 0.9, weight decay ${o.wd}, gradient norm clipped at 5, cosine lr from ${cfg.lr}${o['pw-alloc'] ? `; PW filter pruning placed by sensitivity${(o['pw-alloc-scope'] ?? o['pw-scope']) === 'all' ? ' among all pointwise groups (expansion, head conv, residual streams)' : ''} (per-group ratios removing at least the ${o['pw-alloc']} uniform --pw ${o.pw} removes${o['pw-scope'] === 'all' ? ' from all pointwise groups' : ' from the expansion convs'}, least summed one-group KL on ${o['pw-alloc-images']} training images)` : ''}${o.reconstruct ? `; pruned rows: kept weights refit by least squares to the dense model's layer outputs on ${o.reconstruct} training images before fine-tuning` : ''}${o.dynamic ? `; colnm rows: dynamic masks (SR-STE) from the unpruned weights for the first ${o.dynamic.split(':')[0]} epochs, re-selected every ${o.dynamic.split(':')[1] ?? 1} steps, decay ${o.dynamic.split(':')[2] ?? '2e-4'} on pruned weights, fixed after` : ''}${distill ? `, distilled from ${teacherName}${o['teacher-mode'] === 'train' ? ' run in training mode (BatchNorm on batch statistics, like the student)' : ''} (loss = ${+(1 - distill.alpha).toFixed(6)}·CE + ${distill.alpha}·T²·KL, T = ${distill.temperature}${o.mixup ? '; every batch mixed (mixup, λ uniform, labels unused: function matching)' : ''}${features ? `; + ${features.weight}·mean relative squared error of ${features.values.length} block outputs against the teacher's (feature distillation)` : ''})` : ''}, random crop (pad 4) + flip, seed ${o.seed}; BatchNorm unfolded after every conv (calibrated on 512 training images${o['bn-match'] ? `; for pruned models γ, β set to the per-channel statistics of ${teacherName}: statistics matching` : ''}) and folded back for the test; checkpointing ${o.checkpoint}, wasm kernels x${threads}`,
  test: `${test.count} images of ${test.file.split('/').pop()}`,
  testCount: test.count,
};
if (o.rows) writeFileSync(o.rows, JSON.stringify({ meta, rows }, null, 1));
const md = renderTable(meta, rows);
process.stdout.write(md);
if (o.out) writeFileSync(o.out, md);

function renderTable(meta, rows) {
  const n = meta.testCount;
  const dense = rows.find((r) => r.pattern === 'dense');
  const pct = (c) => `${((c / n) * 100).toFixed(2)}%`;
  const rec = rows.some((r) => r.reconstructed !== undefined);
  const mat = rows.some((r) => r.matched !== undefined);
  const ref = rows.some((r) => r.refreshed !== undefined);
  return [
    `# Fine-tuning ${meta.model} after pruning`,
    '',
    `- date: ${meta.date}; machine: ${meta.machine}`,
    ...(new Set(rows.map((r) => r.command ?? meta.command)).size > 1
      ? ['- commands (one process per row, run in parallel, then merged with `--from`):', ...[...new Set(rows.map((r) => r.command))].map((c) => `  - \`${c}\``)]
      : [`- command: \`${meta.command}\``]),
    `- recipe: ${meta.recipe}`,
    `- test: ${meta.test}`,
    '',
    `| model | before fine-tuning | ${rec ? 'reconstructed, before fine-tuning | ' : ''}${mat ? 'statistics matched, before fine-tuning | ' : ''}after fine-tuning | vs dense fine-tuned | ${ref ? 'statistics re-estimated (unaugmented) | vs dense, both re-estimated | ' : ''}fine-tuning time |`,
    `|---|---|${rec ? '---|' : ''}${mat ? '---|' : ''}---|---|${ref ? '---|---|' : ''}---|`,
    ...rows.map((r) => `| ${r.pattern} | ${pct(r.before)} (${r.before}) | ${rec ? (r.reconstructed === undefined ? '— | ' : `${pct(r.reconstructed)} (${r.reconstructed}) | `) : ''}${mat ? (r.matched === undefined ? '— | ' : `${pct(r.matched)} (${r.matched}) | `) : ''}${pct(r.after)} (${r.after}) | ${dense ? `${(((r.after - dense.after) / n) * 100).toFixed(2)} pt` : 'n/a'} | ${ref ? (r.refreshed === undefined ? '— | — | ' : `${pct(r.refreshed)} (${r.refreshed}) | ${dense?.refreshed !== undefined ? `${(((r.refreshed - dense.refreshed) / n) * 100).toFixed(2)} pt` : 'n/a'} | `) : ''}${(r.seconds / 60).toFixed(1)} min (${r.steps} steps) |`),
    '',
  ].join('\n');
}
