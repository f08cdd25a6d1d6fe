/** The training verbs as a user meets them: plan's JSON contract, resumable finetune, no overwrites. */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertCleanError, runCli, type CliResult } from './cli-helpers.js';
import { BUNDLED_IMAGES, densestColNmGroup, twoInvertedResiduals } from './helpers.js';
import { loadModel, saveModel } from '../src/node/models.js';
import { readPruningMetadata } from '../src/prune/metadata.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsecnn-train-cli-'));

function cli(...args: string[]): CliResult {
  return runCli(args, { timeout: 300_000 });
}

/** A CIFAR-10 folder: the first 64 bundled images as a training batch, all 1017 as the test batch. */
function dataDir(): string {
  const dir = join(tmp, 'cifar10');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data_batch_1.bin'), readFileSync(BUNDLED_IMAGES).subarray(0, 64 * 3073));
  copyFileSync(BUNDLED_IMAGES, join(dir, 'test_batch.bin'));
  return dir;
}

describe('sparsecnn plan / finetune / train', () => {
  it('plan --measure --json: {model, batch, plans:[{planner, checkpoints, predictedPeakBytes, measuredPeakBytes, stepMs}]}', () => {
    const r = cli('plan', 'resnet20', '--batch', '4', '--planner', 'store-all,sqrt,dp,linear', '--measure', '--steps', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { model: string; batch: number; plans: { planner: string; checkpoints: number[]; predictedPeakBytes: number; measuredPeakBytes: number; stepMs: number }[] };
    assert.equal(j.model, 'resnet20');
    assert.equal(j.batch, 4);
    assert.deepEqual(j.plans.map((p) => p.planner), ['store-all', 'sqrt', 'dp', 'linear']);
    for (const p of j.plans) {
      assert.equal(p.measuredPeakBytes, p.predictedPeakBytes, `${p.planner}: the executor follows the plan's schedule byte for byte`);
      assert.ok(p.stepMs > 0);
    }
    const [storeAll, , dp, linear] = j.plans;
    assert.deepEqual(storeAll!.checkpoints, []);
    assert.equal(linear!.predictedPeakBytes, dp!.predictedPeakBytes, 'linear is exact');
    assert.ok(dp!.predictedPeakBytes < storeAll!.predictedPeakBytes);
  });

  it('--report: plan --measure and prune --sensitivity write HTML reports whose charts hold every planner and layer', () => {
    const planReport = join(tmp, 'plans.html');
    const r = cli('plan', 'resnet20', '--batch', '4', '--planner', 'store-all,dp', '--measure', '--steps', '1', '--report', planReport);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(planReport, 'utf8');
    assert.equal([...html.matchAll(/<svg /g)].length, 2, 'peak memory and step time');
    // One predicted and one measured bar per planner.
    for (const p of ['store-all', 'dp']) assert.equal([...html.matchAll(new RegExp(`<title>${p}, (predicted|measured): `, 'g'))].length, 2, p);
    const sensReport = join(tmp, 'sens.html');
    const s = cli('prune', 'resnet20', '--method', 'colnm:2:4', '--sensitivity', '--limit', '16', '--report', sensReport, '--json');
    assert.equal(s.code, 0, s.stderr);
    const layers = (JSON.parse(s.stdout) as { layers: { name: string }[] }).layers;
    const sens = readFileSync(sensReport, 'utf8');
    for (const l of layers) assert.ok(sens.includes(`<title>${l.name}, drop: `) && sens.includes(`<title>${l.name}, speedup: `), l.name);
    assertCleanError(cli('prune', 'resnet20', '--method', 'colnm:2:4', '-o', join(tmp, 'p.onnx'), '--report', join(tmp, 'p.html')), /--report goes with --sensitivity, --reconstruct or --pw-alloc/);
    assertCleanError(cli('plan', 'resnet20', '--batch', '4', '--report', join(tmp, 'plans.txt')), /ending in \.html/);
  });

  it('plan --budget picks a plan that fits, or says none does', () => {
    const r = cli('plan', 'resnet20', '--batch', '4', '--planner', 'store-all,uniform:3,dp', '--budget', '1KiB', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { chosen: string | null }).chosen, null);
    const r2 = cli('plan', 'resnet20', '--batch', '4', '--planner', 'store-all,dp', '--budget', '1GiB', '--json');
    assert.equal((JSON.parse(r2.stdout) as { chosen: string }).chosen, 'store-all', 'store-all recomputes nothing');
    assertCleanError(cli('plan', 'resnet20', '--batch', '4', '--planner', 'magic'), /planner/);
  });

  it('finetune stops, refuses to clobber its state, resumes, and ends with the bytes of an uninterrupted run', () => {
    const data = dataDir();
    const common = ['--data', data, '--epochs', '2', '--batch', '16', '--limit', '64', '--eval-limit', '100', '--lr', '0.005', '--checkpoint', 'sqrt', '--json'];
    const out = join(tmp, 'r20-ft.onnx');
    const first = cli('finetune', 'resnet20', ...common, '-o', out, '--max-steps', '3');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { model: 'resnet20', completed: false, step: 3, totalSteps: 8, state: `${out}.state` });
    assert.ok(existsSync(`${out}.state`) && !existsSync(out));
    assertCleanError(cli('finetune', 'resnet20', ...common, '-o', out), /state file .* exists; pass --resume/);
    const resumed = cli('finetune', 'resnet20', ...common, '-o', out, '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    const j = JSON.parse(resumed.stdout) as { completed: boolean; steps: number; testTop1: number; testImages: number };
    assert.equal(j.completed, true);
    assert.equal(j.steps, 8);
    assert.equal(j.testImages, 100);
    assert.ok(j.testTop1 > 0.6, `test top-1 ${j.testTop1}`);
    assert.ok(!existsSync(`${out}.state`), 'the state file is removed once the model is written');
    const straight = join(tmp, 'r20-ft-straight.onnx');
    assert.equal(cli('finetune', 'resnet20', ...common, '-o', straight).code, 0);
    assert.deepEqual(readFileSync(straight), readFileSync(out));
    assertCleanError(cli('finetune', 'resnet20', ...common, '-o', out), /already exists; pass --force/);
  });

  it('demo --json: prunes, fine-tunes briefly with a checkpoint plan, and reports predicted = measured peak below store-all', () => {
    const data = dataDir();
    const report = join(tmp, 'demo-report.html');
    writeFileSync(report, 'a file the user wrote');
    const refused = runCli(['demo', '--limit', '16', '--report', report], { timeout: 60_000, env: { ...process.env, SPARSECNN_DATA: data } });
    assertCleanError(refused, /exists and is not a sparsecnn report; pass --force/);
    assert.equal(readFileSync(report, 'utf8'), 'a file the user wrote');
    const r = runCli(['demo', '--limit', '128', '--prune', 'colnm:2:4', '--reconstruct-images', '16', '--finetune-images', '128', '--threads', '1', '--json', '--report', report, '--force'], { timeout: 300_000, env: { ...process.env, SPARSECNN_DATA: data } });
    assert.equal(r.code, 0, r.stderr);
    // The report: accuracy, latency, fine-tuning and memory sections, each with its chart.
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<meta name="generator" content="sparsecnn report">/);
    assert.deepEqual([...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]), ['Accuracy', 'Latency, batch 1', 'Fine-tuning colnm:2:4', 'Memory of a training step']);
    assert.equal([...html.matchAll(/<svg /g)].length, 4);
    assert.match(html, /colnm:2:4 reconstructed/);
    const j = JSON.parse(r.stdout) as { dense: { correct: number }; pruned: { method: string; top1: number }[]; reconstructed: { method: string; images: number; top1: number }; finetuned: { steps: number; predictedPeakBytes: number; measuredPeakBytes: number; storeAllPeakBytes: number; top1: number; top1Before: number } };
    assert.equal(j.pruned[0]!.method, 'colnm:2:4');
    // Refitting on 16 images lifts the one-shot 2:4 model far (23% → 86% here; the fixture's training file is a prefix of these test images), and fine-tuning starts from it.
    assert.equal(j.reconstructed.images, 16);
    assert.ok(j.reconstructed.top1 > j.pruned[0]!.top1 + 0.1, `${j.reconstructed.top1} vs ${j.pruned[0]!.top1}`);
    assert.equal(j.finetuned.top1Before, j.reconstructed.top1);
    assert.equal(j.finetuned.steps, 1, 'the 64 training images of the test folder make one batch');
    assert.equal(j.finetuned.measuredPeakBytes, j.finetuned.predictedPeakBytes);
    assert.ok(j.finetuned.storeAllPeakBytes > j.finetuned.measuredPeakBytes);
  });

  it('train runs a CIFAR zoo model from scratch and refuses ImageNet ones and bad options', () => {
    const data = dataDir();
    const out = join(tmp, 'r20-scratch.onnx');
    const r = cli('train', 'resnet20', '--data', data, '--epochs', '1', '--batch', '16', '--limit', '32', '--eval-limit', '20', '-o', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { completed: boolean }).completed, true);
    assert.ok(existsSync(out));
    assertCleanError(cli('train', 'resnet50', '--data', data, '-o', join(tmp, 'x.onnx')), /CIFAR-10 zoo model/);
    const bad = cli('finetune', 'resnet20', '--lr', '-1', '-o', join(tmp, 'y.onnx'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--lr must be a positive number/);
    assertCleanError(cli('finetune', 'resnet20', '--data', join(tmp, 'nope'), '-o', join(tmp, 'z.onnx')), /does not exist/);
  });

  it('prune --reconstruct: refits every pruned conv on training images, keeps the pattern, and reports errors that fall', () => {
    const data = dataDir();
    const out = join(tmp, 'r20-24-rec.onnx');
    const report = join(tmp, 'rec.html');
    const r = cli('prune', 'resnet20', '--method', 'colnm:2:4', '--reconstruct', '8', '--calibration', data, '-o', out, '--report', report, '--json');
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<h2>Output error per layer<\/h2>/);
    const j = JSON.parse(r.stdout) as { layers: { name: string }[]; reconstruction: { images: number; layers: { name: string; errorBefore: number; errorAfter: number }[] } };
    assert.equal(j.reconstruction.images, 8);
    assert.deepEqual(j.reconstruction.layers.map((l) => l.name), j.layers.map((l) => l.name), 'every pruned conv is refit');
    for (const l of j.reconstruction.layers) {
      assert.ok(l.errorAfter < l.errorBefore, `${l.name}: ${l.errorAfter} < ${l.errorBefore}`);
      assert.ok(html.includes(`<title>${l.name}, reconstructed: ${l.errorAfter.toFixed(3)}</title>`), `a bar for ${l.name}`);
    }
    const m = loadModel(out);
    assert.equal(readPruningMetadata(m)['layer2.0.conv1']?.pattern, 'colnm');
    const w = m.graph.initializers.get(m.graph.nodes.find((n) => n.name === 'layer2.0.conv1')!.inputs[1]!)!;
    assert.equal(densestColNmGroup(w.data as Float32Array, w.shape), 2, 'still colnm 2:4 after the refit');
    // Nothing is computed (or written) when the output exists; bad combinations and missing data are clean errors.
    assertCleanError(cli('prune', 'resnet20', '--method', 'colnm:2:4', '--reconstruct', '-o', out), /already exists; pass --force/);
    assertCleanError(cli('prune', 'resnet20', '--method', 'colnm:2:4', '--reconstruct', '--calibration', join(tmp, 'nowhere'), '-o', join(tmp, 'x.onnx')), /reconstruction needs training images.*nowhere/);
    assertCleanError(cli('prune', 'resnet20', '--method', 'colnm:2:4', '--reconstruct', '--sensitivity'), /--reconstruct goes with a plain prune/);
    assertCleanError(cli('prune', 'resnet18', '--method', 'colnm:2:4', '--reconstruct', '4', '--calibration', data, '-o', join(tmp, 'r18.onnx')), /expects 3x224x224 images, the dataset has 3x32x32/);
    assert.equal(existsSync(join(tmp, 'r18.onnx')), false);
  });

  it('prune --pw-alloc: places the PW pruning by sensitivity, meets the uniform budget, records and charts the ratios', () => {
    const data = dataDir();
    const src = join(tmp, 'two-blocks.onnx');
    // Two inverted-residual blocks at CIFAR size: a few seconds of sensitivity instead of MobileNetV2's minute.
    saveModel(twoInvertedResiduals(3, 32), src, true);
    const out = join(tmp, 'two-alloc.onnx');
    const report = join(tmp, 'alloc.html');
    const r = cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc', 'macs', '--pw-alloc-images', '16', '--calibration', data, '--threads', '1', '-o', out, '--report', report, '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { pwAllocation: { budget: string; images: number; ratios: Record<string, number>; uniform: { macs: number; kl: number }; allocated: { macs: number; kl: number } } };
    const a = j.pwAllocation;
    assert.equal(a.budget, 'macs');
    assert.equal(a.images, 16);
    assert.deepEqual(Object.keys(a.ratios), ['e1', 'e2']);
    assert.ok(a.allocated.macs >= a.uniform.macs, 'removes at least the MACs uniform --pw 0.3 removes');
    assert.ok(a.allocated.kl <= a.uniform.kl + 1e-12, 'uniform is a feasible choice, so the optimum costs no more');
    const m = loadModel(out);
    for (const [name, ratio] of Object.entries(a.ratios)) {
      const w = m.graph.initializers.get(m.graph.nodes.find((n) => n.name === name)!.inputs[1]!)!;
      const c = name === 'e1' ? 24 : 48;
      assert.equal(w.shape[0], c - Math.floor(ratio * c), `${name} keeps what its ratio says`);
    }
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<h2>PW pruning ratio per block<\/h2>/);
    for (const [name, ratio] of Object.entries(a.ratios)) assert.ok(html.includes(`<title>${name}, allocated: ${ratio.toFixed(2)}</title>`), `a bar for ${name}`);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw-alloc', 'macs', '-o', join(tmp, 'y.onnx')), /--pw-alloc needs --pw R > 0/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc', 'flops', '-o', join(tmp, 'y.onnx')), /--pw-alloc must be weights, macs or filters/);
    assertCleanError(cli('prune', 'resnet20', '--method', 'colnm:2:4', '--pw', '0.3', '--pw-alloc', 'macs', '-o', join(tmp, 'y.onnx')), /--pw-alloc places DEPrune's PW pruning; colnm:2:4 has none/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc', 'macs', '--calibration', join(tmp, 'nowhere'), '-o', join(tmp, 'y.onnx')), /--pw-alloc needs training images.*nowhere/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc', 'macs', '-o', out), /already exists; pass --force/);
    assert.equal(existsSync(join(tmp, 'y.onnx')), false);
  });

  it('prune --pw-alloc-scope all: places what --pw removes from the expansion convs among every pointwise group; scope misuse is a usage error', () => {
    const data = dataDir();
    const src = join(tmp, 'two-blocks-scope.onnx');
    saveModel(twoInvertedResiduals(3, 32), src, true);
    const out = join(tmp, 'two-scope.onnx');
    const r = cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc', 'weights', '--pw-alloc-scope', 'all', '--pw-alloc-images', '16', '--calibration', data, '--threads', '1', '-o', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const a = (JSON.parse(r.stdout) as { pwAllocation: { scope: string; budgetScope: string; ratios: Record<string, number>; uniform: { weights: number; filters: number }; allocated: { weights: number } } }).pwAllocation;
    assert.equal(a.scope, 'all');
    assert.equal(a.budgetScope, 'expansion');
    assert.deepEqual(Object.keys(a.ratios), ['e1', 'p1', 'e2', 'p2'], 'the projections (a residual-free stream and the head before pooling) are candidates');
    // The budget is uniform 0.3 of the expansion groups only: floor(0.3·24) + floor(0.3·48) filters.
    assert.equal(a.uniform.filters, 7 + 14);
    assert.ok(a.allocated.weights >= a.uniform.weights);
    const m = loadModel(out);
    const channels: Record<string, number> = { e1: 24, p1: 12, e2: 48, p2: 16 };
    for (const [name, ratio] of Object.entries(a.ratios)) {
      const w = m.graph.initializers.get(m.graph.nodes.find((n) => n.name === name)!.inputs[1]!)!;
      assert.equal(w.shape[0], channels[name]! - Math.floor(ratio * channels[name]!), `${name} keeps what its ratio says`);
    }
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-scope', 'most', '-o', join(tmp, 'z.onnx')), /--pw-scope must be expansion or all, got 'most'/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw-scope', 'all', '-o', join(tmp, 'z.onnx')), /--pw-scope all says which convs --pw prunes; pass --pw R > 0/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-alloc-scope', 'all', '-o', join(tmp, 'z.onnx')), /--pw-alloc-scope goes with --pw-alloc/);
    assertCleanError(cli('prune', src, '--method', 'dcp-bh:0.5', '--pw', '0.3', '--pw-scope', 'all', '--pw-alloc', 'weights', '--pw-alloc-scope', 'expansion', '-o', join(tmp, 'z.onnx')), /--pw-alloc-scope expansion cannot place what --pw-scope all removes/);
    assert.equal(existsSync(join(tmp, 'z.onnx')), false);
  });

  it('finetune --teacher / --match-stats: distils a pruned model from the dense one, restores its statistics; bad settings are usage errors', () => {
    const data = dataDir();
    const pruned = join(tmp, 'r20-24.onnx');
    assert.equal(cli('prune', 'resnet20', '--method', 'colnm:2:4', '-o', pruned).code, 0);
    const out = join(tmp, 'r20-24-kd.onnx');
    const r = cli('finetune', pruned, '--teacher', 'resnet20', '--alpha', '0.7', '--temperature', '3', '--match-stats', 'resnet20', '--data', data, '--epochs', '1', '--batch', '16', '--limit', '32', '--eval-limit', '20', '-o', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /distilling from resnet20 \(alpha 0\.7, temperature 3\)/);
    assert.match(r.stderr, /statistics matched to resnet20/);
    assert.equal((JSON.parse(r.stdout) as { steps: number }).steps, 2);
    const bad = cli('finetune', pruned, '--teacher', 'resnet20', '--alpha', '1.5', '-o', join(tmp, 'w.onnx'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--alpha must be in \[0, 1\]/);
    assertCleanError(cli('train', 'resnet20', '--match-stats', 'resnet20', '-o', join(tmp, 'u.onnx')), /--match-stats is for fine-tuning a pruned model/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet50', '--data', data, '--limit', '16', '--batch', '16', '-o', join(tmp, 'v.onnx')), /teacher/);
    // A teacher of another architecture trained with other input statistics sees the batches in its own.
    const cross = cli('finetune', pruned, '--teacher', 'mobilenetv2-cifar', '--data', data, '--epochs', '1', '--batch', '16', '--limit', '16', '--eval-limit', '10', '-o', join(tmp, 'r20-24-mb.onnx'), '--json');
    assert.equal(cross.code, 0, cross.stderr);
    assert.match(cross.stderr, /distilling from mobilenetv2-cifar \(alpha 0\.5, temperature 4; its own input mean\/std applied to the batches\)/);
  });

  it('finetune --feature-weight: matches the teacher\'s shared block outputs (listed), and refuses what it cannot match', () => {
    const data = dataDir();
    const pruned = join(tmp, 'r20-24-fd-in.onnx');
    assert.equal(cli('prune', 'resnet20', '--method', 'colnm:2:4', '-o', pruned).code, 0);
    const r = cli('finetune', pruned, '--teacher', 'resnet20', '--feature-weight', '2', '--feature-values', 'relu2_output$', '--data', data, '--epochs', '1', '--batch', '16', '--limit', '32', '--eval-limit', '20', '-o', join(tmp, 'r20-24-fd.onnx'), '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /feature distillation, weight 2, on 9 values: layer1\.0\.relu2_output layer1\.1\.relu2_output .* layer3\.2\.relu2_output\)/);
    assert.equal((JSON.parse(r.stdout) as { steps: number }).steps, 2);
    const args = ['--data', data, '--limit', '16', '--batch', '16'];
    const tm = cli('finetune', pruned, '--teacher', 'resnet20', '--teacher-mode', 'train', '--feature-weight', '1', ...args, '--epochs', '1', '--eval-limit', '10', '-o', join(tmp, 'r20-24-fdt.onnx'), '--json');
    assert.equal(tm.code, 0, tm.stderr);
    assert.match(tm.stderr, /run in training mode; feature distillation, weight 1, on 22 values/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet20', '--teacher-mode', 'frozen', ...args, '-o', join(tmp, 'x6.onnx')), /--teacher-mode must be eval or train, got 'frozen'/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'mobilenetv2-cifar', '--teacher-mode', 'train', ...args, '-o', join(tmp, 'x7.onnx')), /--teacher-mode train: the teacher .* other statistics/);
    assertCleanError(cli('finetune', pruned, '--feature-weight', '1', ...args, '-o', join(tmp, 'x1.onnx')), /--feature-weight matches a teacher's values; add --teacher/);
    const mx = cli('finetune', pruned, '--teacher', 'resnet20', '--alpha', '1', '--mixup', ...args, '--epochs', '1', '--eval-limit', '10', '-o', join(tmp, 'r20-24-mx.onnx'), '--json');
    assert.equal(mx.code, 0, mx.stderr);
    assert.match(mx.stderr, /distilling from resnet20 \(alpha 1, temperature 4; batches mixed \(mixup\)\)/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet20', '--mixup', ...args, '-o', join(tmp, 'x8.onnx')), /--mixup mixes images but not labels: it needs --teacher and --alpha 1.*got --alpha 0\.5/);
    assertCleanError(cli('finetune', pruned, '--mixup', ...args, '-o', join(tmp, 'x9.onnx')), /--mixup mixes images but not labels: it needs --teacher and --alpha 1/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet20', '--feature-values', 'add', ...args, '-o', join(tmp, 'x2.onnx')), /--feature-values selects the values of --feature-weight/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet20', '--feature-weight', '1', '--feature-values', '([', ...args, '-o', join(tmp, 'x3.onnx')), /'\(\[' is not a regular expression/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'resnet20', '--feature-weight', '1', '--feature-values', 'nothing-like-this', ...args, '-o', join(tmp, 'x4.onnx')), /share no chain boundary matching/);
    assertCleanError(cli('finetune', pruned, '--teacher', 'mobilenetv2-cifar', '--feature-weight', '1', ...args, '-o', join(tmp, 'x5.onnx')), /share no chain boundary \(same name and shape\)/);
    for (const f of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']) assert.equal(existsSync(join(tmp, `${f}.onnx`)), false);
  });

  it('finetune --dynamic-masks: kept rows re-selected from the dense weights, then fixed; the output keeps a valid colnm pattern', () => {
    const data = dataDir();
    const pruned = join(tmp, 'r20-24-dm-in.onnx');
    assert.equal(cli('prune', 'resnet20', '--method', 'colnm:2:4', '-o', pruned).code, 0);
    const out = join(tmp, 'r20-24-dm.onnx');
    const r = cli('finetune', pruned, '--dynamic-masks', '1', '--dense', 'resnet20', '--mask-decay', '0.01', '--data', data, '--epochs', '2', '--batch', '16', '--limit', '32', '--eval-limit', '20', '-o', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dynamic masks on 18 colnm layers for 1 epochs/);
    assert.equal((JSON.parse(r.stdout) as { steps: number }).steps, 4);
    // Every (tile of 8 channels, group of 4 K rows) of every pruned conv has at most 2 rows left.
    const m = loadModel(out);
    const layers = readPruningMetadata(m);
    assert.equal(Object.keys(layers).length, 18);
    for (const n of m.graph.nodes) {
      if (!(n.name in layers)) continue;
      const w = m.graph.initializers.get(n.inputs[1]!)!;
      assert.ok(densestColNmGroup(w.data as Float32Array, w.shape) <= 2, n.name);
    }
    assertCleanError(cli('finetune', pruned, '--dense', 'resnet20', '--data', data, '--limit', '16', '--batch', '16', '-o', join(tmp, 'd1.onnx')), /--dense gives the starting weights of --dynamic-masks/);
    assertCleanError(cli('finetune', 'resnet20', '--dynamic-masks', '1', '--data', data, '--limit', '16', '--batch', '16', '-o', join(tmp, 'd2.onnx')), /pruned with colnm/);
    assertCleanError(cli('finetune', pruned, '--dynamic-masks', '3', '--epochs', '2', '--data', data, '--limit', '16', '--batch', '16', '-o', join(tmp, 'd3.onnx')), /more than the 2 epochs/);
  });
});
