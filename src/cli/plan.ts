import type { Command } from 'commander';
import { checkReportPath, writeReport } from '../node/report.js';
import { barChart } from '../report/svg.js';
import { InvalidArgumentError } from 'commander';
import { fail } from '../errors.js';
import { parsePlanner, simulate } from '../plan/index.js';
import { createTrainer, type TrainBackend } from '../train/trainer.js';
import { Rng } from '../zoo/rng.js';
import { action, Output, parsePositiveInt } from './common.js';

interface PlanRow {
  planner: string;
  checkpoints: number[];
  predictedPeakBytes: number;
  measuredPeakBytes: number | null;
  stepMs: number | null;
  /** Stage forwards run again in backward, as a fraction of one forward pass. */
  recompute: number;
}

function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(v.trim());
  if (m === null) throw new InvalidArgumentError(`--budget must be a byte count such as 50000000, 48MiB or 1.5GB, got '${v}'`);
  const unit = (m[2] ?? 'b').toLowerCase().replace(/b$/, '');
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[unit]!);
}

export function mib(b: number): string {
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('choose which activations a training step keeps (checkpoint planners) and compare peak memory')
    .argument('<model>', 'an .onnx file or a zoo name')
    .requiredOption('-b, --batch <n>', 'training batch size', parsePositiveInt('--batch'))
    .option('-p, --planner <list>', 'comma-separated planners: store-all, sqrt, uniform:K, sequential:S, dp, linear', 'store-all,sqrt,dp,linear')
    .option('--measure', 'run real training steps with each plan: measured peak bytes and step time')
    .option('--steps <n>', 'timed steps per plan with --measure (after one warm-up step)', parsePositiveInt('--steps'), 3)
    .option('--budget <bytes>', 'also pick the fastest plan whose predicted peak fits this many bytes (e.g. 64MiB)', parseBytes)
    .option('--backend <name>', 'training kernels: wasm | ref', 'wasm')
    .option('-t, --threads <n>', 'threads for the wasm kernels', parsePositiveInt('--threads'), 1)
    .option('--report <file.html>', 'also write an HTML report: peak memory per planner (predicted and, with --measure, measured) and step time')
    .option('--force', 'with --report: overwrite the file even if it is not an earlier sparsecnn report')
    .option('--json', 'print {model, batch, plans:[{planner, checkpoints, predictedPeakBytes, measuredPeakBytes, stepMs}]}')
    .addHelpText('after', `
A training step is cut into stages at block boundaries (where one tensor is live). A plan keeps the
outputs of some stages (checkpoints) during the forward pass and recomputes the rest segment by
segment during backward. store-all keeps everything (no recomputation); dp is the exact minimum
peak; linear is the fast exact planner on the objective measured from the executor's allocations.
Peak bytes count everything a step holds: weights, gradients, momentum, activations, workspace.

Examples:
  $ sparsecnn plan resnet56 --batch 64
  $ sparsecnn plan mobilenetv2-cifar --batch 64 --measure --json
  $ sparsecnn plan resnet20 --batch 128 --planner store-all,uniform:3,dp --budget 48MiB
  $ sparsecnn plan resnet56 --batch 64 --measure --report plans.html`)
    .action(action(async (spec: string, opts: { batch: number; planner: string; measure?: boolean; steps: number; budget?: number; backend: string; threads: number; report?: string; force?: boolean; json?: boolean }) => {
      const out = new Output(opts);
      if (opts.report !== undefined) checkReportPath(opts.report, opts.force === true);
      const planners = parsePlanner(opts.planner);
      const model = out.loadModel(spec);
      if (opts.backend !== 'wasm' && opts.backend !== 'ref') fail('INVALID_ARGUMENT', `unknown training backend '${opts.backend}' (wasm, ref)`);
      const trainer = await createTrainer(model, { batch: opts.batch, backend: opts.backend as TrainBackend, threads: opts.threads, checkpoint: 'store-all' });
      try {
        // Memory does not depend on the pixel values: a seeded random batch is enough.
        const rng = new Rng(1);
        const x = trainer.inputView;
        for (let i = 0; i < x.length; i++) x[i] = rng.normal();
        const labels = trainer.labelView;
        for (let i = 0; i < labels.length; i++) labels[i] = i % trainer.program.classes;
        const chain = trainer.chain();
        const fwd = chain.t?.slice(1).reduce((s, v) => s + v, 0) ?? chain.n;
        const rows: PlanRow[] = [];
        for (const p of planners) {
          const checkpoints = [...p.plan(chain)];
          const sim = simulate(chain, checkpoints);
          rows.push({ planner: p.name, checkpoints, predictedPeakBytes: sim.peakBytes, measuredPeakBytes: null, stepMs: null, recompute: sim.recomputeCost / fwd });
        }
        if (opts.measure === true) {
          const bar = out.progress(`measure ${model.metadata.name}`, rows.length * (opts.steps + 1));
          let done = 0;
          for (const r of rows) {
            const times: number[] = [];
            let peak = 0;
            for (let s = 0; s <= opts.steps; s++) {
              const t0 = performance.now();
              const res = trainer.executor.step(r.checkpoints);
              if (s > 0) times.push(performance.now() - t0);
              peak = Math.max(peak, res.peakBytes);
              bar.update(++done, `| ${r.planner}`);
            }
            times.sort((a, b) => a - b);
            r.measuredPeakBytes = peak;
            r.stepMs = times[Math.floor(times.length / 2)]!;
          }
          bar.stop();
        }
        let chosen: PlanRow | undefined;
        if (opts.budget !== undefined) {
          const fits = rows.filter((r) => r.predictedPeakBytes <= opts.budget!);
          const cost = (r: PlanRow): number => r.stepMs ?? r.recompute;
          chosen = fits.sort((a, b) => cost(a) - cost(b))[0];
        }
        out.result({
          model: model.metadata.name, batch: opts.batch, stages: chain.n,
          plans: rows.map((r) => ({ planner: r.planner, checkpoints: r.checkpoints, predictedPeakBytes: r.predictedPeakBytes, measuredPeakBytes: r.measuredPeakBytes, stepMs: r.stepMs })),
          ...(opts.budget !== undefined ? { budget: opts.budget, chosen: chosen?.planner ?? null } : {}),
        });
        out.line(`${model.metadata.name}, batch ${opts.batch}: ${chain.n} stages; weights, gradients, momentum and input take ${mib(chain.base)}`);
        const storeAll = simulate(chain, []).peakBytes;
        out.line('');
        out.line(`  planner          checkpoints  predicted peak      vs store-all  recompute${opts.measure ? '  measured peak   step ms' : ''}`);
        for (const r of rows) {
          const bar = '█'.repeat(Math.max(1, Math.round((r.predictedPeakBytes / storeAll) * 20)));
          out.line(`  ${r.planner.padEnd(16)} ${String(r.checkpoints.length).padStart(11)}  ${mib(r.predictedPeakBytes).padStart(14)}  ${(storeAll / r.predictedPeakBytes).toFixed(2).padStart(10)}x  ${(r.recompute * 100).toFixed(0).padStart(8)}%` +
            (opts.measure ? `  ${mib(r.measuredPeakBytes!).padStart(13)}  ${r.stepMs!.toFixed(0).padStart(8)}` : '') + `  ${bar}`);
        }
        if (opts.report !== undefined) {
          const MiB = 1024 * 1024;
          const measured = rows.every((r) => r.measuredPeakBytes !== null);
          writeReport(opts.report, {
            title: `Checkpoint plans: ${model.metadata.name}, batch ${opts.batch}`,
            sections: [{
              heading: 'Peak memory of one training step',
              text: [`${chain.n} stages; weights, gradients, momentum and the input batch take ${mib(chain.base)} of every peak. ${measured ? 'Measured: the trainer\'s allocator during real steps.' : 'Run with --measure to add the measured peaks.'}`],
              charts: [barChart({
                title: 'peak bytes per planner (lower is better)', yLabel: 'MiB', series: measured ? ['predicted', 'measured'] : ['predicted'], format: (v) => v.toFixed(1),
                groups: rows.map((r) => ({ label: r.planner, values: measured ? [r.predictedPeakBytes / MiB, r.measuredPeakBytes! / MiB] : [r.predictedPeakBytes / MiB] })),
              }), ...(measured ? [barChart({ title: 'median step time', yLabel: 'ms', series: ['step'], format: (v) => v.toFixed(0), groups: rows.map((r) => ({ label: r.planner, values: [r.stepMs!] })) })] : [])],
              table: { head: ['planner', 'checkpoints', 'predicted peak', 'measured peak', 'vs store-all', 'recompute', 'step ms'], rows: rows.map((r) => [r.planner, r.checkpoints.length, mib(r.predictedPeakBytes), r.measuredPeakBytes === null ? '—' : mib(r.measuredPeakBytes), `${(storeAll / r.predictedPeakBytes).toFixed(2)}x`, `${(r.recompute * 100).toFixed(0)}%`, r.stepMs === null ? '—' : r.stepMs.toFixed(0)]) },
            }],
          }, opts.force === true);
          out.line(`report: ${opts.report}`);
        }
        if (opts.budget !== undefined) {
          out.line('');
          if (chosen === undefined) {
            const best = Math.min(...rows.map((r) => r.predictedPeakBytes));
            out.line(`no plan fits ${mib(opts.budget)}: the smallest predicted peak here is ${mib(best)} (add dp to --planner for the exact minimum)`);
          } else out.line(`fastest plan within ${mib(opts.budget)}: ${chosen.planner} (${mib(chosen.predictedPeakBytes)})`);
        }
      } finally {
        trainer.dispose();
      }
    }));
}
