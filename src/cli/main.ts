import { Command } from 'commander';
import '../node/runtime.js';
import { register as bench } from './bench.js';
import { register as demo } from './demo.js';
import { register as evalCmd } from './eval.js';
import { register as exportCmd } from './export.js';
import { register as info } from './info.js';
import { register as finetune } from './finetune.js';
import { register as plan } from './plan.js';
import { register as prune } from './prune.js';
import { register as tune } from './tune.js';
import { register as run } from './run.js';
import { register as zoo } from './zoo.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('sparsecnn')
    .description('Make convolutional networks small, fast and cheap to train: import ONNX, inspect, run, evaluate, prune, fine-tune.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
MODEL is a path to an .onnx file or a zoo name (resnet20, resnet56, mobilenetv2-cifar, resnet18,
resnet50, mobilenetv2, mobilenetv3-small, efficientnet-b0; \`sparsecnn zoo\` lists them).
Every verb takes --json and then prints exactly one JSON object on stdout.

Examples:
  $ sparsecnn demo                                   # the pipeline on the bundled ResNet-20
  $ sparsecnn info resnet56
  $ sparsecnn eval resnet20 --data ../shared/data/cifar10 --json
  $ sparsecnn run resnet20 --input cat.png
  $ sparsecnn export mobilenetv2 -o mobilenetv2.onnx
  $ sparsecnn bench resnet50 --threads 2            # speed vs onnxruntime and tfjs
  $ sparsecnn plan resnet56 --batch 64 --measure     # checkpoint plans: peak memory vs store-all
  $ sparsecnn finetune pruned.onnx --epochs 2 -o tuned.onnx`);
  for (const reg of [demo, info, run, evalCmd, zoo, exportCmd, prune, tune, bench, plan, finetune]) reg(program);
  program.exitOverride((err) => {
    // commander already printed its message; keep its exit code (0 for --help/--version).
    process.exit(err.exitCode);
  });
  await program.parseAsync([...argv], { from: 'user' });
}
