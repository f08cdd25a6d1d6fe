/**
 * The main job on the bundled default: a real pretrained model on real CIFAR-10 images, checked
 * against onnxruntime when it is installed. Each later stage of the pipeline adds its step here.
 */
import type { Command } from 'commander';
import { evaluateAccuracy } from '../analysis/accuracy.js';
import { modelStats } from '../analysis/stats.js';
import { argmaxRows, batchTensor } from '../data/preprocess.js';
import { loadCifar10 } from '../node/data.js';
import { BUNDLED_CIFAR10 } from '../node/paths.js';
import { compile } from '../runtime/session.js';
import { exportOnnx } from '../onnx/export.js';
import { action, fmtCount, Output, parsePositiveInt } from './common.js';

interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, o?: object): Promise<{ run(f: object): Promise<Record<string, { data: Float32Array }>> }> };
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
    .option('-n, --limit <n>', 'test images to score (1017 bundled)', parsePositiveInt('--limit'), 200)
    .option('--json', 'print a JSON summary on stdout')
    .action(action(async (opts: { model: string; limit: number; json?: boolean }) => {
      const out = new Output(opts);
      const model = out.loadModel(opts.model);
      const pre = model.metadata.preprocessing!;
      const data = loadCifar10(BUNDLED_CIFAR10, opts.limit);
      const stats = modelStats(model);
      out.line(`sparsecnn demo: ${model.metadata.name} (${fmtCount(stats.params)} params, ${fmtCount(stats.macs)} MACs/image), ${data.count} CIFAR-10 test images (original pixels)`);
      out.line(`weights: ${model.metadata.source ?? 'unknown'}`);
      out.line();

      out.line('1. dense inference, reference backend (plain TypeScript oracle)');
      const session = await compile(model, { backend: 'ref' });
      const bar = out.progress('   scoring', data.count);
      const dense = await evaluateAccuracy(session, data, pre, { batchSize: 25, onProgress: (d) => bar.update(d) });
      bar.stop();
      const msPerImage = (dense.seconds * 1000) / dense.images;
      out.line(`   top-1 ${(dense.top1 * 100).toFixed(2)}% (${dense.correct}/${dense.images}), ${msPerImage.toFixed(1)} ms/image, ${((stats.macs / msPerImage) * 1e-6).toFixed(2)} GMAC/s`);

      const ort = await loadOrt();
      let peer: { agreement: number; maxAbsDiff: number; msPerImage: number } | undefined;
      if (ort === undefined) {
        out.line('   (onnxruntime-node is not installed: skipping the peer check)');
      } else {
        out.line('2. the same model exported by sparsecnn, run by onnxruntime-node (native MLAS)');
        const peerSession = await ort.InferenceSession.create(exportOnnx(model), { intraOpNumThreads: 1 });
        let agree = 0;
        let maxAbsDiff = 0;
        let ms = 0;
        const bs = 25;
        for (let s = 0; s < data.count; s += bs) {
          const n = Math.min(bs, data.count - s);
          const x = batchTensor(data, s, n, pre);
          const t0 = performance.now();
          const r = await peerSession.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.data, x.shape) });
          ms += performance.now() - t0;
          const theirs = r[session.outputNames[0]!]!.data;
          const ours = (await session.run({ [session.inputNames[0]!]: x }))[session.outputNames[0]!]!;
          for (let i = 0; i < theirs.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(theirs[i]! - ours.data[i]!));
          const po = argmaxRows(ours);
          const pt = argmaxRows({ dtype: 'float32', shape: ours.shape, data: theirs });
          po.forEach((p, i) => (agree += p === pt[i] ? 1 : 0));
        }
        peer = { agreement: agree / data.count, maxAbsDiff, msPerImage: ms / data.count };
        out.line(`   predictions agree on ${agree}/${data.count} images; max |logit difference| ${maxAbsDiff.toExponential(2)}`);
        out.line(`   onnxruntime-node: ${peer.msPerImage.toFixed(2)} ms/image, ${(msPerImage / peer.msPerImage).toFixed(1)}x faster than the reference backend`);
      }
      out.line();
      out.line('Next: the WebAssembly SIMD engine, pruning with sparse kernels, and training with planned rematerialization');
      out.line('arrive with the next milestones; see README.md.');
      out.result({ model: model.metadata.name, images: data.count, dense: { top1: dense.top1, correct: dense.correct, msPerImage }, onnxruntime: peer ?? null });
    }));
}
