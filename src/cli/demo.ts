/**
 * The main job on the bundled default: a real pretrained model on real CIFAR-10 images, on the
 * WebAssembly engine, checked against the reference backend and onnxruntime-node. Each later stage
 * of the pipeline (pruning, fine-tuning, checkpoint planning) adds its step here.
 */
import type { Command } from 'commander';
import { evaluateAccuracy } from '../analysis/accuracy.js';
import { modelStats } from '../analysis/stats.js';
import { argmaxRows, batchTensor } from '../data/preprocess.js';
import { measure } from '../bench/measure.js';
import { loadCifar10 } from '../node/data.js';
import { BUNDLED_CIFAR10 } from '../node/paths.js';
import { compile } from '../runtime/session.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { exportOnnx } from '../onnx/export.js';
import { action, fmtCount, Output, parseNonNegativeInt, parsePositiveInt } from './common.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10Train } from '../node/data.js';
import { defaultCifar10Dir } from '../node/paths.js';
import { simulate } from '../plan/index.js';
import { finetune } from '../train/finetune.js';
import { createTrainer } from '../train/trainer.js';
import { mib } from './plan.js';
import { parseMethod, pruneModel, reconstructPruned } from '../prune/index.js';
import type { Model } from '../graph/ir.js';
import { checkReportPath, writeReport } from '../node/report.js';
import { barChart, lineChart } from '../report/svg.js';
import type { ReportSection } from '../report/html.js';

interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, o?: object): Promise<{ run(f: object): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => object;
}

