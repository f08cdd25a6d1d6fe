/**
 * One benchmark: sparsecnn and its peers on the same model, batch and deterministic input.
 * Every peer's output is checked against ours before anything is timed (a fast peer that computes
 * something else must not be compared), then each engine is timed in turn (warm-up, then timed
 * runs; median and p90), each peer released as soon as it has been timed so its thread pool cannot
 * steal cycles from the next engine.
 */
import { modelStats } from '../analysis/stats.js';
import { fail, SparseCnnError } from '../errors.js';
import type { Model } from '../graph/ir.js';
import { floatTensor, type FloatTensor } from '../graph/tensor.js';
import { compile, type Backend, type LayerTiming } from '../runtime/session.js';
import { measure, median, type Measurement } from './measure.js';
import { createPeerByName } from './peers/index.js';
import { peerIO, type Peer, type PeerName } from './peers/types.js';
import { WasmSession } from '../runtime/wasm/session.js';
import type { TuningCache } from '../tune/cache.js';
import { PRUNING_METADATA_KEY, readPruningMetadata } from '../prune/metadata.js';

export interface BenchOptions {
  readonly batch: number;
  readonly threads: number;
  readonly runs: number;
  readonly warmup: number;
  /** Passed through to compile(); compile() rejects names it does not know. */
  readonly backend: Backend;
  /** Record per-layer times of sparsecnn (compile with profile: true). */
  readonly layers?: boolean;
  /** Profiler results to compile with (sparsecnn tune). */
  readonly tuning?: TuningCache;
  readonly peers: readonly PeerName[];
  /** Skip peers that cannot run here (package not installed, op they lack) with a note instead of failing. */
  readonly skipUnavailablePeers?: boolean;
  /** Called after every run of every engine: the output check, warm-up and timed runs. */
  readonly onRun?: (engine: string, done: number, total: number) => void;
  /** One-line notes for the user (skipped peers, engine remarks). */
  readonly onNote?: (message: string) => void;
}

export interface EngineResult {
  readonly name: string;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly runs: number;
  /** 2 * MACs / median time. */
  readonly gflops: number;
  readonly version?: string;
  readonly backend?: string;
  /** Max |peer - sparsecnn| over the whole output (peers only). */
  readonly maxAbsDiff?: number;
  /** sparsecnn on wasm: the kernel each tunable layer ran, and whether the tuning cache chose it. */
  readonly kernels?: readonly { readonly node: string; readonly kernel: string; readonly tuned: boolean }[];
  /** sparsecnn on wasm: the planned activation arena in bytes. */
  readonly predictedPeakBytes?: number;
  readonly note?: string;
}

export interface LayerResult {
  readonly name: string;
  readonly op: string;
  /** Median over the timed runs. */
  readonly ms: number;
  readonly macs: number;
  readonly gflops: number;
}

export interface BenchResult {
  readonly model: string;
  readonly batch: number;
  readonly threads: number;
  readonly macs: number;
  readonly inputShape: readonly number[];
  /** The agreement threshold used: 1e-3 x max(1, max |sparsecnn output|). */
  readonly tolerance: number;
  /** sparsecnn first. */
  readonly engines: readonly EngineResult[];
  /** peer median / sparsecnn median: above 1 means sparsecnn is faster. */
  readonly ratios: Readonly<Record<string, number>>;
  readonly layers?: readonly LayerResult[];
}

/** Deterministic, image-like input values in [-2, 2] (same formula as the tests' waveInput). */
export function benchInput(shape: readonly number[]): FloatTensor {
  const t = floatTensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = 2 * Math.sin(i * 0.37 + 0.1) * Math.cos(i * 0.011);
  return t;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (!(x <= d)) d = x; // NaN propagates
  }
  return d;
}

const gflops = (macs: number, ms: number) => (ms > 0 ? (2 * macs) / (ms * 1e6) : 0);

/** Median per layer over the profiled runs (layers keyed by name, in first-seen order). */
function layerMedians(profiles: readonly (readonly LayerTiming[])[], macsByName: ReadonlyMap<string, number>): LayerResult[] {
  const order: { name: string; op: string }[] = [];
  const samples = new Map<string, number[]>();
  for (const p of profiles) {
    const perRun = new Map<string, number>();
    for (const l of p) {
      if (!samples.has(l.name)) {
        samples.set(l.name, []);
        order.push({ name: l.name, op: l.op });
      }
      perRun.set(l.name, (perRun.get(l.name) ?? 0) + l.ms);
    }
    for (const [name, ms] of perRun) samples.get(name)!.push(ms);
  }
  return order.map(({ name, op }) => {
    const ms = median(samples.get(name)!);
    const macs = macsByName.get(name) ?? name.split('+').reduce((s, n) => s + (macsByName.get(n) ?? 0), 0);
    return { name, op, ms, macs, gflops: gflops(macs, ms) };
  });
}

