import type { Command } from 'commander';
import { checkReportPath, writeReport } from '../node/report.js';
import { barChart } from '../report/svg.js';
import { loadTuningCache } from '../node/tuning.js';
import { benchModel, type BenchResult } from '../bench/bench.js';
import { isPeerName, PEER_NAMES, type PeerName } from '../bench/peers/index.js';
import { SparseCnnError } from '../errors.js';
import { DEFAULT_BACKEND, type Backend } from '../runtime/session.js';
import { action, fmtCount, Output, parseNonNegativeInt, parsePositiveInt, table } from './common.js';

interface BenchCliOptions {
  batch: number;
  threads: number;
  vs?: string;
  runs: number;
  warmup: number;
  backend: string;
  layers?: boolean;
  tuning?: string;
  report?: string;
  force?: boolean;
  json?: boolean;
}

/** --vs: a comma list of peer names, or 'none'. */
function parsePeers(v: string): PeerName[] {
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  for (const n of names) if (!isPeerName(n)) throw new SparseCnnError('INVALID_ARGUMENT', `unknown peer '${n}' for --vs (peers: ${PEER_NAMES.join(', ')}, or none)`);
  return [...new Set(names as PeerName[])];
}

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3));

export function register(program: Command): void {
  program
    .command('bench')
    .description('inference speed of sparsecnn against onnxruntime-node, onnxruntime-web and tfjs-wasm on the same model and input')
    .argument('<model>', 'an .onnx file or a zoo name')
    .option('-b, --batch <n>', 'batch size', parsePositiveInt('--batch'), 1)
    .option('-t, --threads <n>', 'threads every engine may use', parsePositiveInt('--threads'), 1)
    .option('--vs <list>', `comma-separated peers to compare against (${PEER_NAMES.join(', ')}), or none; default: all installed`)
    .option('--runs <n>', 'timed runs per engine (median and p90 are reported)', parsePositiveInt('--runs'), 10)
    .option('--warmup <n>', 'untimed runs per engine before timing (WebAssembly tiers up from its baseline compiler during these)', parseNonNegativeInt('--warmup'), 10)
    .option('--backend <name>', 'sparsecnn backend to measure', DEFAULT_BACKEND)
    .option('--tuning <file>', 'a tuning cache from `sparsecnn tune` for sparsecnn (chosen kernels are in engines[0].kernels)')
    .option('--layers', "per-layer times of sparsecnn (median over the runs) and its 15 slowest layers")
    .option('--report <file.html>', 'also write an HTML report: latency per engine (and, with --layers, the slowest layers) as charts')
    .option('--force', 'with --report: overwrite the file even if it is not an earlier sparsecnn report')
    .option('--json', 'print {model, batch, threads, engines:[{name, medianMs, p90Ms, ...}], ratios:{peer: peerMedian/oursMedian}} on stdout')
    .addHelpText('after', `
Every peer's output is compared with sparsecnn's on the same deterministic input before timing;
a peer that differs by more than 1e-3 x max(1, max |output|) stops the benchmark. A ratio above 1
means sparsecnn is faster. Peers are optional packages: with no --vs, peers that are not
installed (or lack an op the model uses) are skipped with a note on stderr.

Examples:
  $ sparsecnn bench resnet20
  $ sparsecnn bench resnet50 --threads 2 --runs 20 --vs onnxruntime-node,tfjs-wasm
  $ sparsecnn bench mobilenetv2 --layers
  $ sparsecnn bench resnet18 --batch 8 --json | jq '.ratios'
  $ sparsecnn bench resnet50 --threads 2 --layers --report bench.html`)
    .action(action(async (spec: string, opts: BenchCliOptions) => {
      const out = new Output(opts);
      const explicitPeers = opts.vs !== undefined;
      const peers = explicitPeers ? parsePeers(opts.vs!) : [...PEER_NAMES];
      if (opts.report !== undefined) checkReportPath(opts.report, opts.force === true);
      const model = out.loadModel(spec);
      let bar: ReturnType<Output['progress']> | undefined;
      let r: BenchResult;
      try {
        r = await benchModel(model, {
          batch: opts.batch,
          threads: opts.threads,
          runs: opts.runs,
          warmup: opts.warmup,
          backend: opts.backend as Backend,
          layers: opts.layers === true,
          ...(opts.tuning !== undefined ? { tuning: loadTuningCache(opts.tuning) } : {}),
          peers,
          skipUnavailablePeers: !explicitPeers,
          onNote: (m) => out.note(`note: ${m}`),
          onRun: (engine, done, total) => {
            bar ??= out.progress(`bench ${model.metadata.name}`, total);
            bar.update(done, `| ${engine}`);
          },
        });
      } finally {
        bar?.stop();
      }

      if (opts.report !== undefined) {
        const label = (e: (typeof r.engines)[number]): string => (e === r.engines[0] ? `sparsecnn (${e.backend ?? opts.backend})` : e.name);
        const slow = r.layers === undefined ? [] : [...r.layers].sort((a, b) => b.ms - a.ms).slice(0, 15);
        writeReport(opts.report, {
          title: `Benchmark: ${r.model}, batch ${r.batch}, ${r.threads} thread${r.threads > 1 ? 's' : ''}`,
          sections: [{
            heading: 'Latency per engine',
            text: [`Median and p90 of ${r.engines[0]!.runs} timed runs after ${opts.warmup} warm-up runs; every peer's output was checked against sparsecnn's first (tolerance ${r.tolerance.toExponential(1)}). Lower is faster.`],
            charts: [barChart({ title: `${r.model}: latency`, yLabel: 'ms', series: ['median', 'p90'], format: (v) => v.toFixed(2), groups: r.engines.map((e) => ({ label: label(e), values: [e.medianMs, e.p90Ms] })) })],
            table: { head: ['engine', 'version', 'median ms', 'p90 ms', 'GFLOP/s', 'peer/ours'], rows: r.engines.map((e) => [label(e), e.version ?? '', e.medianMs.toFixed(2), e.p90Ms.toFixed(2), e.gflops.toFixed(2), e === r.engines[0] ? '1.00' : (r.ratios[e.name === 'sparsecnn-dense' ? 'dense' : e.name] ?? NaN).toFixed(2)]) },
          }, ...(slow.length > 0 ? [{
            heading: 'Slowest layers of sparsecnn',
            charts: [barChart({ title: `${slow.length} slowest layers (median ms)`, yLabel: 'ms', series: ['ms'], format: (v: number) => v.toFixed(3), groups: slow.map((l) => ({ label: l.name, values: [l.ms] })) })],
            table: { head: ['layer', 'op', 'ms', 'GFLOP/s'], rows: slow.map((l) => [l.name, l.op, l.ms.toFixed(3), l.macs ? l.gflops.toFixed(2) : '']) },
          }] : [])],
        }, opts.force === true);
        out.note(`report: ${opts.report}`);
      }
      out.result({
        model: r.model,
        batch: r.batch,
        threads: r.threads,
        engines: r.engines.map((e) => ({ ...e, ...(e.maxAbsDiff !== undefined ? { tolerance: r.tolerance } : {}) })),
        ratios: r.ratios,
        ...(r.layers !== undefined ? { layers: r.layers } : {}),
      });
      if (out.json) return;

      const ours = r.engines[0]!;
      out.line(`${r.model}: batch ${r.batch}, ${r.threads} thread${r.threads > 1 ? 's' : ''}, input [${r.inputShape.join(',')}], ${fmtCount(r.macs)} MACs per run`);
      out.line(`median and p90 of ${ours.runs} timed runs per engine after ${opts.warmup} warm-up run${opts.warmup === 1 ? '' : 's'}`);
      out.line();
      const rows = [['engine', 'version', 'median ms', 'p90 ms', 'GFLOP/s', 'peer/ours', 'max |diff|']];
      for (const e of r.engines) {
        const isOurs = e === ours;
        rows.push([
          isOurs ? `sparsecnn (${e.backend ?? opts.backend})` : e.name,
          e.version ?? '',
          fmtMs(e.medianMs),
          fmtMs(e.p90Ms),
          e.gflops.toFixed(2),
          isOurs ? '1.00' : (r.ratios[e.name === 'sparsecnn-dense' ? 'dense' : e.name] ?? NaN).toFixed(2),
          e.maxAbsDiff === undefined ? '' : e.maxAbsDiff.toExponential(1),
        ]);
      }
      out.line(table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r']));
      out.line();
      if (r.engines.length > 1) out.line(`peer/ours above 1: sparsecnn is faster. Outputs agree within ${r.tolerance.toExponential(1)}.`);
      for (const e of r.engines) if (e.note !== undefined) out.line(`note: ${e.name}: ${e.note}`);

      if (r.layers !== undefined) {
        const total = r.layers.reduce((s, l) => s + l.ms, 0);
        const slow = [...r.layers].sort((a, b) => b.ms - a.ms).slice(0, 15);
        out.line();
        out.line(`${slow.length} slowest of ${r.layers.length} layers of sparsecnn (median ms per layer over ${ours.runs} runs; layers sum to ${fmtMs(total)} ms):`);
        const lrows = [['name', 'op', 'ms', 'share', 'MACs', 'GFLOP/s']];
        for (const l of slow) lrows.push([l.name, l.op, fmtMs(l.ms), `${((l.ms / total) * 100).toFixed(1)}%`, l.macs ? fmtCount(l.macs) : '', l.macs ? l.gflops.toFixed(2) : '']);
        out.line(table(lrows, ['l', 'l', 'r', 'r', 'r', 'r']));
      }
    }));
}
