/**
 * compile() turns a model into a Session bound to a backend. A session specialises the graph to
 * each distinct set of input shapes it sees (passes + shape inference once per shape set), then
 * runs the nodes in order, dropping each intermediate after its last use.
 */
import { fail } from '../errors.js';
import { evalNode, inferShapes } from '../graph/infer.js';
import type { Graph, Model, Node } from '../graph/ir.js';
import type { ValueType } from '../graph/ops/index.js';
import { runPasses } from '../graph/passes/index.js';
import type { FloatTensor, Tensor } from '../graph/tensor.js';
import { validateGraph } from '../graph/validate.js';
import { bindInputs, checkInto, feedInputs, outputArray, runLayout, type RunOptions } from './bind.js';
export type { RunOptions, TensorLayout } from './bind.js';
import { WasmSession } from './wasm/session.js';
import { toLayout } from './wasm/layout.js';
import type { TuningCache } from '../tune/cache.js';
import { readPruningMetadata } from '../prune/metadata.js';

export type Backend = 'ref' | 'wasm';
export const BACKENDS: readonly Backend[] = ['ref', 'wasm'];
/** What compile() uses when no backend is named. */
export const DEFAULT_BACKEND: Backend = 'wasm';

export interface CompileOptions {
  /** 'wasm': WebAssembly SIMD kernels, threads, planned arena. 'ref': the plain TypeScript oracle. */
  readonly backend?: Backend;
  /** wasm: threads including the caller's (default: all cores; 1 needs no SharedArrayBuffer). */
  readonly threads?: number;
  /** wasm: use relaxed-SIMD kernels (fused multiply-add) where the platform validates them (default true). */
  readonly relaxedSimd?: boolean;
  /** wasm: profiler results (sparsecnn tune); without them each op gets the cost model's kernel. */
  readonly tuning?: TuningCache;
  /** Names of graph passes to skip (see graph/passes/index.ts). */
  readonly disablePasses?: readonly string[];
  /** Record per-layer times on every run (read them with session.profile()). */
  readonly profile?: boolean;
}

/** Time spent in one step of the last run (profile: true). */
export interface LayerTiming {
  readonly name: string;
  readonly op: string;
  readonly ms: number;
}

/** What every backend's compiled model offers. */
export interface Session {
  readonly backend: Backend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model. Inputs are checked (names, dtypes, shapes) before any kernel runs. */
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, FloatTensor>>;
  /** Per-step times of the last run; empty unless compiled with profile: true. */
  profile(): readonly LayerTiming[];
  /** The graph after passes for these input shapes (what actually runs). */
  optimizedGraph(shapes: ReadonlyMap<string, readonly number[]>): Graph;
  /** Releases workers and memory. The session cannot run afterwards. */
  dispose(): void;
}

interface Step {
  readonly node: Node;
  readonly outTypes: readonly ValueType[];
  /** Values whose last reader is this step: released after it runs. */
  readonly release: readonly string[];
}

interface Plan {
  readonly graph: Graph;
  readonly steps: readonly Step[];
}

/** The reference backend: every node through kernels/ref, tensors as plain arrays. */
export class RefSession implements Session {
  readonly backend: Backend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly plans = new Map<string, Plan>();
  private timings: LayerTiming[] = [];

  constructor(readonly graph: Graph, private readonly options: CompileOptions) {
    this.backend = options.backend ?? 'ref';
    this.inputNames = feedInputs(graph).map((i) => i.name);
    this.outputNames = graph.outputs.map((o) => o.name);
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, FloatTensor>> {
    const nhwc = runLayout(options) === 'nhwc';
    checkInto(options, this.outputNames);
    const out = this.runSync(nhwc ? Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toLayout(t, 'nchw')])) : feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => {
      const r = nhwc ? toLayout(t, 'nhwc') : t;
      if (options?.into?.[k] === undefined) return [k, r];
      const data = outputArray(options, k, r.data.length);
      data.set(r.data);
      return [k, { ...r, data }];
    }));
  }

  runSync(feeds: Readonly<Record<string, Tensor>>): Record<string, FloatTensor> {
    const shapes = bindInputs(this.graph, feeds);
    const plan = this.planFor(shapes);
    const env = new Map<string, Tensor>(plan.graph.initializers);
    for (const name of this.inputNames) env.set(name, feeds[name]!);
    const profile = this.options.profile === true;
    if (profile) this.timings = [];
    for (const step of plan.steps) {
      const inputs = step.node.inputs.map((x) => (x === '' ? undefined : env.get(x)));
      const t0 = profile ? performance.now() : 0;
      const outs = evalNode(step.node, inputs, step.outTypes);
      if (profile) this.timings.push({ name: step.node.name, op: step.node.op, ms: performance.now() - t0 });
      step.node.outputs.forEach((o, i) => o !== '' && env.set(o, outs[i]!));
      for (const r of step.release) env.delete(r);
    }
    const result: Record<string, FloatTensor> = {};
    for (const name of this.outputNames) {
      const t = env.get(name);
      if (t === undefined || t.dtype !== 'float32') fail('UNSUPPORTED', `output '${name}' is not a float32 tensor`);
      result[name] = t;
    }
    return result;
  }

  profile(): readonly LayerTiming[] {
    return this.timings;
  }

  dispose(): void {
    this.plans.clear();
  }

  optimizedGraph(shapes: ReadonlyMap<string, readonly number[]>): Graph {
    return this.planFor(shapes).graph;
  }

  private planFor(shapes: ReadonlyMap<string, readonly number[]>): Plan {
    const key = [...shapes].map(([k, s]) => `${k}:${s.join('x')}`).join(';');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = buildPlan(this.graph, shapes, this.options);
      this.plans.set(key, plan);
    }
    return plan;
  }
}

function buildPlan(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>, options: CompileOptions): Plan {
  const g = runPasses(graph, shapes, options.disablePasses);
  const { types } = inferShapes(g, shapes);
  const keep = new Set([...g.outputs.map((o) => o.name), ...g.initializers.keys()]);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((x) => x !== '' && lastUse.set(x, i)));
  const steps = g.nodes.map((node, i): Step => ({
    node,
    outTypes: node.outputs.map((o) => types.get(o) ?? { dtype: 'float32', shape: [] }),
    release: node.inputs.filter((x, j) => x !== '' && !keep.has(x) && lastUse.get(x) === i && node.inputs.indexOf(x) === j),
  }));
  return { graph: g, steps };
}

export async function compile(model: Model | Graph, options: CompileOptions = {}): Promise<Session> {
  const graph = 'graph' in model ? model.graph : model;
  const backend = options.backend ?? DEFAULT_BACKEND;
  if (!BACKENDS.includes(backend)) fail('INVALID_ARGUMENT', `unknown backend '${String(backend)}' (available: ${BACKENDS.join(', ')})`);
  validateGraph(graph);
  if (backend === 'wasm') return WasmSession.create(graph, options, 'graph' in model ? readPruningMetadata(model) : {});
  return new RefSession(graph, options);
}
