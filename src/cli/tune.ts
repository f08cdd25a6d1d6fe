import type { Command } from 'commander';
import { modelStats } from '../analysis/stats.js';
import { fail } from '../errors.js';
import { floatTensor } from '../graph/tensor.js';
import { saveTuningCache } from '../node/tuning.js';
import { compile } from '../runtime/session.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { action, Output, parsePositiveInt, table } from './common.js';

export function register(program: Command): void {
  program
    .command('tune')
    .description('profile the candidate kernels of every operator on this machine and keep the fastest (a tuning cache)')
    .argument('<model>', 'an .onnx file or a zoo name')
    .option('-b, --batch <n>', 'batch size to tune for', parsePositiveInt('--batch'), 1)
    .option('-t, --threads <n>', 'threads to tune for (default: all cores)', parsePositiveInt('--threads'))
    .option('-o, --output <file>', 'tuning cache to write or update', 'sparsecnn-tuning.json')
    .option('--runs <n>', 'timed runs per candidate', parsePositiveInt('--runs'), 7)
    .option('-f, --force', 'replace the output file even if it is not a tuning cache')
    .option('--json', 'print {model, batch, threads, machine, output, ops:[{node, signature, kernel, ms}]}')
    .addHelpText('after', `
Like AITemplate's profiler: every operator instance (shape, stride, pattern, thread count) times each
kernel that can compute it, in place, on this machine; the fastest is kept under the operator's
signature and this machine's fingerprint. run, eval and bench use it with --tuning FILE; without a
cache, each operator gets the kernel a built-in cost rule picks.

Examples:
  $ sparsecnn tune resnet50 --threads 1 -o tuning.json
  $ sparsecnn bench resnet50 --threads 1 --tuning tuning.json --json | jq '.engines[0].kernels'`)
    .action(action(async (spec: string, opts: { batch: number; threads?: number; output: string; runs: number; force?: boolean; json?: boolean }) => {
      const out = new Output(opts);
      const model = out.loadModel(spec);
      const session = await compile(model, { backend: 'wasm', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
      if (!(session instanceof WasmSession)) fail('UNSUPPORTED', 'tuning needs the wasm backend');
      const input = modelStats(model, opts.batch).inputs[0]!;
      const x = floatTensor(input.shape);
      for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(i * 0.37);
      let bar: ReturnType<Output['progress']> | undefined;
      const cache = await session.tune({ [input.name]: x }, {
        runs: opts.runs,
        onStep: (done, total) => {
          bar ??= out.progress(`tune ${model.metadata.name}`, total);
          bar.update(done);
        },
      });
      bar?.stop();
      const choices = session.kernelChoices(new Map([[input.name, input.shape]]));
      session.dispose();
      saveTuningCache(opts.output, cache, opts.force === true);
      const ops = choices.map((c) => ({ node: c.node, signature: c.signature, kernel: cache.entries[c.signature]?.kernel ?? c.kernel, ms: cache.entries[c.signature]?.ms ?? {} }));
      out.result({ model: model.metadata.name, batch: opts.batch, threads: session.threads, machine: cache.machine, output: opts.output, ops });
      const rows = [['layer', 'fastest', ...Object.keys(ops[0]?.ms ?? {})]];
      for (const o of ops) rows.push([o.node, o.kernel, ...Object.values(o.ms).map((v) => v.toFixed(3))]);
      out.line(table(rows, ['l', 'l', 'r', 'r', 'r', 'r']));
      const changed = ops.filter((o) => o.kernel !== 'conv2d').length;
      out.line(`\n${ops.length} operators profiled on ${cache.machine}; ${changed} run faster with a kernel other than the cost model's choice. Wrote ${opts.output}.`);
    }));
}
