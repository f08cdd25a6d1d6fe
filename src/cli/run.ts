import type { Command } from 'commander';
import { imageTensor, topK } from '../data/preprocess.js';
import { fail } from '../errors.js';
import { readImage } from '../node/data.js';
import { action, compileFor, engineOptions, Output, parseNumberList, parsePositiveInt, type EngineOptions } from './common.js';
import { preprocessingFor } from './preprocessing.js';

export function register(program: Command): void {
  engineOptions(program
    .command('run'))
    .description('classify one image: top-k classes with probabilities')
    .argument('<model>', 'an .onnx file or a zoo name')
    .requiredOption('-i, --input <image>', 'a PNG or JPEG file (centre-cropped and resized to the model input)')
    .option('-k, --top <k>', 'how many classes to show', parsePositiveInt('--top'), 5)
    .option('--mean <r,g,b>', 'normalisation mean (overrides the model metadata)', parseNumberList('--mean', 3))
    .option('--std <r,g,b>', 'normalisation std (overrides the model metadata)', parseNumberList('--std', 3))
    .option('--json', 'print {top:[{index, label, prob}]} on stdout')
    .addHelpText('after', `
Examples:
  $ sparsecnn run resnet20 --input cat.png
  $ sparsecnn run ./model.onnx --input photo.jpg --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 --json`)
    .action(action(async (spec: string, opts: EngineOptions & { input: string; top: number; mean?: number[]; std?: number[]; json?: boolean }) => {
      const out = new Output(opts);
      const model = out.loadModel(spec);
      const pre = preprocessingFor(model, opts, out);
      const img = readImage(opts.input);
      const session = await compileFor(model, opts, out);
      const x = imageTensor(img, pre);
      const result = await session.run({ [session.inputNames[0]!]: x });
      const logits = result[session.outputNames[0]!]!;
      if (logits.shape.length !== 2 || logits.shape[0] !== 1) fail('UNSUPPORTED', `expected [1, classes] logits, the model gives [${logits.shape.join(',')}]`);
      const top = topK(logits.data, opts.top, model.metadata.labels);
      out.result({ top });
      session.dispose();
      out.line(`${opts.input} (${img.width}x${img.height}) with ${model.metadata.name}:`);
      for (const t of top) out.line(`  ${(t.prob * 100).toFixed(2).padStart(6)}%  ${t.label ?? `class ${t.index}`}${t.label ? ` (${t.index})` : ''}`);
    }));
}
