import type { Command } from 'commander';
import { modelStats } from '../analysis/stats.js';
import { compile } from '../runtime/session.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { action, fmtCount, Output, parsePositiveInt, table } from './common.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('layers, output shapes, parameters, MACs and weight sparsity of a model')
    .argument('<model>', 'an .onnx file or a zoo name (see `sparsecnn zoo`)')
    .option('-b, --batch <n>', 'batch size used for shapes and MACs', parsePositiveInt('--batch'), 1)
    .option('--json', 'print {params, macs, predictedPeakBytes, nodes:[{name, op, outShape, params, macs}]} on stdout')
    .addHelpText('after', `
Examples:
  $ sparsecnn info resnet20
  $ sparsecnn info ./model.onnx --batch 8 --json | jq '.macs'`)
    .action(action(async (spec: string, opts: { batch: number; json?: boolean }) => {
      const out = new Output(opts);
      const model = out.loadModel(spec);
      const s = modelStats(model, opts.batch);
      // The wasm engine plans every intermediate tensor into one arena before running: its size is known now.
      const session = (await compile(model, { backend: 'wasm', threads: 1 })) as WasmSession;
      const arena = session.arenaPlan(new Map(s.inputs.map((i) => [i.name, i.shape])));
      session.dispose();
      const naive = arena.lifetimes.reduce((t, l) => t + l.bytes, 0);
      out.result({ params: s.params, macs: s.macs, predictedPeakBytes: arena.plan.peakBytes, nodes: s.nodes.map((n) => ({ name: n.name, op: n.op, outShape: n.outShape, params: n.params, macs: n.macs })) });
      if (out.json) return;
      out.line(`${model.metadata.name}: ${s.nodes.length} nodes, ${fmtCount(s.params)} parameters, ${fmtCount(s.macs)} MACs at batch ${s.batch}`);
      out.line(`activation memory (wasm arena, planned): ${(arena.plan.peakBytes / 2 ** 20).toFixed(2)} MiB peak, vs ${(naive / 2 ** 20).toFixed(2)} MiB without reuse`);
      if (model.metadata.source) out.line(`weights: ${model.metadata.source}`);
      for (const i of s.inputs) out.line(`input '${i.name}': [${i.shape.join(', ')}]`);
      out.line();
      const rows = [['name', 'op', 'output', 'params', 'MACs', 'zeros']];
      for (const n of s.nodes) rows.push([n.name, n.op, `[${n.outShape.join(',')}]`, n.params ? fmtCount(n.params) : '', n.macs ? fmtCount(n.macs) : '', n.sparsity > 0 ? `${(n.sparsity * 100).toFixed(1)}%` : '']);
      out.line(table(rows, ['l', 'l', 'l', 'r', 'r', 'r']));
    }));
}
