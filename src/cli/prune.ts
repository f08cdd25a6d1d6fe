import type { Command } from 'commander';
import { checkReportPath, writeReport } from '../node/report.js';
import { barChart } from '../report/svg.js';
import type { ReportSection } from '../report/html.js';
import { saveModel } from '../node/models.js';
import { allocatePwRatios, type PwAllocation, type PwBudget } from '../prune/allocate.js';
import { methodString, parseCriterion, parseMethod, pruneModel, pruningSensitivity, reconstructPruned, type PruneMethod, type PruneOptions, type ReconstructReport } from '../prune/index.js';
import { PW_SCOPES, type PwScope } from '../prune/spec.js';
import type { Model } from '../graph/ir.js';
import { existsSync } from 'node:fs';
import { loadCifar10, loadCifar10Train } from '../node/data.js';
import { checkNewFile } from '../node/files.js';
import { COLNM_KERNEL_TILES } from '../kernels/wasm/packing.js';
import { BUNDLED_CIFAR10, defaultCifar10Dir } from '../node/paths.js';
import { fail } from '../errors.js';
import { action, fmtCount, Output, parsePositiveInt, parseRatio, table } from './common.js';

interface PruneCliOptions {
  method: string;
  output?: string;
  force?: boolean;
  tile?: number;
  criterion?: string;
  pw?: number;
  pwAlloc?: string;
  pwAllocImages: number;
  pwScope: string;
  pwAllocScope?: string;
  group?: number;
  hwTile?: number;
  lanes?: number;
  align?: string;
  dense?: string;
  layer?: string[];
  allLayers?: boolean;
  sensitivity?: boolean;
  report?: string;
  data?: string;
  limit: number;
  threads?: number;
  reconstruct?: number | true;
  calibration?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('prune')
    .description('prune a model and write it as ONNX (pruned weights are real zeros; removed channels are gone)')
    .argument('<model>', 'an .onnx file or a zoo name')
    .requiredOption('-m, --method <spec>', 'colnm:N:M | nm:N:M | nv24 | unstructured:R | filter:R | dcp:R | dcp-b:R | dcp-bh:R')
    .option('-o, --output <file>', 'the .onnx file to write (required unless --sensitivity)')
    .option('-f, --force', 'overwrite the output file (or a --report file that is not an earlier sparsecnn report) if it exists')
    .option('--tile <n>', 'colnm: output channels per tile: 8 (default, the fast sparse kernel) or 4 (a sparse kernel ~1.5x slower per kept weight, closer to dense accuracy); other widths run on dense kernels', parsePositiveInt('--tile'))
    .option('--criterion <c>', 'colnm row score: l2 | l1 | magnitude', 'l2')
    .option('--pw <ratio>', 'DEPrune: l2 filter pruning ratio of the pointwise expansion convs', parseRatio('--pw'))
    .option('--pw-alloc <unit>', 'DEPrune: place the --pw pruning by measured sensitivity instead of the same ratio in every block: per-block ratios that remove at least what uniform --pw removes, counted in weights | macs | filters, with the least change of the output distribution on training images (--calibration)')
    .option('--pw-alloc-images <n>', 'with --pw-alloc: training images the sensitivity is measured on', parsePositiveInt('--pw-alloc-images'), 256)
    .option('--pw-scope <scope>', 'DEPrune: which pointwise convs --pw prunes: expansion (the 1x1 convs feeding a depthwise conv) or all (also the head conv before pooling and the residual streams\' projection and shortcut convs)', 'expansion')
    .option('--pw-alloc-scope <scope>', 'with --pw-alloc: the pointwise groups the pruning may be placed in (default: --pw-scope); all with --pw-scope expansion places what --pw removes from the expansion convs anywhere among all pointwise convs')
    .option('--group <n>', 'DEPrune: channels per sub-GEMM (T)', parsePositiveInt('--group'))
    .option('--lanes <n>', 'DEPrune: channels per pruning unit: 1 = single weights (the paper), 4 = SIMD vectors the CPU kernel skips', parsePositiveInt('--lanes'))
    .option('--hw-tile <n>', 'DEPrune-BH: hardware tile the pruned counts are rounded to', parsePositiveInt('--hw-tile'))
    .option('--align <u|o|auto>', 'DEPrune-BH: round counts down (u), up (o), or the closer (auto)', 'auto')
    .option('--dense <layers>', 'comma-separated layer names to leave dense')
    .option('--layer <name=spec...>', 'per-layer method override, e.g. --layer layer3.0.conv1=colnm:1:4')
    .option('--all-layers', 'also prune the first conv and the classifier (dense by default)')
    .option('--reconstruct [images]', 'refit the kept weights of every pruned conv (and the convs after it) by least squares so its outputs match the dense layer\'s on this many training images (default 256)', parsePositiveInt('--reconstruct'))
    .option('--calibration <path>', 'reconstruct and --pw-alloc: CIFAR-10 training .bin file or folder of data_batch_<k>.bin (default: ../shared/data/cifar10 or $SPARSECNN_DATA)')
    .option('--sensitivity', 'prune one layer (or dependency group) at a time and report accuracy drop and speed gain per layer')
    .option('-d, --data <path>', 'sensitivity: CIFAR-10 .bin file or directory (default: the bundled 1017 images)')
    .option('-n, --limit <n>', 'sensitivity: images to score per layer', parsePositiveInt('--limit'), 1000)
    .option('-t, --threads <n>', 'sensitivity, reconstruct and --pw-alloc: threads for the wasm engine', parsePositiveInt('--threads'))
    .option('--report <file.html>', 'with --sensitivity: an HTML report with per-layer accuracy drop and speedup charts; with --reconstruct: per-layer output error before and after the refit; with --pw-alloc: the ratio chosen per block and what each ratio costs')
    .option('--json', 'print {method, layers:[{name, op, sparsity, pattern}], totalSparsity, macsBefore, macsAfter} (+ reconstruction, + pwAllocation:{budget, images, scope, budgetScope, ratios, pwWeights, pwMacs, uniform, allocated}); with --sensitivity {method, dense:{top1, images}, layers:[{name, op, sparsity, top1, drop, speedup}]}')
    .addHelpText('after', `
Methods:
  colnm:N:M      column-wise N:M at tile level: in every tile of NR output channels and every group of
                 M reduction rows, the same N rows are kept (sparse kernels skip the rest). --tile 4
                 gives each 4 channels their own rows: slower than tile 8, but after fine-tuning
                 ResNet-20 2:4 lands 0.44 points from dense instead of 1.33
  nm:N:M, nv24   N:M along the reduction axis per output channel (NVIDIA 2:4 style), a baseline
  unstructured:R magnitude pruning of a fraction R of each layer, a baseline
  filter:R       l2 filter pruning by dependency group: channels really removed (residuals tied)
  dcp:R          DEPrune on depthwise convs; dcp-b: balanced per sub-GEMM; dcp-bh: + hardware-aligned
                 counts. --pw R also filter-prunes the pointwise expansion convs. --lanes 4 prunes
                 (4-channel, tap) units that the CPU's NHWC depthwise kernel skips as whole vectors.
                 --pw-alloc macs places that PW pruning where it costs least (see below).

Examples:
  $ sparsecnn prune resnet20 --method colnm:2:4 -o resnet20-2of4.onnx
  $ sparsecnn prune mobilenetv2-cifar --method dcp-bh:0.5 --pw 0.3 -o mbv2-pruned.onnx --json
  $ sparsecnn prune mobilenetv2 --method dcp-bh:0.7 --lanes 4 -o mbv2-vs.onnx        # CPU-friendly units
  $ sparsecnn prune mobilenetv2-cifar --method dcp-bh:0.5 --pw 0.3 --pw-alloc macs -o mbv2-alloc.onnx
  $ sparsecnn prune resnet20 --method colnm:2:4 --reconstruct -o resnet20-2of4-rec.onnx # refit kept weights
  $ sparsecnn prune resnet20 --method colnm:2:4 --tile 4 -o resnet20-2of4-t4.onnx      # accuracy over speed
  $ sparsecnn eval resnet20-2of4.onnx --data ../shared/data/cifar10
  $ sparsecnn prune resnet20 --method colnm:1:4 --sensitivity --limit 500

Reconstruction (--reconstruct): pruning leaves the kept weights as they were, and every layer's
output drifts; the drift compounds with depth. --reconstruct refits, layer by layer in graph order,
the kept weights and bias of each pruned conv, and all weights of the convs downstream of one, to
the dense layer's outputs on calibration images, by ridge-regularised least squares on the pruned
network's own inputs. Zeros stay zero, so the same sparse kernels run. It needs training images
(never the test set): --calibration, or ../shared/data/cifar10.

PW allocation (--pw-alloc UNIT): --pw R alone removes the lowest-l2 fraction R of every expansion
block. Blocks differ: in MobileNetV2-CIFAR a channel of a 960-wide block carries 320 PW weights
and the output barely notices it, one of the 144-wide block 3 carries 56 and the output changes a
lot. --pw-alloc measures, for every block and ratio 0.1..0.8, the KL divergence of the model's
class distribution from the dense one with only that block pruned (--pw-alloc-images training
images), then picks one ratio per block that removes at least what uniform R removes, counted in
UNIT (weights, macs or filters), with the least summed KL (an exact knapsack). 'macs' keeps the
speed-up of uniform pruning; 'weights' the size. The chosen ratios are printed and recorded.
MobileNetV2-CIFAR at DCP-BH 50% + PW 30%, reconstructed and fine-tuned 4 epochs, against the dense
model fine-tuned alike: uniform −1.44 points, macs −1.28, weights −0.65 (mean of three seeds),
weights placed among all PW convs (--pw-alloc-scope all, below) −0.44.

PW scope (--pw-scope, --pw-alloc-scope): the expansion convs are not the only pointwise convs.
--pw-scope all also prunes the head conv before pooling and the residual streams (projection and
1x1 shortcut convs tied by their Adds); --pw-alloc-scope all keeps the budget of --pw R on the
expansion convs and lets the allocation place it in any of them:
  $ sparsecnn prune mobilenetv2-cifar --method dcp-bh:0.5 --pw 0.3 --pw-alloc weights --pw-alloc-scope all -o mbv2-all.onnx`)
    .action(action(async (spec: string, opts: PruneCliOptions) => {
      const out = new Output(opts);
      const method = parseMethod(opts.method);
      const align = parseAlign(opts.align);
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
      const colnmUsed = method.kind === 'colnm' || [...overrides.values()].some((m) => m.kind === 'colnm');
      if (opts.tile !== undefined && !COLNM_KERNEL_TILES.some((t) => t === opts.tile) && colnmUsed) {
        out.note(`note: colnm tiles of ${opts.tile} channels have no sparse kernel (tiles of ${COLNM_KERNEL_TILES.join(' and ')} do): the pruned layers run on dense kernels`);
      }
      const pruneOpts = {
        ...(opts.tile !== undefined ? { tile: opts.tile } : {}),
        criterion: parseCriterion(opts.criterion ?? 'l2'),
        ...(opts.pw !== undefined ? { pw: opts.pw } : {}),
        pwScope: parsePwScope(opts.pwScope),
        ...(opts.group !== undefined ? { groupWidth: opts.group } : {}),
        ...(opts.hwTile !== undefined ? { hardwareTile: opts.hwTile } : {}),
        ...(opts.lanes !== undefined ? { lanes: opts.lanes } : {}),
        ...(align !== undefined ? { align } : {}),
        dense,
        allLayers: opts.allLayers === true,
        overrides,
      };
      if (pruneOpts.pwScope !== 'expansion' && (opts.pw === undefined || opts.pw === 0)) fail('INVALID_ARGUMENT', `--pw-scope ${pruneOpts.pwScope} says which convs --pw prunes; pass --pw R > 0 with it`);
      if (opts.report !== undefined && opts.sensitivity !== true && opts.reconstruct === undefined && opts.pwAlloc === undefined) fail('INVALID_ARGUMENT', '--report goes with --sensitivity, --reconstruct or --pw-alloc (a plain prune prints its table; --json gives the data)');
      if (opts.report !== undefined) checkReportPath(opts.report, opts.force === true);
      if (opts.sensitivity === true) {
        if (opts.reconstruct !== undefined) fail('INVALID_ARGUMENT', '--reconstruct goes with a plain prune (-o OUT.onnx), not --sensitivity');
        if (opts.pwAlloc !== undefined) fail('INVALID_ARGUMENT', '--pw-alloc goes with a plain prune (-o OUT.onnx), not --sensitivity');
        return sensitivity(model, method, pruneOpts, opts, out);
      }
      if (opts.output === undefined) fail('INVALID_ARGUMENT', 'pass -o OUT.onnx (where to write the pruned model), or --sensitivity');
      const budget = parseBudget(opts.pwAlloc);
      if (budget !== undefined) {
        if (method.kind !== 'dcp' && method.kind !== 'dcp-b' && method.kind !== 'dcp-bh') fail('INVALID_ARGUMENT', `--pw-alloc places DEPrune's PW pruning; ${methodString(method)} has none (use dcp, dcp-b or dcp-bh with --pw)`);
        if (opts.pw === undefined || opts.pw === 0) fail('INVALID_ARGUMENT', '--pw-alloc needs --pw R > 0: the uniform ratio whose pruning it places');
      }
      // Checked before the (possibly long) allocation and reconstruction, and again by saveModel.
      checkNewFile(opts.output, opts.force === true);
      let alloc: PwAllocation | undefined;
      const allocScope = opts.pwAllocScope === undefined ? pruneOpts.pwScope : parsePwScope(opts.pwAllocScope, '--pw-alloc-scope');
      if (opts.pwAllocScope !== undefined && budget === undefined) fail('INVALID_ARGUMENT', '--pw-alloc-scope goes with --pw-alloc (it says where the allocation may place the PW pruning)');
      if (allocScope === 'expansion' && pruneOpts.pwScope === 'all') fail('INVALID_ARGUMENT', '--pw-alloc-scope expansion cannot place what --pw-scope all removes (the head conv and residual streams are outside it)');
      if (budget !== undefined) {
        const images = opts.pwAllocImages;
        const train = loadTraining(opts.calibration, images, '--pw-alloc');
        let bar: ReturnType<Output['progress']> | undefined;
        alloc = await allocatePwRatios(model, train, {
          ratio: opts.pw!, budget, images, dense, scope: allocScope, budgetScope: pruneOpts.pwScope,
          compile: { backend: 'wasm', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) },
          onProgress: (done, total, name) => {
            bar ??= out.progress('PW sensitivity', total);
            bar.update(done, name ? `| ${name}` : '');
          },
        });
        bar?.stop();
      }
      const { model: oneShot, report } = pruneModel(model, method, alloc ? { ...pruneOpts, pwRatios: alloc.ratios, pwScope: alloc.scope } : pruneOpts);
      let pruned = oneShot;
      let rec: ReconstructReport | undefined;
      if (opts.reconstruct !== undefined) {
        const images = opts.reconstruct === true ? 256 : opts.reconstruct;
        const pre = model.metadata.preprocessing;
        if (pre === undefined) fail('INVALID_ARGUMENT', `${model.metadata.name} has no preprocessing metadata; reconstruction needs to feed it images`);
        const train = loadTraining(opts.calibration, images, 'reconstruction');
        let bar: ReturnType<Output['progress']> | undefined;
        const r = await reconstructPruned(model, oneShot, train, pre, {
          images,
          ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
          onLayer: (done, total, name) => {
            bar ??= out.progress('reconstruct', total);
            bar.update(done, name ? `| ${name}` : '');
          },
        });
        bar?.stop();
        pruned = r.model;
        rec = r.report;
      }
      saveModel(pruned, opts.output, opts.force === true);
      if ((rec !== undefined || alloc !== undefined) && opts.report !== undefined) {
        writeReport(opts.report, {
          title: `${rec !== undefined ? 'Reconstruction' : 'PW allocation'}: ${model.metadata.name}, ${report.method}`,
          sections: [...(alloc !== undefined ? allocationSections(alloc) : []), ...(rec === undefined ? [] : [{
            heading: 'Output error per layer',
            text: [`Each refit conv's output error on ${rec.images} training images, relative to the variance of the dense layer's output (0 = the dense output, 1 = no better than its mean), with the pruned weights as they were and after the least-squares refit. Earlier layers are already refit when a layer is measured, so the drift it receives is part of both bars.`],
            charts: [barChart({ title: 'relative output error (lower is closer to dense)', yLabel: 'error', series: ['pruned', 'reconstructed'], format: (v) => v.toFixed(3), groups: rec.layers.map((l) => ({ label: l.name, values: [l.errorBefore, l.errorAfter] })) })],
            table: { head: ['layer', 'before', 'after'], rows: rec.layers.map((l) => [l.name, l.errorBefore.toFixed(4), l.errorAfter.toFixed(4)]) },
          }])],
        }, opts.force === true);
      }
      out.result({
        method: report.method, layers: report.layers.map((l) => ({ name: l.name, op: l.op, sparsity: l.sparsity, pattern: l.pattern })), totalSparsity: report.totalSparsity, macsBefore: report.macsBefore, macsAfter: report.macsAfter,
        ...(rec !== undefined ? { reconstruction: rec } : {}),
        ...(alloc !== undefined ? {
          pwAllocation: {
            budget: alloc.budget, images: alloc.images, scope: alloc.scope, budgetScope: alloc.budgetScope, ratios: Object.fromEntries(alloc.ratios), pwWeights: alloc.pwWeights, pwMacs: alloc.pwMacs, uniform: alloc.uniform, allocated: alloc.allocated,
          },
        } : {}),
      });
      if (out.json) return;
      const rows = [['layer', 'op', 'pattern', 'sparsity', ...(report.layers.some((l) => l.deprune) ? ['imbalance', 'align'] : [])]];
      for (const l of report.layers) {
        rows.push([l.name, l.op, l.pattern, `${(l.sparsity * 100).toFixed(1)}%`, ...(l.deprune ? [l.deprune.imbalance.toFixed(3), l.deprune.alignment ?? ''] : report.layers.some((x) => x.deprune) ? ['', ''] : [])]);
      }
      out.line(table(rows, ['l', 'l', 'l', 'r', 'r', 'l']));
      for (const s of report.skipped) out.line(`not pruned: ${s.node}: ${s.reason}`);
      out.line();
      if (alloc !== undefined) {
        const pct = (x: number, t: number): string => `${((x / t) * 100).toFixed(1)}%`;
        out.line();
        out.line(`PW pruning placed by sensitivity (${alloc.images} training images, budget in ${alloc.budget}):`);
        const arows = [['block', 'channels', 'ratio', 'removed', 'KL']];
        for (const g of alloc.groups) arows.push([g.source, String(g.channels), g.chosen.ratio.toFixed(2), String(g.chosen.removed), g.chosen.kl.toFixed(4)]);
        out.line(table(arows, ['l', 'r', 'r', 'r', 'r']));
        for (const [label, x] of [[`uniform --pw ${alloc.ratio}`, alloc.uniform], ['allocated', alloc.allocated]] as const) {
          out.line(`${label}: ${pct(x.weights, alloc.pwWeights)} of PW weights, ${pct(x.macs, alloc.pwMacs)} of PW MACs, ${x.filters} filters removed; summed KL ${x.kl.toFixed(3)}`);
        }
      }
      out.line(`${report.method}: ${(report.totalSparsity * 100).toFixed(1)}% of conv/Gemm weights zero or removed; MACs ${fmtCount(report.macsBefore)} → ${fmtCount(report.macsAfter)} (${(report.macsBefore / Math.max(1, report.macsAfter)).toFixed(2)}x fewer)`);
      if (rec !== undefined) {
        out.line();
        out.line(`reconstruction on ${rec.images} training images: output error of each refit layer (relative to the dense output's variance)`);
        const rrows = [['layer', 'before', 'after']];
        for (const l of rec.layers) rrows.push([l.name, l.errorBefore.toFixed(4), l.errorAfter.toFixed(4)]);
        out.line(table(rrows, ['l', 'r', 'r']));
      }
      out.line(`wrote ${opts.output}`);
      if (rec !== undefined && opts.report !== undefined) out.line(`report: ${opts.report}`);
    }));
}

