import type { Command } from 'commander';
import { saveModel } from '../node/models.js';
import { parseCriterion, parseMethod, pruneModel, type PruneMethod } from '../prune/index.js';
import { fail } from '../errors.js';
import { action, fmtCount, Output, parsePositiveInt, table } from './common.js';

function parseRatio(name: string): (v: string) => number {
  return (v) => {
    const r = Number(v);
    if (!Number.isFinite(r) || r < 0 || r >= 1) fail('INVALID_ARGUMENT', `${name} must be in [0, 1), got '${v}'`);
    return r;
  };
}

interface PruneCliOptions {
  method: string;
  output: string;
  force?: boolean;
  tile?: number;
  criterion?: string;
  pw?: number;
  group?: number;
  hwTile?: number;
  align?: string;
  dense?: string;
  layer?: string[];
  allLayers?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('prune')
    .description('prune a model and write it as ONNX (pruned weights are real zeros; removed channels are gone)')
    .argument('<model>', 'an .onnx file or a zoo name')
    .requiredOption('-m, --method <spec>', 'colnm:N:M | nm:N:M | nv24 | unstructured:R | filter:R | dcp:R | dcp-b:R | dcp-bh:R')
    .requiredOption('-o, --output <file>', 'the .onnx file to write')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--tile <n>', 'colnm: output channels per tile (the sparse kernel width)', parsePositiveInt('--tile'))
    .option('--criterion <c>', 'colnm row score: l2 | l1 | magnitude', 'l2')
    .option('--pw <ratio>', 'DEPrune: l2 filter pruning ratio of the pointwise expansion convs', (v) => parseRatio('--pw')(v))
    .option('--group <n>', 'DEPrune: channels per sub-GEMM (T)', parsePositiveInt('--group'))
    .option('--hw-tile <n>', 'DEPrune-BH: hardware tile the pruned counts are rounded to', parsePositiveInt('--hw-tile'))
    .option('--align <u|o|auto>', 'DEPrune-BH: round counts down (u), up (o), or the closer (auto)', 'auto')
    .option('--dense <layers>', 'comma-separated layer names to leave dense')
    .option('--layer <name=spec...>', 'per-layer method override, e.g. --layer layer3.0.conv1=colnm:1:4')
    .option('--all-layers', 'also prune the first conv and the classifier (dense by default)')
    .option('--json', 'print {method, layers:[{name, op, sparsity, pattern}], totalSparsity, macsBefore, macsAfter}')
    .addHelpText('after', `
Methods:
  colnm:N:M      column-wise N:M at tile level: in every tile of NR output channels and every group of
                 M reduction rows, the same N rows are kept (sparse kernels skip the rest)
  nm:N:M, nv24   N:M along the reduction axis per output channel (NVIDIA 2:4 style), a baseline
  unstructured:R magnitude pruning of a fraction R of each layer, a baseline
  filter:R       l2 filter pruning by dependency group: channels really removed (residuals tied)
  dcp:R          DEPrune on depthwise convs; dcp-b: balanced per sub-GEMM; dcp-bh: + hardware-aligned
                 counts. --pw R also filter-prunes the pointwise expansion convs.

Examples:
  $ sparsecnn prune resnet20 --method colnm:2:4 -o resnet20-2of4.onnx
  $ sparsecnn prune mobilenetv2-cifar --method dcp-bh:0.5 --pw 0.3 -o mbv2-pruned.onnx --json
  $ sparsecnn eval resnet20-2of4.onnx --data ../shared/data/cifar10`)
    .action(action((spec: string, opts: PruneCliOptions) => {
      const out = new Output(opts);
      const method = parseMethod(opts.method);
      const align = opts.align;
      if (align !== undefined && align !== 'u' && align !== 'o' && align !== 'auto') fail('INVALID_ARGUMENT', `--align must be u, o or auto, got '${align}'`);
      const overrides = new Map<string, PruneMethod>();
      for (const l of opts.layer ?? []) {
        const i = l.indexOf('=');
        if (i <= 0) fail('INVALID_ARGUMENT', `--layer expects name=spec, got '${l}'`);
        overrides.set(l.slice(0, i), parseMethod(l.slice(i + 1)));
      }
      const model = out.loadModel(spec);
      const names = new Set(model.graph.nodes.map((n) => n.name));
      const dense = opts.dense ? opts.dense.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
      for (const n of [...dense, ...overrides.keys()]) if (!names.has(n)) fail('NOT_FOUND', `no layer '${n}' in ${model.metadata.name}`);
      const { model: pruned, report } = pruneModel(model, method, {
        ...(opts.tile !== undefined ? { tile: opts.tile } : {}),
        criterion: parseCriterion(opts.criterion ?? 'l2'),
        ...(opts.pw !== undefined ? { pw: opts.pw } : {}),
        ...(opts.group !== undefined ? { groupWidth: opts.group } : {}),
        ...(opts.hwTile !== undefined ? { hardwareTile: opts.hwTile } : {}),
        ...(align !== undefined ? { align } : {}),
        dense,
        allLayers: opts.allLayers === true,
        overrides,
      });
      saveModel(pruned, opts.output, opts.force === true);
      out.result({ method: report.method, layers: report.layers.map((l) => ({ name: l.name, op: l.op, sparsity: l.sparsity, pattern: l.pattern })), totalSparsity: report.totalSparsity, macsBefore: report.macsBefore, macsAfter: report.macsAfter });
      if (out.json) return;
      const rows = [['layer', 'op', 'pattern', 'sparsity', ...(report.layers.some((l) => l.deprune) ? ['imbalance', 'align'] : [])]];
      for (const l of report.layers) {
        rows.push([l.name, l.op, l.pattern, `${(l.sparsity * 100).toFixed(1)}%`, ...(l.deprune ? [l.deprune.imbalance.toFixed(3), l.deprune.alignment ?? ''] : report.layers.some((x) => x.deprune) ? ['', ''] : [])]);
      }
      out.line(table(rows, ['l', 'l', 'l', 'r', 'r', 'l']));
      for (const s of report.skipped) out.line(`not pruned: ${s.node}: ${s.reason}`);
      out.line();
      out.line(`${report.method}: ${(report.totalSparsity * 100).toFixed(1)}% of conv/Gemm weights zero or removed; MACs ${fmtCount(report.macsBefore)} → ${fmtCount(report.macsAfter)} (${(report.macsBefore / Math.max(1, report.macsAfter)).toFixed(2)}x fewer)`);
      out.line(`wrote ${opts.output}`);
    }));
}