async function loadOrt(): Promise<OrtModule | undefined> {
  try {
    return (await import('onnxruntime-node' as string)) as OrtModule;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline on the bundled ResNet-20 and CIFAR-10 images')
    .option('-m, --model <model>', 'model to demonstrate', 'resnet20')
    .option('-n, --limit <n>', 'test images to score (1017 bundled)', parsePositiveInt('--limit'), 1017)
    .option('-t, --threads <n>', 'threads for the wasm engine and onnxruntime (default: all cores)', parsePositiveInt('--threads'))
    .option('--prune <specs>', 'pruning methods to demonstrate (comma list; empty to skip)', 'colnm:2:4,colnm:1:4')
    .option('--reconstruct-images <n>', 'training images for least-squares reconstruction of the first pruned model (0 to skip)', parseNonNegativeInt('--reconstruct-images'), 128)
    .option('--finetune-images <n>', 'training images for the brief fine-tuning of the first pruned model (0 to skip)', parseNonNegativeInt('--finetune-images'), 3200)
    .option('--report <file.html>', 'also write an HTML report with charts (accuracy, latency, fine-tuning loss, training memory)')
    .option('--force', 'with --report: overwrite the file even if it is not an earlier sparsecnn report')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText('after', `
Examples:
  $ sparsecnn demo                                  # ResNet-20 on the 1,017 bundled images
  $ sparsecnn demo --report demo.html               # the same, plus a report with charts
  $ sparsecnn demo --prune colnm:2:8 --finetune-images 0 --json`)
    .action(action(async (opts: { model: string; limit: number; threads?: number; prune: string; reconstructImages: number; finetuneImages: number; report?: string; force?: boolean; json?: boolean }) => {
      const out = new Output(opts);
      // Fail on an unwritable report path before minutes of work, not after.
      if (opts.report !== undefined) checkReportPath(opts.report, opts.force === true);
      const model = out.loadModel(opts.model);
      const pre = model.metadata.preprocessing!;
      const data = loadCifar10(BUNDLED_CIFAR10, opts.limit);
      const stats = modelStats(model);
      out.line(`sparsecnn demo: ${model.metadata.name} (${fmtCount(stats.params)} params, ${fmtCount(stats.macs)} MACs/image), ${data.count} CIFAR-10 test images (original pixels)`);
      out.line(`weights: ${model.metadata.source ?? 'unknown'}`);
      out.line();

      const session = (await compile(model, { backend: 'wasm', ...(opts.threads ? { threads: opts.threads } : {}) })) as WasmSession;
      for (const n of session.notes) out.note(`note: ${n}`);
      const threads = session.threads;
      out.line(`1. dense inference on the WebAssembly SIMD engine (${threads} thread${threads > 1 ? 's' : ''}, ${session.relaxedSimd ? 'relaxed' : 'plain'} SIMD)`);
      const bar = out.progress('   scoring', data.count);
      const dense = await evaluateAccuracy(session, data, pre, { batchSize: 64, onProgress: (d) => bar.update(d) });
      bar.stop();
      out.line(`   top-1 ${(dense.top1 * 100).toFixed(2)}% (${dense.correct}/${dense.images}); reference count for these images: PyTorch/onnxruntime 932/1017 (resnet20)`);

      const sample = batchTensor(data, 0, Math.min(16, data.count), pre);
      const input = session.inputNames[0]!;
      const output = session.outputNames[0]!;
      const ours = (await session.run({ [input]: sample }))[output]!;
      const ref = (await (await compile(model, { backend: 'ref' })).run({ [input]: sample }))[output]!;
      let refDiff = 0;
      for (let i = 0; i < ref.data.length; i++) refDiff = Math.max(refDiff, Math.abs(ref.data[i]! - ours.data[i]!));
      out.line(`   matches the reference backend (plain TypeScript oracle) on ${sample.shape[0]} images: max |logit difference| ${refDiff.toExponential(1)}`);

      const one = batchTensor(data, 0, 1, pre);
      const t = await measure(async () => void (await session.run({ [input]: one })), { warmup: 20, runs: 30 });
      out.line(`   latency, batch 1: ${t.medianMs.toFixed(2)} ms median (${((stats.macs * 2) / t.medianMs / 1e6).toFixed(1)} GFLOP/s)`);

      const ort = await loadOrt();
      let peer: { agreement: number; maxAbsDiff: number; medianMs: number; ratio: number } | undefined;
      if (ort === undefined) {
        out.line('   (onnxruntime-node is not installed: skipping the peer comparison)');
      } else {
        out.line(`2. the ONNX file sparsecnn exports, run by onnxruntime-node (native MLAS, ${threads} thread${threads > 1 ? 's' : ''})`);
        const peerSession = await ort.InferenceSession.create(exportOnnx(model), { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const feed = (x: typeof one) => ({ [input]: new ort.Tensor('float32', x.data, x.shape) });
        let agree = 0;
        let maxAbsDiff = 0;
        for (let s = 0; s < data.count; s += 64) {
          const x = batchTensor(data, s, Math.min(64, data.count - s), pre);
          const theirs = (await peerSession.run(feed(x)))[output]!.data;
          const mine = (await session.run({ [input]: x }))[output]!;
          for (let i = 0; i < theirs.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(theirs[i]! - mine.data[i]!));
          const pt = argmaxRows({ dtype: 'float32', shape: mine.shape, data: theirs });
          argmaxRows(mine).forEach((p, i) => (agree += p === pt[i] ? 1 : 0));
        }
        const pt = await measure(async () => void (await peerSession.run(feed(one))), { warmup: 20, runs: 30 });
        peer = { agreement: agree / data.count, maxAbsDiff, medianMs: pt.medianMs, ratio: pt.medianMs / t.medianMs };
        out.line(`   predictions agree on ${agree}/${data.count} images; max |logit difference| ${maxAbsDiff.toExponential(1)}`);
        out.line(`   latency, batch 1: ${pt.medianMs.toFixed(2)} ms median; sparsecnn/onnxruntime speed ratio ${peer.ratio.toFixed(2)} (above 1 = sparsecnn faster)`);
        await peerSession.release();
      }
      session.dispose();

      // 3. Column-wise N:M pruning, run by the sparse kernels the engine picks from the pattern metadata.
      const pruned: { method: string; top1: number; correct: number; latencyMs: number; speedup: number; sparseLayers: number }[] = [];
      // The first method's model goes on to reconstruction and fine-tuning (steps 4 and 5).
      let firstModel: Model | undefined;
      for (const spec of opts.prune.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
        if (pruned.length === 0) out.line(`3. column-wise N:M pruning at tile level, executed by the sparse kernels (same ${threads} thread${threads > 1 ? 's' : ''})`);
        const { model: pm, report } = pruneModel(model, parseMethod(spec));
        firstModel ??= pm;
        const ps = (await compile(pm, { backend: 'wasm', ...(opts.threads ? { threads: opts.threads } : {}) })) as WasmSession;
        const acc = await evaluateAccuracy(ps, data, pre, { batchSize: 64 });
        const m = await measure(async () => void (await ps.run({ [input]: one })), { warmup: 20, runs: 30 });
        const sparseLayers = ps.kernelChoices(new Map([[input, one.shape]])).filter((c) => c.kernel.startsWith('conv2d_colnm')).length;
        ps.dispose();
        pruned.push({ method: spec, top1: acc.top1, correct: acc.correct, latencyMs: m.medianMs, speedup: t.medianMs / m.medianMs, sparseLayers });
        out.line(`   ${spec.padEnd(10)} ${(report.totalSparsity * 100).toFixed(0)}% of weights zero, ${sparseLayers} layers on sparse kernels: top-1 ${(acc.top1 * 100).toFixed(2)}% (${acc.correct}/${acc.images}), ${m.medianMs.toFixed(2)} ms, ${(t.medianMs / m.medianMs).toFixed(2)}x dense`);
      }
      if (pruned.length > 0) out.line('   (no fine-tuning yet: steps 4 and 5 recover the accuracy)');

      const trainDir = defaultCifar10Dir();
      const hasTrain = existsSync(join(trainDir, 'data_batch_1.bin'));
      const firstSpec = pruned[0]?.method;
      // 4. Refit the first pruned model's kept weights to the dense layer outputs (no training).
      let reconstructed: { method: string; images: number; seconds: number; top1: number; correct: number } | null = null;
      if (firstSpec !== undefined && firstModel !== undefined && opts.reconstructImages > 0) {
        if (!hasTrain) out.line(`4. reconstruction skipped: no CIFAR-10 training batches in ${trainDir} (set SPARSECNN_DATA)`);
        else {
          const calib = loadCifar10Train(trainDir, opts.reconstructImages);
          out.line(`4. least-squares reconstruction of the ${firstSpec} model: kept weights refit to the dense layer outputs on ${calib.count} training images (no training)`);
          let rbar: ReturnType<Output['progress']> | undefined;
          const t0 = performance.now();
          const r = await reconstructPruned(model, firstModel, calib, pre, {
            images: calib.count,
            ...(opts.threads ? { threads: opts.threads } : {}),
            onLayer: (done, total, name) => {
              rbar ??= out.progress('   refitting', total);
              rbar.update(done, name ? `| ${name}` : '');
            },
          });
          rbar?.stop();
          const seconds = (performance.now() - t0) / 1000;
          firstModel = r.model;
          const rs = (await compile(firstModel, { backend: 'wasm', ...(opts.threads ? { threads: opts.threads } : {}) })) as WasmSession;
          const acc = await evaluateAccuracy(rs, data, pre, { batchSize: 64 });
          rs.dispose();
          const before = pruned[0]!;
          reconstructed = { method: firstSpec, images: calib.count, seconds, top1: acc.top1, correct: acc.correct };
          out.line(`   top-1 ${(before.top1 * 100).toFixed(2)}% → ${(acc.top1 * 100).toFixed(2)}% (${acc.correct}/${acc.images}) in ${seconds.toFixed(0)} s; same zeros, same sparse kernels`);
        }
      }

      // 5. Fine-tune the first pruned model briefly, with a checkpoint plan, and compare its peak memory with store-all.
      let tuned: { method: string; top1Before: number; top1: number; steps: number; predictedPeakBytes: number; measuredPeakBytes: number; storeAllPeakBytes: number; [k: string]: unknown } | null = null;
      const lossCurve: [number, number][] = [];
      if (firstSpec !== undefined && firstModel !== undefined && opts.finetuneImages > 0) {
        if (!hasTrain) {
          out.line(`5. fine-tuning skipped: no CIFAR-10 training batches in ${trainDir} (set SPARSECNN_DATA)`);
        } else {
          const train = loadCifar10Train(trainDir, opts.finetuneImages);
          const batch = 64;
          // A refit model starts near the dense one: the one-shot rate (0.01) on these JPEG-decoded
          // images moves it away first (85.7% → 83.3% on the bundled images), 0.001 refines it.
          const lr = reconstructed !== null ? 0.001 : 0.01;
          const trainer = await createTrainer(firstModel, { batch, threads: threads, checkpoint: 'linear', calibration: { data: train, pre } });
          out.line(`5. fine-tuning the ${reconstructed !== null ? 'reconstructed ' : ''}${firstSpec} model: ${train.count} training images (JPEG-decoded), 1 epoch, batch ${batch}, lr ${lr}, checkpoint plan 'linear' (pruned weights stay zero)`);
          const fbar = out.progress('   training', Math.floor(train.count / batch));
          let peak = 0;
          const r = await finetune(trainer, train, pre, { epochs: 1, lr, warmupSteps: 0, seed: 1 }, {
            onStep: (st) => {
              peak = Math.max(peak, st.peakBytes);
              lossCurve.push([st.step, st.meanLoss]);
              fbar.update(st.step, `| loss ${st.meanLoss.toFixed(3)} | ${st.imagesPerSec.toFixed(0)} img/s`);
            },
          });
          fbar.stop();
          const plan = trainer.plan();
          const chain = trainer.chain();
          const storeAll = simulate(chain, []).peakBytes;
          const fm = trainer.trainedModel();
          trainer.dispose();
          const fs = (await compile(fm, { backend: 'wasm', ...(opts.threads ? { threads: opts.threads } : {}) })) as WasmSession;
          const acc = await evaluateAccuracy(fs, data, pre, { batchSize: 64 });
          fs.dispose();
          const before = reconstructed ?? pruned[0]!;
          out.line(`   top-1 ${(before.top1 * 100).toFixed(2)}% → ${(acc.top1 * 100).toFixed(2)}% (${acc.correct}/${acc.images}) after ${r.globalStep} steps in ${r.seconds.toFixed(0)} s`);
          out.line(`   memory of a training step: ${chain.n} stages, ${plan.checkpoints.length} checkpoints; predicted peak ${mib(plan.predictedPeakBytes)}, measured ${mib(peak)}; store-all would need ${mib(storeAll)} (${(storeAll / peak).toFixed(2)}x more)`);
          tuned = { method: firstSpec, images: train.count, steps: r.globalStep, seconds: r.seconds, top1Before: before.top1, top1: acc.top1, correct: acc.correct, planner: plan.planner, checkpoints: plan.checkpoints, predictedPeakBytes: plan.predictedPeakBytes, measuredPeakBytes: peak, storeAllPeakBytes: storeAll };
        }
      }
      out.line();
      out.line('More: `sparsecnn finetune --help` (longer fine-tuning), `sparsecnn plan --help` (checkpoint planners), README.md.');
      if (opts.report !== undefined) {
        const pct = (v: number): string => `${v.toFixed(1)}%`;
        const sections: ReportSection[] = [];
        sections.push({
          heading: 'Accuracy',
          text: [`Top-1 on ${data.count} CIFAR-10 test images (original pixels). Pruned models before fine-tuning${reconstructed !== null ? `; the ${reconstructed.method} model after least-squares reconstruction on ${reconstructed.images} training images (no training)` : ''}${tuned !== null ? `; then after ${tuned.steps} fine-tuning steps` : ''}.`],
          charts: [barChart({
            title: `${model.metadata.name}: top-1 accuracy`, yLabel: '% top-1', series: ['top-1'], format: pct,
            groups: [{ label: 'dense', values: [dense.top1 * 100] }, ...pruned.map((p) => ({ label: p.method, values: [p.top1 * 100] })),
              ...(reconstructed !== null ? [{ label: `${reconstructed.method} reconstructed`, values: [reconstructed.top1 * 100] }] : []),
              ...(tuned !== null ? [{ label: `${tuned.method} fine-tuned`, values: [tuned.top1 * 100] }] : [])],
          })],
        });
        sections.push({
          heading: 'Latency, batch 1',
          text: [`Median of 30 runs after 20 warm-up runs, ${threads} thread${threads > 1 ? 's' : ''}. Pruned models run on the sparse kernels the engine picks from the pattern metadata${peer !== undefined ? '; onnxruntime-node runs the exported dense model natively' : ''}.`],
          charts: [barChart({
            title: `${model.metadata.name}: latency (lower is faster)`, yLabel: 'ms', series: ['median latency'], format: (v) => `${v.toFixed(2)} ms`,
            groups: [{ label: 'sparsecnn dense', values: [t.medianMs] }, ...(peer !== undefined ? [{ label: 'onnxruntime-node', values: [peer.medianMs] }] : []),
              ...pruned.map((p) => ({ label: `sparsecnn ${p.method}`, values: [p.latencyMs] }))],
          })],
          table: { head: ['model', 'top-1', 'latency ms', 'speedup vs dense'], rows: [['dense', pct(dense.top1 * 100), t.medianMs.toFixed(2), '1.00x'], ...pruned.map((p) => [p.method, pct(p.top1 * 100), p.latencyMs.toFixed(2), `${p.speedup.toFixed(2)}x`])] },
        });
        if (tuned !== null && lossCurve.length > 0) {
          const MiB = 1024 * 1024;
          sections.push({
            heading: `Fine-tuning ${tuned.method}`,
            text: [`Top-1 ${pct(tuned.top1Before * 100)} before, ${pct(tuned.top1 * 100)} after ${tuned.steps} steps (pruned weights stay zero).`],
            charts: [lineChart({ title: 'training loss (running mean over the epoch)', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', points: lossCurve }] })],
          });
          sections.push({
            heading: 'Memory of a training step',
            text: ['Everything a step holds (weights, gradients, momentum, activations, saved data, workspace). The checkpoint planner predicts the peak; the trainer\'s allocator measures it.'],
            charts: [barChart({
              title: 'peak memory of one training step', yLabel: 'MiB', series: ['peak'], format: (v) => `${v.toFixed(1)} MiB`,
              groups: [{ label: 'store-all', values: [tuned.storeAllPeakBytes / MiB] }, { label: 'plan, predicted', values: [tuned.predictedPeakBytes / MiB] }, { label: 'plan, measured', values: [tuned.measuredPeakBytes / MiB] }],
            })],
          });
        }
        writeReport(opts.report, {
          title: `sparsecnn demo: ${model.metadata.name}`,
          sections,
        }, opts.force === true);
        out.line(`report: ${opts.report}`);
      }
      out.result({ model: model.metadata.name, images: data.count, threads, dense: { top1: dense.top1, correct: dense.correct, latencyMs: t.medianMs, refMaxAbsDiff: refDiff }, onnxruntime: peer ?? null, pruned, reconstructed, finetuned: tuned });
    }));
}
