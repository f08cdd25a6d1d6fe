/**
 * The WebAssembly backend's Session. Per distinct input-shape set it builds a plan once:
 * fusion passes → lowering to kernel calls → arena offsets from the liveness planner. Weights are
 * packed once per session. Memory: see plan-types.ts.
 */
import { fail } from '../../errors.js';
import { inferShapes } from '../../graph/infer.js';
import type { Graph } from '../../graph/ir.js';
import type { ValueType } from '../../graph/ops/index.js';
import { FUSION_PASSES, runPasses } from '../../graph/passes/index.js';
import { sizeOf, type FloatTensor, type Tensor } from '../../graph/tensor.js';
import { relaxedSimdSupported } from '../../kernels/wasm/index.js';
import { alignUp, planArena, type ArenaPlan, type Lifetime } from '../arena.js';
import { bindInputs, checkInto, feedInputs, outputArray, runLayout, type RunOptions } from '../bind.js';
import { runtimeContext } from '../context.js';
import type { CompileOptions, LayerTiming, Session } from '../session.js';
import { KERNEL_INDEX, loadKernels, PACKING, RESERVED_BYTES, type KernelCaller } from './kernels.js';
import { nchwShapeOf } from './layout.js';
import { lower, readValue, writeValue, type Lowered } from './lower.js';
import type { KernelName, KernelStep, Step } from './plan-types.js';
import type { TuningCache, TuningEntry } from '../../tune/cache.js';
import type { LayerPattern } from '../../prune/metadata.js';
import { ThreadPool } from './threads.js';
import { WeightStore } from './weights.js';

const PAGE = 65536;
/** Below this many multiply-adds per thread a step runs on the calling thread alone (dispatch costs ~10 µs). */
const MIN_WORK_PER_THREAD = 200_000;
/** Shared memories must declare a maximum; 2 GiB of address space is reserved, not committed. */
const MAX_PAGES = 32768;

export type WasmCompileOptions = CompileOptions;

interface ResolvedKernel {
  readonly step: KernelStep;
  readonly fn: number;
  readonly args: number[];
  readonly lo: number;
  readonly hi: number;
  readonly scratch: number;
}

interface WasmPlan {
  readonly graph: Graph;
  readonly types: ReadonlyMap<string, ValueType>;
  readonly lowered: Lowered;
  readonly lifetimes: readonly Lifetime[];
  readonly arena: ArenaPlan;
  /** Steps with arguments resolved for `layoutKey`. */
  resolved?: (ResolvedKernel | Step)[];
  layoutKey?: string;
}

export interface ArenaReport {
  /** Arena bytes the planner assigned (known before running). */
  readonly predictedPeakBytes: number;
  /** Highest arena byte the run actually wrote (measured by poisoning the arena first). */
  readonly measuredPeakBytes: number;
  /** Sum of all intermediate tensors: what a runtime without reuse would hold. */
  readonly naiveBytes: number;
}

export class WasmSession implements Session {
  readonly backend = 'wasm' as const;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Notes on choices the session made (e.g. fewer threads than asked, and why). */
  readonly notes: string[] = [];
  private readonly plans = new Map<string, WasmPlan>();
  private readonly store = new WeightStore();
  private timings: LayerTiming[] = [];
  /** The tuning-cache key of this session's machine and SIMD flavour. */
  readonly fingerprint: string;
  private weightsAt = -1;
  private disposed = false;

  private constructor(
    readonly graph: Graph,
    private readonly options: WasmCompileOptions,
    private readonly memory: WebAssembly.Memory,
    private readonly call: KernelCaller,
    private readonly pool: ThreadPool | undefined,
    readonly threads: number,
    readonly relaxedSimd: boolean,
    private readonly patterns: Readonly<Record<string, LayerPattern>>,
  ) {
    this.inputNames = feedInputs(graph).map((i) => i.name);
    this.outputNames = graph.outputs.map((o) => o.name);
    this.fingerprint = `${runtimeContext.machine}|${relaxedSimd ? 'relaxed-simd' : 'simd'}`;
    if (options.tuning !== undefined && options.tuning.machine !== this.fingerprint) {
      this.notes.push(`the tuning cache was made on '${options.tuning.machine}', not this machine ('${this.fingerprint}'): ignored, using the cost model`);
    }
  }