export async function benchModel(model: Model, opts: BenchOptions): Promise<BenchResult> {
  const io = peerIO(model);
  const stats = modelStats(model, opts.batch);
  const inputShape = stats.inputs[0]!.shape;
  if (inputShape[0] !== opts.batch) fail('INVALID_ARGUMENT', `${model.metadata.name} has a fixed batch size of ${inputShape[0]} (input '${io.input}' is [${inputShape.join(',')}]): use --batch ${inputShape[0]}`);
  const x = benchInput(inputShape);
  const feeds = { [io.input]: x };
  const perEngine = opts.warmup + opts.runs;

  const session = await compile(model, { backend: opts.backend, threads: opts.threads, ...(opts.layers === true ? { profile: true } : {}), ...(opts.tuning !== undefined ? { tuning: opts.tuning } : {}) });
  if (session instanceof WasmSession) for (const n of session.notes) opts.onNote?.(n);
  let sessionLive = true;
  const disposeSession = () => {
    if (sessionLive) session.dispose();
    sessionLive = false;
  };
  const peers: Peer[] = [];
  try {
    // Every peer first (skipping unavailable ones when allowed), so progress knows the total.
    for (const name of opts.peers) {
      try {
        peers.push(await createPeerByName(name, model, { threads: opts.threads, batch: opts.batch }));
      } catch (e) {
        if (opts.skipUnavailablePeers === true && e instanceof SparseCnnError && (e.code === 'NOT_FOUND' || e.code === 'UNSUPPORTED')) {
          opts.onNote?.(`skipping ${name}: ${e.message}`);
          continue;
        }
        throw e;
      }
    }
    const total = (perEngine + 1) * (1 + peers.length);
    let done = 0;
    const tick = (engine: string) => opts.onRun?.(engine, ++done, total);

    // Check every output against ours before timing anything.
    const first = (await session.run(feeds))[io.output];
    tick('sparsecnn');
    if (first === undefined) fail('UNSUPPORTED', `sparsecnn gave no output '${io.output}'`);
    // A copy: a backend may hand out views of memory its next run overwrites.
    const ours = Float32Array.from(first.data);
    let scale = 0;
    for (const v of ours) scale = Math.max(scale, Math.abs(v));
    const tolerance = 1e-3 * Math.max(1, scale);
    const diffs = new Map<Peer, number>();
    const disagree: string[] = [];
    for (const peer of peers) {
      const y = await peer.run(x);
      tick(peer.name);
      if (y.length !== ours.length) fail('INVALID_DATA', `${peer.name} returned ${y.length} values, sparsecnn ${ours.length}: they do not compute the same output`);
      const d = maxAbsDiff(ours, y);
      diffs.set(peer, d);
      if (!(d <= tolerance)) disagree.push(`${peer.name} (max |diff| ${d.toExponential(2)})`);
    }
    if (disagree.length > 0) {
      fail('INVALID_DATA', `outputs disagree with sparsecnn's beyond ${tolerance.toExponential(1)}: ${disagree.join(', ')}; not timing engines that compute different things (compare with --backend ref, or leave that peer out of --vs)`);
    }

    const profiles: (readonly LayerTiming[])[] = [];
    let calls = 0;
    const oursM = await measure(async () => {
      await session.run(feeds);
      if (opts.layers === true && calls++ >= opts.warmup) profiles.push([...session.profile()]);
    }, { warmup: opts.warmup, runs: opts.runs, onRun: () => tick('sparsecnn') });
    const oursNote = opts.threads > 1 && session.backend === 'ref' ? 'the ref backend is single-threaded' : undefined;
    const shapes = new Map([[io.input, inputShape]]);
    const wasmInfo = session instanceof WasmSession
      ? { kernels: session.kernelChoices(shapes).map((k) => ({ node: k.node, kernel: k.kernel, tuned: k.tuned })), predictedPeakBytes: session.arenaPlan(shapes).plan.peakBytes }
      : {};
    const engines: EngineResult[] = [
      { name: 'sparsecnn', ...summary(oursM, stats.macs), backend: session.backend, ...(oursNote !== undefined ? { note: oursNote } : {}), ...wasmInfo },
    ];
    disposeSession();

    const ratios: Record<string, number> = {};
    // A pruned model: the same weights on the dense kernels (pattern metadata dropped), so
    // ratios.dense isolates what the sparse kernels buy.
    if (Object.keys(readPruningMetadata(model)).length > 0 && opts.backend === 'wasm') {
      const denseModel: Model = { ...model, metadata: { ...model.metadata, extra: new Map([...(model.metadata.extra ?? [])].filter(([k]) => k !== PRUNING_METADATA_KEY)) } };
      const ds = await compile(denseModel, { backend: 'wasm', threads: opts.threads, ...(opts.tuning !== undefined ? { tuning: opts.tuning } : {}) });
      try {
        const dm = await measure(async () => void (await ds.run(feeds)), { warmup: opts.warmup, runs: opts.runs });
        engines.push({ name: 'sparsecnn-dense', ...summary(dm, stats.macs), backend: 'wasm', note: 'the same pruned weights on the dense kernels' });
        ratios.dense = dm.medianMs / oursM.medianMs;
      } finally {
        ds.dispose();
      }
    }
    while (peers.length > 0) {
      const peer = peers.shift()!;
      try {
        const m = await measure(async () => void (await peer.run(x)), { warmup: opts.warmup, runs: opts.runs, onRun: () => tick(peer.name) });
        engines.push({
          name: peer.name,
          ...summary(m, stats.macs),
          ...(peer.version !== undefined ? { version: peer.version } : {}),
          maxAbsDiff: diffs.get(peer)!,
          ...(peer.note !== undefined ? { note: peer.note } : {}),
        });
        ratios[peer.name] = m.medianMs / oursM.medianMs;
      } finally {
        await peer.dispose();
      }
    }

    const macsByName = new Map(stats.nodes.map((n) => [n.name, n.macs] as const));
    return {
      model: model.metadata.name,
      batch: opts.batch,
      threads: opts.threads,
      macs: stats.macs,
      inputShape,
      tolerance,
      engines,
      ratios,
      ...(opts.layers === true ? { layers: layerMedians(profiles, macsByName) } : {}),
    };
  } finally {
    disposeSession();
    for (const p of peers) await p.dispose();
  }
}

function summary(m: Measurement, macs: number): { medianMs: number; p90Ms: number; runs: number; gflops: number } {
  return { medianMs: m.medianMs, p90Ms: m.p90Ms, runs: m.runs, gflops: gflops(macs, m.medianMs) };
}