async function sensitivity(model: Model, method: PruneMethod, pruneOpts: PruneOptions, opts: PruneCliOptions, out: Output): Promise<void> {
  const data = loadCifar10(opts.data ?? BUNDLED_CIFAR10, opts.limit);
  if (model.metadata.preprocessing === undefined) fail('INVALID_ARGUMENT', `${model.metadata.name} has no preprocessing metadata; sensitivity needs to score images`);
  let bar: ReturnType<Output['progress']> | undefined;
  const r = await pruningSensitivity(model, method, pruneOpts, data, {
    compile: { backend: 'wasm', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) },
    onLayer: (done, total, name) => {
      bar ??= out.progress('sensitivity', total);
      bar.update(done, name ? `| ${name}` : '');
    },
  });
  bar?.stop();
  if (opts.report !== undefined) {
    writeReport(opts.report, {
      title: `Sensitivity: ${model.metadata.name}, ${methodString(method)} one layer at a time`,
      sections: [{
        heading: 'Accuracy lost per layer',
        text: [`Dense top-1 ${(r.dense.top1 * 100).toFixed(2)}% on ${r.dense.images} images. Each bar: points of top-1 lost when only that layer (or dependency group) is pruned. Layers with small bars are where to prune harder.`],
        charts: [barChart({ title: 'top-1 drop (points)', yLabel: 'points', series: ['drop'], format: (v) => v.toFixed(2), groups: r.layers.map((l) => ({ label: l.name, values: [l.drop * 100] })) })],
      }, {
        heading: 'Speedup per layer',
        text: ['That layer\'s time dense / pruned, batch 1, on the kernels the engine picks.'],
        charts: [barChart({ title: 'layer speedup (above 1 = faster)', yLabel: 'x', series: ['speedup'], format: (v) => v.toFixed(2), groups: r.layers.map((l) => ({ label: l.name, values: [l.speedup] })) })],
        table: { head: ['layer', 'op', 'sparsity', 'top-1', 'drop (points)', 'speedup'], rows: r.layers.map((l) => [l.name, l.op, `${(l.sparsity * 100).toFixed(0)}%`, `${(l.top1 * 100).toFixed(2)}%`, (l.drop * 100).toFixed(2), `${l.speedup.toFixed(2)}x`]) },
      }],
    }, opts.force === true);
    out.line(`report: ${opts.report}`);
  }
  out.result({ method: methodString(method), dense: r.dense, layers: r.layers.map((l) => ({ name: l.name, op: l.op, sparsity: l.sparsity, top1: l.top1, drop: l.drop, speedup: l.speedup })) });
  out.line(`${model.metadata.name}, ${methodString(method)} one layer at a time; dense top-1 ${(r.dense.top1 * 100).toFixed(2)}% on ${r.dense.images} images`);
  const worst = Math.max(0.001, ...r.layers.map((l) => l.drop));
  const rows = [['layer', 'sparsity', 'top-1', 'drop', '', 'layer speedup']];
  for (const l of r.layers) {
    const bar = '█'.repeat(Math.max(0, Math.round((l.drop / worst) * 20)));
    rows.push([l.name, `${(l.sparsity * 100).toFixed(0)}%`, `${(l.top1 * 100).toFixed(2)}%`, `${(l.drop * 100).toFixed(2)}`, bar, `${l.speedup.toFixed(2)}x`]);
  }
  out.line(table(rows, ['l', 'r', 'r', 'r', 'l', 'r']));
  out.line('drop: points of top-1 lost when only that layer is pruned; speedup: that layer\'s time dense / pruned (batch 1).');
}

