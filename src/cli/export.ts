import type { Command } from 'commander';
import { saveModel } from '../node/models.js';
import { action, Output } from './common.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model (zoo or file) as an ONNX file that any ONNX runtime loads')
    .argument('<model>', 'an .onnx file or a zoo name')
    .requiredOption('-o, --output <file>', 'the .onnx file to write')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--json', 'print {output} on stdout')
    .addHelpText('after', `
Examples:
  $ sparsecnn export efficientnet-b0 -o effnet.onnx
  $ sparsecnn export resnet20 -o resnet20.onnx --force`)
    .action(action((spec: string, opts: { output: string; force?: boolean; json?: boolean }) => {
      const out = new Output(opts);
      const model = out.loadModel(spec);
      saveModel(model, opts.output, opts.force === true);
      out.result({ output: opts.output });
      out.line(`wrote ${opts.output} (${model.metadata.name}, ${model.graph.nodes.length} nodes)`);
    }));
}
