import type { Command } from 'commander';
import { evaluateAccuracy } from '../analysis/accuracy.js';
import { loadCifar10 } from '../node/data.js';
import { BUNDLED_CIFAR10 } from '../node/paths.js';
import { action, compileFor, engineOptions, Output, parseNumberList, parsePositiveInt, type EngineOptions } from './common.js';
import { preprocessingFor } from './preprocessing.js';

export function register(program: Command): void {
  engineOptions(program
    .command('eval'))
    .description('top-1 accuracy on the CIFAR-10 test set (binary format)')
    .argument('<model>', 'an .onnx file or a zoo name')
    .option('-d, --data <path>', 'a CIFAR-10 .bin file, or a directory holding test_batch.bin', BUNDLED_CIFAR10)
    .option('-n, --limit <n>', 'only the first n images', parsePositiveInt('--limit'))
    .option('--batch-size <n>', 'images per inference call', parsePositiveInt('--batch-size'), 50)
    .option('--mean <r,g,b>', 'normalisation mean (overrides the model metadata)', parseNumberList('--mean', 3))
    .option('--std <r,g,b>', 'normalisation std (overrides the model metadata)', parseNumberList('--std', 3))
    .option('--json', 'print {top1, images} on stdout (top1 as a fraction 0..1)')
    .addHelpText('after', `
Without --data, the 1017 bundled original-pixel test images are used.
../shared/data/cifar10/test_batch.bin holds all 10,000 test images as JPEG-decoded pixels:
accuracy there is about 10 points below published numbers (see the data README).

Examples:
  $ sparsecnn eval resnet20
  $ sparsecnn eval resnet56 --data ../shared/data/cifar10 --json
  $ sparsecnn eval ./pruned.onnx --data ../shared/data/cifar10/test_batch.bin --limit 1000`)
    .action(action(async (spec: string, opts: EngineOptions & { data: string; limit?: number; batchSize: number; mean?: number[]; std?: number[]; json?: boolean }) => {
      const out = new Output(opts);
      const data = loadCifar10(opts.data, opts.limit);
      const model = out.loadModel(spec);
      const pre = preprocessingFor(model, opts, out);
      const session = await compileFor(model, opts, out);
      const bar = out.progress(`eval ${model.metadata.name}`, data.count);
      const r = await evaluateAccuracy(session, data, pre, {
        batchSize: opts.batchSize,
        onProgress: (done, _total, correct) => bar.update(done, `| top-1 ${((correct / done) * 100).toFixed(2)}%`),
      });
      bar.stop();
      session.dispose();
      out.result({ top1: r.top1, images: r.images });
      out.line(`${model.metadata.name} on ${data.file}: top-1 ${(r.top1 * 100).toFixed(2)}% (${r.correct}/${r.images}) in ${r.seconds.toFixed(1)} s (${(r.images / r.seconds).toFixed(1)} images/s, backend ${session.backend})`);
    }));
}