function parseAlign(v: string | undefined): 'u' | 'o' | 'auto' | undefined {
  if (v === undefined || v === 'u' || v === 'o' || v === 'auto') return v;
  return fail('INVALID_ARGUMENT', `--align must be u, o or auto, got '${v}'`);
}

function parsePwScope(v: string, flag = '--pw-scope'): PwScope {
  const scope = PW_SCOPES.find((x) => x === v);
  if (scope === undefined) fail('INVALID_ARGUMENT', `${flag} must be ${PW_SCOPES.join(' or ')}, got '${v}'`);
  return scope;
}

function parseBudget(v: string | undefined): PwBudget | undefined {
  if (v === undefined || v === 'weights' || v === 'macs' || v === 'filters') return v;
  return fail('INVALID_ARGUMENT', `--pw-alloc must be weights, macs or filters (what the budget counts), got '${v}'`);
}

/** Training images for reconstruction or allocation: never the test set. */
function loadTraining(calibration: string | undefined, images: number, what: string): ReturnType<typeof loadCifar10Train> {
  const path = calibration ?? defaultCifar10Dir();
  if (!existsSync(path)) fail('NOT_FOUND', `${what} needs training images and '${path}' does not exist: pass --calibration with a CIFAR-10 training .bin file or folder`);
  return loadCifar10Train(path, images);
}