  /** Which kernel each tunable step uses for these shapes, and whether the tuning cache chose it. */
  kernelChoices(shapes: ReadonlyMap<string, readonly number[]>): { node: string; kernel: string; signature: string; tuned: boolean }[] {
    const plan = this.planFor(shapes);
    const entries = this.tuningEntries();
    return plan.lowered.steps.flatMap((s) => (s.kind === 'kernel' && s.signature !== undefined ? [{ node: s.node, kernel: s.fn, signature: s.signature, tuned: entries?.[s.signature] !== undefined }] : []));
  }

  private tuningEntries() {
    const t = this.options.tuning;
    return t !== undefined && t.machine === this.fingerprint ? t.entries : undefined;
  }

  /**
   * The profiler: for every step with interchangeable kernels, times each candidate in place
   * (same arguments, same memory, all threads) and returns the fastest per operator signature.
   */
  async tune(feeds: Readonly<Record<string, Tensor>>, opts: { runs?: number; warmup?: number; onStep?: (done: number, total: number) => void } = {}): Promise<TuningCache> {
    const shapes = bindInputs(this.graph, feeds);
    const plan = this.planFor(shapes);
    await this.run(feeds); // realistic data in the arena
    const { steps, scratchBase, scratchBytes } = this.prepare(plan);
    const runs = opts.runs ?? 7;
    const warmup = opts.warmup ?? 2;
    const tunable = steps.filter((s): s is ResolvedKernel => 'step' in s && (s.step.alternatives?.length ?? 0) > 1);
    const { addr, weightsBase } = this.addressing(plan);
    const entries: Record<string, TuningEntry> = {};
    let done = 0;
    for (const s of tunable) {
      const sig = s.step.signature!;
      if (entries[sig] !== undefined) {
        opts.onStep?.(++done, tunable.length);
        continue;
      }
      const ms: Record<string, number> = {};
      for (const a of s.step.alternatives!) {
        const alt = resolve({ ...s.step, ...a }, addr, weightsBase);
        const times: number[] = [];
        for (let i = 0; i < warmup + runs; i++) {
          const t0 = performance.now();
          this.dispatch(alt, scratchBase, scratchBytes);
          if (i >= warmup) times.push(performance.now() - t0);
        }
        times.sort((x, y) => x - y);
        ms[a.fn] = times[Math.floor(times.length / 2)]!;
      }
      const best = Object.entries(ms).sort((x, y) => x[1] - y[1])[0]![0];
      entries[sig] = { kernel: best, ms };
      opts.onStep?.(++done, tunable.length);
    }
    return { version: 1, machine: this.fingerprint, entries };
  }