function allocationSections(a: PwAllocation): ReportSection[] {
  const pct = (x: number, t: number): string => `${((x / t) * 100).toFixed(1)}%`;
  const grid = [...new Set(a.groups.flatMap((g) => g.candidates.map((c) => c.ratio)))].sort((x, y) => x - y);
  return [{
    heading: 'PW pruning ratio per block',
    text: [
      `Uniform --pw ${a.ratio} removes ${pct(a.uniform.weights, a.pwWeights)} of the PW weights, ${pct(a.uniform.macs, a.pwMacs)} of the PW MACs and ${a.uniform.filters} filters (summed one-block KL ${a.uniform.kl.toFixed(3)}). The allocation, budgeted in ${a.budget}, removes ${pct(a.allocated.weights, a.pwWeights)}, ${pct(a.allocated.macs, a.pwMacs)} and ${a.allocated.filters} (summed KL ${a.allocated.kl.toFixed(3)}).`,
      `KL: mean KL divergence of the class distribution from the dense model's on ${a.images} training images, with only that block pruned.`,
      ...(a.scope === a.budgetScope ? [] : [`The budget is what uniform --pw ${a.ratio} removes from the ${a.budgetScope} groups; the allocation may place it in ${a.scope} pointwise groups (residual streams and the head conv too, named by their first conv).`]),
    ],
    charts: [barChart({ title: 'fraction of each block\'s filters removed', yLabel: 'ratio', series: ['uniform', 'allocated'], format: (v) => v.toFixed(2), groups: a.groups.map((g) => ({ label: g.source, values: [a.budgetScope === 'all' || g.expansion ? a.ratio : 0, g.chosen.ratio] })) })],
    table: {
      head: ['block', 'channels', 'chosen', ...grid.filter((r) => r > 0).map((r) => `KL at ${r}`)],
      rows: a.groups.map((g) => [g.source, String(g.channels), g.chosen.ratio.toFixed(2), ...grid.filter((r) => r > 0).map((r) => g.candidates.find((c) => c.ratio === r)?.kl.toFixed(4) ?? '—')]),
    },
  }];
}