  /** `patterns`: the model's pruning record (sparsecnn.pruning), which selects sparse kernels. */
  static async create(graph: Graph, options: WasmCompileOptions, patterns: Readonly<Record<string, LayerPattern>> = {}): Promise<WasmSession> {
    const asked = options.threads ?? runtimeContext.hardwareConcurrency;
    if (!Number.isInteger(asked) || asked < 1) fail('INVALID_ARGUMENT', `threads must be a positive integer, got ${asked}`);
    const notes: string[] = [];
    let threads = asked;
    if (threads > 1 && runtimeContext.workerFactory === undefined) {
      notes.push(`${asked} threads asked, but this platform registered no worker factory: running on 1`);
      threads = 1;
    } else if (threads > 1 && typeof SharedArrayBuffer === 'undefined') {
      notes.push('SharedArrayBuffer is unavailable (cross-origin isolation?): running on 1 thread');
      threads = 1;
    }
    const relaxed = (options.relaxedSimd ?? true) && relaxedSimdSupported();
    const shared = threads > 1;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(RESERVED_BYTES / PAGE) + 1, maximum: MAX_PAGES, shared });
    const { call } = await loadKernels(memory, { relaxed, shared });
    const pool = shared ? await ThreadPool.start(threads, memory, relaxed, runtimeContext.workerFactory!, call) : undefined;
    const s = new WasmSession(graph, options, memory, call, pool, threads, relaxed, patterns);
    s.notes.push(...notes);
    return s;
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, FloatTensor>> {
    if (this.disposed) fail('INVALID_ARGUMENT', 'this session was disposed');
    const nhwc = runLayout(options) === 'nhwc';
    checkInto(options, this.outputNames);
    // NHWC feeds are bound (checked) by their ONNX shape; their data goes to the arena as it is.
    const shapes = bindInputs(this.graph, nhwc ? Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { ...t, shape: nchwShapeOf(t.shape) } as Tensor])) : feeds);
    const plan = this.planFor(shapes);
    const { mem, addr, steps, scratchBase, scratchBytes } = this.prepare(plan);
    for (const name of this.inputNames) writeValue(mem, addr(name), feeds[name]!, nhwc);
    this.execute(steps, mem, addr, scratchBase, scratchBytes);
    const out: Record<string, FloatTensor> = {};
    for (const name of this.outputNames) {
      const type = plan.types.get(name)!;
      const into = options?.into?.[name] === undefined ? undefined : outputArray(options, name, sizeOf(type.shape));
      const t = readValue(mem, addr(name), type, nhwc, into);
      if (t.dtype !== 'float32') fail('UNSUPPORTED', `output '${name}' is not a float32 tensor`);
      out[name] = t;
    }
    return out;
  }

  /** Predicted vs measured arena peak for these inputs (runs the model once). */
  async arenaReport(feeds: Readonly<Record<string, Tensor>>): Promise<ArenaReport> {
    const shapes = bindInputs(this.graph, feeds);
    const plan = this.planFor(shapes);
    this.prepare(plan); // grows memory to the plan's layout
    const { arenaBase, scratchBase } = this.layout(plan);
    const poison = 0x7fc0dead; // a NaN payload no kernel produces
    // Poison the whole arena region up to the scratch blocks: any write past the plan shows up.
    const words = (scratchBase - arenaBase) / 4;
    new Int32Array(this.memory.buffer, arenaBase, words).fill(poison);
    await this.run(feeds);
    const view = new Int32Array(this.memory.buffer, arenaBase, words);
    let last = -1;
    for (let i = words - 1; i >= 0; i--) if (view[i] !== poison) { last = i; break; }
    return { predictedPeakBytes: plan.arena.peakBytes, measuredPeakBytes: (last + 1) * 4, naiveBytes: plan.lifetimes.reduce((s, l) => s + l.bytes, 0) };
  }

  /** Arena lifetimes and offsets of the plan for these input shapes (for tests and reports). */
  arenaPlan(shapes: ReadonlyMap<string, readonly number[]>): { lifetimes: readonly Lifetime[]; plan: ArenaPlan } {
    const p = this.planFor(shapes);
    return { lifetimes: p.lifetimes, plan: p.arena };
  }

  profile(): readonly LayerTiming[] {
    return this.timings;
  }

  optimizedGraph(shapes: ReadonlyMap<string, readonly number[]>): Graph {
    return this.planFor(shapes).graph;
  }

  dispose(): void {
    this.disposed = true;
    this.pool?.dispose();
    this.plans.clear();
  }

  private execute(steps: readonly (ResolvedKernel | Step)[], mem: Float32Array, addr: (v: string) => number, scratchBase: number, scratchBytes: number): void {
    const profile = this.options.profile === true;
    if (profile) this.timings = [];
    let last: { name: string; op: string; ms: number } | undefined;
    for (const s of steps) {
      const t0 = profile ? performance.now() : 0;
      if ('step' in s) this.dispatch(s, scratchBase, scratchBytes);
      else if (s.kind === 'host') s.run(mem, addr);
      else throw new Error(`internal error: unresolved kernel step ${s.node}`);
      if (profile) {
        const node = 'step' in s ? s.step.node : s.node;
        const op = 'step' in s ? s.step.op : s.op;
        const ms = performance.now() - t0;
        // Grouped convs run one call per group: report them as one layer.
        if (last !== undefined && last.name === node) last.ms += ms;
        else {
          last = { name: node, op, ms };
          this.timings.push(last);
        }
      }
    }
  }

  private dispatch(s: ResolvedKernel, scratchBase: number, scratchBytes: number): void {
    if (this.pool !== undefined && (s.step.work ?? Infinity) >= MIN_WORK_PER_THREAD * this.threads) this.pool.run(s.fn, s.args, s.lo, s.hi, s.scratch, s.step.total, s.step.grain, scratchBase, scratchBytes);
    else {
      s.args[s.lo] = 0;
      s.args[s.hi] = s.step.total;
      if (s.scratch >= 0) s.args[s.scratch] = scratchBase;
      this.call(s.step.fn, s.args);
    }
  }

  private layout(plan: WasmPlan): { weightsBase: number; arenaBase: number; scratchBase: number; scratchBytes: number; end: number } {
    const weightsBase = alignUp(RESERVED_BYTES, 64);
    const arenaBase = alignUp(weightsBase + this.store.bytes, 64);
    const scratchBytes = alignUp(plan.lowered.scratchBytes, 64);
    const scratchBase = alignUp(arenaBase + plan.arena.peakBytes, 64);
    return { weightsBase, arenaBase, scratchBase, scratchBytes, end: scratchBase + this.threads * scratchBytes };
  }

  private prepare(plan: WasmPlan) {
    const L = this.layout(plan);
    const pages = Math.ceil(L.end / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > MAX_PAGES) fail('UNSUPPORTED', `this model needs ${(L.end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, more than the ${MAX_PAGES / 16} MiB limit`);
    if (pages > have) this.memory.grow(pages - have);
    const mem = new Float32Array(this.memory.buffer);
    if (this.store.dirty || this.weightsAt !== L.weightsBase) {
      const bytes = new Uint8Array(this.memory.buffer);
      for (const b of this.store.blocks) bytes.set(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength), L.weightsBase + b.offset);
      this.store.dirty = false;
      this.weightsAt = L.weightsBase;
    }
    const { addr } = this.addressing(plan);
    const key = `${L.weightsBase}:${L.arenaBase}`;
    if (plan.layoutKey !== key) {
      plan.resolved = plan.lowered.steps.map((s) => (s.kind === 'kernel' ? resolve(s, addr, L.weightsBase) : s));
      plan.layoutKey = key;
    }
    return { mem, addr, steps: plan.resolved!, scratchBase: L.scratchBase, scratchBytes: L.scratchBytes };
  }

  private addressing(plan: WasmPlan): { addr: (v: string) => number; weightsBase: number } {
    const L = this.layout(plan);
    const root = (v: string) => plan.lowered.alias.get(v) ?? v;
    const addr = (v: string) => {
      const o = plan.arena.offsets.get(root(v));
      if (o === undefined) throw new Error(`internal error: value '${v}' has no arena slot`);
      return L.arenaBase + o;
    };
    return { addr, weightsBase: L.weightsBase };
  }

  private planFor(shapes: ReadonlyMap<string, readonly number[]>): WasmPlan {
    const key = [...shapes].map(([k, s]) => `${k}:${s.join('x')}`).join(';');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      const graph = runPasses(this.graph, shapes, this.options.disablePasses, FUSION_PASSES);
      const { types } = inferShapes(graph, shapes);
      const entries = this.tuningEntries();
      const choose = (sig: string, candidates: readonly KernelName[], fallback: KernelName): KernelName => {
        const k = entries?.[sig]?.kernel;
        return candidates.find((c) => c === k) ?? fallback;
      };
      const lowered = lower(graph, types, this.store, PACKING, choose, this.threads, this.patterns);
      const lifetimes = liveness(graph, lowered);
      plan = { graph, types, lowered, lifetimes, arena: planArena(lifetimes) };
      this.plans.set(key, plan);
    }
    return plan;
  }
}

function resolve(step: KernelStep, addr: (v: string) => number, weightsBase: number): ResolvedKernel {
  let lo = -1, hi = -1, scratch = -1;
  const args = step.args.map((a, i) => {
    if (typeof a === 'number') return a;
    if ('value' in a) return addr(a.value) + (a.offset ?? 0);
    if ('weight' in a) return weightsBase + a.weight;
    if ('scratch' in a) {
      scratch = i;
      return 0;
    }
    if (a.range === 'lo') lo = i;
    else hi = i;
    return 0;
  });
  return { step, fn: KERNEL_INDEX.get(step.fn)!, args, lo, hi, scratch };
}

/** Lifetimes of the arena buffers over step indices; graph inputs from -1, outputs to Infinity. */
function liveness(g: Graph, l: Lowered): Lifetime[] {
  const root = (v: string) => l.alias.get(v) ?? v;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const i of feedInputs(g)) first.set(root(i.name), -1);
  l.steps.forEach((s, i) => {
    for (const w of s.writes) if (!first.has(w)) first.set(w, i);
    for (const r of s.reads) last.set(r, Math.max(last.get(r) ?? -1, i));
  });
  for (const o of g.outputs) last.set(root(o.name), Infinity);
  const out: Lifetime[] = [];
  for (const [id, slot] of l.slots) {
    if (l.alias.has(id)) continue;
    const f = first.get(id) ?? -1;
    out.push({ id, bytes: slot.bytes, first: f, last: last.get(id) ?? f });
  }
  for (const i of feedInputs(g)) {
    if (!l.slots.has(i.name) && !l.alias.has(i.name)) {
      // Inputs are not produced by a step; size them from their bound shape via the first step that reads them.
      throw new Error(`internal error: input '${i.name}' has no slot`);
    }
  }
  return out;
}
