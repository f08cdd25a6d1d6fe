import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SparseCnnError } from '../src/errors.js';
import type { Graph } from '../src/graph/ir.js';
import { NO_ATTRS } from '../src/graph/attrs.js';
import { floatTensor, intTensor } from '../src/graph/tensor.js';
import {
  BRUTE_FORCE_MAX_STAGES, linearize, paperChain, parsePlanner, planBruteForce, planDp, planLinear, planner, planWithinBudget,
  runPlanner, sequentialPlan, simulate, sqrtPlan, stageBytes, storeAllPlan, uniformPlan, validateChain, type Chain,
} from '../src/plan/index.js';
import { planAtThreshold } from '../src/plan/exact.js';
import { fastTables, GAVE_UP, planAtThresholdFast, planAtThresholdScan, planAtThresholdTree } from '../src/plan/fast-threshold.js';
import { suffixOptimum } from '../src/plan/linear.js';
import { prepare, relativeLowerBound, relativePeak } from '../src/plan/segments.js';
import { GraphBuilder } from '../src/zoo/builder.js';
import { buildZooModel } from '../src/zoo/index.js';
import { Rng } from '../src/zoo/rng.js';

// ---------------------------------------------------------------------------------------------
// Chains

const rng = new Rng(2024);
const int = (k: number): number => Math.floor(rng.next() * k);

type Shape = 'plain' | 'adversarial';

/**
 * Random chains that satisfy the model's lower bounds. 'adversarial' mixes zeros, sizes spanning
 * six orders of magnitude in no particular order, and transients (fn, fs, b, loss) that sometimes
 * dwarf every activation.
 */
function randomChain(n: number, shape: Shape, withTime = true): Chain {
  const size = (): number => {
    if (shape === 'plain') return 1 + int(100);
    const r = rng.next();
    return r < 0.15 ? 0 : r < 0.3 ? int(10) : r < 0.9 ? int(1000) : int(1_000_000);
  };
  const transient = (): number => (shape === 'adversarial' && rng.next() < 0.1 ? int(3_000_000) : int(shape === 'plain' ? 20 : 500));
  const a = [size()];
  const s = [0];
  const fn = [0];
  const fs = [0];
  const b = [0];
  const t = [0];
  for (let i = 1; i <= n; i++) {
    a.push(size());
    s.push(size());
    fn.push(a[i]! + transient());
    fs.push(a[i]! + s[i]! + transient());
    b.push(transient() + (rng.next() < 0.5 ? a[i - 1]! : 0));
    t.push(int(5));
  }
  return { n, base: int(10_000), a, s, fn, fs, b, loss: a[n]! + transient(), ...(withTime ? { t } : {}) };
}

const graphs = new Map<string, Graph>();
/** Zoo graphs are built once per file: the ImageNet ones draw millions of random weights. */
function zooGraph(name: string): Graph {
  let g = graphs.get(name);
  if (g === undefined) graphs.set(name, (g = buildZooModel(name).graph));
  return g;
}

/** Analytic chains of the zoo models (shapes from inference) with plausible transients added. */
function zooChain(name: string, batch: number, seed: number): Chain {
  const g = zooGraph(name);
  const hw = name.includes('resnet20') || name.includes('resnet56') || name.includes('cifar') ? 32 : 224;
  const { a, s } = stageBytes(g, linearize(g), [batch, 3, hw, hw]);
  const p = paperChain(a, s, 10 * a[0]!);
  const r = new Rng(seed);
  const w = (x: number): number => Math.floor(x * r.next());
  // Workspace (im2col and the like) up to 2 activations on forwards, up to 3 on backwards.
  return {
    ...p,
    fn: p.fn.map((v, i) => (i === 0 ? 0 : v + w(2 * a[i]!))),
    fs: p.fs.map((v, i) => (i === 0 ? 0 : v + w(2 * a[i]!))),
    b: p.b.map((v, i) => (i === 0 ? 0 : v + w(3 * a[i]!))),
    t: p.a.map((v, i) => (i === 0 ? 0 : 1 + Math.round(v / 1e4))),
  };
}

/** Stages lo..hi of a chain as a chain of its own (for brute force on real shapes). */
function window(c: Chain, lo: number, hi: number): Chain {
  const pick = (arr: readonly number[]): number[] => [0, ...arr.slice(lo, hi + 1)];
  const n = hi - lo + 1;
  return {
    n, base: c.base, a: [c.a[lo - 1]!, ...c.a.slice(lo, hi + 1)], s: pick(c.s), fn: pick(c.fn), fs: pick(c.fs), b: [0, ...c.b.slice(lo, hi + 1)],
    loss: Math.max(c.loss, c.a[hi]!), ...(c.t ? { t: pick(c.t) } : {}),
  };
}

function score(c: Chain, C: readonly number[]): [number, number] {
  const r = simulate(c, C);
  return [r.peakBytes, r.recomputeCost];
}

function throwsInvalid(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof SparseCnnError && e.code === 'INVALID_ARGUMENT' && message.test(e.message));
}

// ---------------------------------------------------------------------------------------------

describe('chain model and objective', () => {
  it('validates chains with clear messages', () => {
    const ok = paperChain([4, 3, 2], [1, 1], 10);
    validateChain(ok);
    throwsInvalid(() => validateChain({ ...ok, n: 0, a: [4] }), /n must be an integer >= 1/);
    throwsInvalid(() => validateChain({ ...ok, a: [4, -3, 2] }), /a\[1\] must be a non-negative integer/);
    throwsInvalid(() => validateChain({ ...ok, s: [0, 1.5, 1] }), /s\[1\] must be a non-negative integer/);
    throwsInvalid(() => validateChain({ ...ok, s: [1, 1, 1] }), /s\[0\] must be 0/);
    throwsInvalid(() => validateChain({ ...ok, b: [0, 1] }), /b has length 2, expected n\+1 = 3/);
    throwsInvalid(() => validateChain({ ...ok, fn: [0, 2, 2] }), /fn\[1\] = 2 < a\[1\] = 3/);
    throwsInvalid(() => validateChain({ ...ok, fs: [0, 3, 3] }), /fs\[1\] = 3 < a\[1\] \+ s\[1\] = 4/);
    throwsInvalid(() => validateChain({ ...ok, loss: 1 }), /loss = 1 < a\[n\] = 2/);
    throwsInvalid(() => validateChain({ ...ok, base: Number.NaN }), /base must be a non-negative integer/);
    throwsInvalid(() => validateChain({ ...ok, t: [0, -1, 1] }), /t\[1\] must be a finite non-negative time/);
    throwsInvalid(() => validateChain({ ...ok, base: 2 ** 52 }), /too large/);
    throwsInvalid(() => paperChain([4], [], 0), /n >= 1/);
    throwsInvalid(() => simulate(ok, [2]), /checkpoint 2 is not a stage in 1\.\.1/);
    throwsInvalid(() => simulate(ok, [1, 1]), /checkpoint 1 listed twice/);
  });

  it('paperChain ignores transients: fn = a, fs = a + s, b = g(i-1), loss = a[n]', () => {
    const c = paperChain([5, 7, 3, 9], [2, 4, 1], 100, [1, 2, 3]);
    assert.deepEqual(c, { n: 3, base: 100, a: [5, 7, 3, 9], s: [0, 2, 4, 1], fn: [0, 7, 3, 9], fs: [0, 9, 7, 10], b: [0, 0, 7, 3], loss: 9, t: [0, 1, 2, 3] });
  });

  it('follows the schedule event by event (hand-worked example)', () => {
    // n = 3, checkpoint {1}: segment (0,1] recomputed, (1,3] is the last segment.
    const c: Chain = { n: 3, base: 100, a: [8, 10, 20, 5], s: [0, 1, 2, 3], fn: [0, 13, 25, 6], fs: [0, 14, 30, 9], b: [0, 4, 15, 7], loss: 6 };
    const sim = simulate(c, [1], { events: true });
    const got = sim.events!.map((e) => [e.kind, e.stage, e.live, e.peak]);
    assert.deepEqual(got, [
      ['forward', 1, 100, 113], // no-save; x_1 stays as the checkpoint
      ['forward', 2, 110, 140], // save mode from here on
      ['forward', 3, 132, 141],
      ['loss', 3, 140, 146],
      ['backward', 3, 145, 152], // x_3, s_3 and dx_3 live
      ['backward', 2, 152, 167], // + dx_2 - x_3 - s_3 - dx_3
      ['recompute', 1, 120, 134], // base + x_1 + dx_1
      ['backward', 1, 121, 125], // the recomputed duplicate of x_1 was dropped
    ]);
    assert.equal(sim.peakBytes, 167);
    assert.equal(sim.recomputeCost, 1);
    assert.equal(sim.finalLive, 100);
  });

  it('ends every schedule at base, and the segment decomposition equals the event replay', () => {
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + int(25);
      const c = randomChain(n, trial % 2 ? 'plain' : 'adversarial');
      const C = Array.from({ length: n - 1 }, (_, i) => i + 1).filter(() => rng.next() < 0.3);
      const sim = simulate(c, C);
      assert.equal(sim.finalLive, c.base, `trial ${trial}`);
      assert.equal(relativePeak(prepare(c), C), sim.peakBytes - c.base, `trial ${trial}`);
      assert.ok(sim.peakBytes - c.base >= relativeLowerBound(c), 'lower bound holds');
      const last = C.length ? C[C.length - 1]! : 0;
      assert.equal(sim.recomputeCost, c.t!.slice(1, last + 1).reduce((x, y) => x + y, 0));
    }
  });

  it('store-all peaks at base + max(Σ_{j<i}(a+s) + fs[i], Σ(a+s) + loss, Σ_{j<=i}(a+s) + a[i] + b[i])', () => {
    for (let trial = 0; trial < 100; trial++) {
      const c = randomChain(1 + int(30), 'adversarial');
      let q = 0;
      let closed = 0;
      for (let i = 1; i <= c.n; i++) {
        closed = Math.max(closed, q + c.fs[i]!);
        q += c.a[i]! + c.s[i]!;
        closed = Math.max(closed, q + c.a[i]! + c.b[i]!);
      }
      closed = Math.max(closed, q + c.loss);
      const sim = simulate(c, storeAllPlan(c.n));
      assert.equal(sim.peakBytes, c.base + closed);
      assert.equal(sim.recomputeCost, 0);
    }
  });
});

describe('exact planners', () => {
  it('dp equals brute force (peak, then recompute cost) on random and adversarial chains', () => {
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + int(12);
      const c = randomChain(n, trial % 3 === 0 ? 'plain' : 'adversarial', trial % 5 !== 0);
      assert.deepEqual(score(c, planDp(c)), score(c, planBruteForce(c)), `trial ${trial}: ${JSON.stringify(c)}`);
    }
  });

  it('dp equals brute force at the brute-force limit', () => {
    for (const n of [16, BRUTE_FORCE_MAX_STAGES]) {
      const c = randomChain(n, 'adversarial');
      assert.deepEqual(score(c, planDp(c)), score(c, planBruteForce(c)), `n = ${n}`);
    }
    throwsInvalid(() => planBruteForce(randomChain(BRUTE_FORCE_MAX_STAGES + 1, 'plain')), /n <= 18/);
  });

  it('dp equals brute force on windows of real ResNet / MobileNet chains', () => {
    for (const [name, batch] of [['resnet56', 32], ['mobilenetv2-cifar', 16], ['mobilenetv3-small', 4], ['efficientnet-b0', 2]] as const) {
      const full = zooChain(name, batch, 7);
      for (const lo of [1, Math.floor(full.n / 3), full.n - 13]) {
        const c = window(full, lo, lo + 12);
        assert.deepEqual(score(c, planDp(c)), score(c, planBruteForce(c)), `${name} stages ${lo}..${lo + 12}`);
      }
    }
  });

  it('linear equals dp (peak, then recompute cost) on random, adversarial and real chains', () => {
    const cases: [string, Chain][] = [];
    for (let trial = 0; trial < 130; trial++) cases.push([`random ${trial}`, randomChain(1 + int(trial < 100 ? 40 : 300), trial % 3 === 0 ? 'plain' : 'adversarial')]);
    for (const name of ['resnet20', 'resnet56', 'mobilenetv2-cifar', 'resnet18', 'resnet50', 'mobilenetv2', 'mobilenetv3-small', 'efficientnet-b0']) {
      cases.push([name, zooChain(name, 8, 3)]);
    }
    for (const [what, c] of cases) {
      const dp = score(c, planDp(c));
      assert.deepEqual(score(c, planLinear(c)), dp, what);
      // The bisection path (what linear falls back to when the recurrence runs long) agrees too.
      assert.deepEqual(score(c, planLinear(c, { maxSteps: 0 })), dp, `${what} (bisection)`);
      // And the recurrence's own optimum is the objective's value of its own plan.
      const so = suffixOptimum(prepare(c))!;
      assert.equal(so.h[0]! + c.base, dp[0], what);
    }
  });

  it('the fast threshold tests agree with the quadratic one at every threshold', () => {
    for (let trial = 0; trial < 200; trial++) {
      const c = randomChain(2 + int(60), trial % 2 ? 'plain' : 'adversarial');
      const p = prepare(c);
      const tables = fastTables(p);
      const opt = suffixOptimum(p)!.h[0]!;
      for (const T of [opt - 1, opt, opt + 1, Math.floor(opt * rng.next()), Math.floor(opt * (1 + 2 * rng.next()))]) {
        const ref = planAtThreshold(p, T);
        const variants = {
          tree: planAtThresholdTree(p, tables, T),
          scan: planAtThresholdScan(p, tables, T),
          fast: planAtThresholdFast(p, tables, T),
          stopEarly: planAtThresholdFast(p, tables, T, { stopEarly: true }),
        };
        for (const [name, got] of Object.entries(variants)) {
          assert.notEqual(got, GAVE_UP);
          assert.equal(got === undefined, ref === undefined, `trial ${trial}, T = ${T}, ${name}`);
          if (got === undefined || got === GAVE_UP || ref === undefined) continue;
          assert.ok(relativePeak(p, got) <= T, `${name} plan fits T`);
          assert.equal(simulate(c, got).recomputeCost, simulate(c, ref).recomputeCost, `trial ${trial}, T = ${T}, ${name}`);
        }
        const gaveUp = planAtThresholdScan(p, tables, T, { maxSkips: 0 });
        if (gaveUp !== GAVE_UP) assert.equal(gaveUp === undefined, ref === undefined);
      }
    }
  });

  it('budget: least recompute cost among plans that fit, exact against brute force', () => {
    for (let trial = 0; trial < 150; trial++) {
      const n = 1 + int(11);
      const c = randomChain(n, trial % 2 ? 'plain' : 'adversarial');
      const all: [number, number][] = [];
      for (let mask = 0; mask < 1 << (n - 1); mask++) {
        all.push(score(c, Array.from({ length: n - 1 }, (_, i) => i + 1).filter((x) => mask & (1 << (x - 1)))));
      }
      const minPeak = Math.min(...all.map(([p]) => p));
      const maxPeak = Math.max(...all.map(([p]) => p));
      for (const budget of [minPeak, maxPeak, minPeak + int(maxPeak - minPeak + 1)]) {
        const want = Math.min(...all.filter(([p]) => p <= budget).map(([, r]) => r));
        const [peak, recompute] = score(c, planWithinBudget(c, budget));
        assert.ok(peak <= budget);
        assert.equal(recompute, want, `trial ${trial}, budget ${budget}`);
      }
      throwsInvalid(() => planWithinBudget(c, minPeak - 1), new RegExp(`least achievable peak is ${minPeak} bytes`));
    }
  });
});

describe('baselines and registry', () => {
  it('computes the baseline checkpoint sets', () => {
    assert.deepEqual(storeAllPlan(10), []);
    assert.deepEqual(sqrtPlan(10), [4, 8]); // ⌈√10⌉ = 4
    assert.deepEqual(sqrtPlan(16), [4, 8, 12]);
    assert.deepEqual(sqrtPlan(1), []);
    assert.deepEqual(uniformPlan(10, 3), [3, 6, 9]);
    assert.deepEqual(uniformPlan(10, 1), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(uniformPlan(10, 10), []);
    // checkpoint_sequential: 10 stages in 3 segments of 3 (the last takes the remainder).
    assert.deepEqual(sequentialPlan(10, 3), [3, 6]);
    assert.deepEqual(sequentialPlan(10, 1), []);
    assert.deepEqual(sequentialPlan(4, 4), [1, 2, 3]);
    throwsInvalid(() => uniformPlan(10, 0), /integer k >= 1/);
    throwsInvalid(() => sequentialPlan(3, 4), /needs at least 4 stages/);
  });

  it('parses planner specs and rejects unknown names and bad parameters', () => {
    const ps = parsePlanner('store-all, sqrt,uniform:4,sequential:3,dp,linear,budget:2MiB,brute');
    assert.deepEqual(ps.map((p) => p.name), ['store-all', 'sqrt', 'uniform:4', 'sequential:3', 'dp', 'linear', `budget:${2 * 1024 * 1024}`, 'brute']);
    assert.deepEqual(parsePlanner(['dp', 'uniform:2']).map((p) => p.name), ['dp', 'uniform:2']);
    throwsInvalid(() => parsePlanner('dp,magic'), /unknown checkpoint planner 'magic'.*uniform:<k>/);
    throwsInvalid(() => parsePlanner('uniform:0'), /k must be an integer >= 1, got '0'/);
    throwsInvalid(() => parsePlanner('uniform:x'), /k must be an integer >= 1, got 'x'/);
    throwsInvalid(() => parsePlanner('uniform'), /k must be an integer >= 1, got ''/);
    throwsInvalid(() => parsePlanner('sequential:-2'), /segment count must be an integer >= 1/);
    throwsInvalid(() => parsePlanner('dp:3'), /takes no parameter/);
    throwsInvalid(() => parsePlanner('budget:lots'), /byte count such as/);
    throwsInvalid(() => parsePlanner('dp,,linear'), /empty planner name/);
    throwsInvalid(() => planner(''), /unknown checkpoint planner/);
  });

  it('runs every planner and scores it with the objective; the exact ones are never beaten', () => {
    const c = zooChain('resnet56', 32, 5);
    const results = parsePlanner(`store-all,sqrt,uniform:4,sequential:3,dp,linear,budget:${simulate(c, []).peakBytes}`).map((p) => runPlanner(c, p));
    const best = Math.min(...results.map((r) => r.peakBytes));
    assert.equal(results.find((r) => r.planner === 'dp')!.peakBytes, best);
    assert.equal(results.find((r) => r.planner === 'linear')!.peakBytes, best);
    assert.ok(best < results[0]!.peakBytes, 'dp beats store-all on ResNet-56');
    // A budget as large as store-all's peak needs no recomputation.
    assert.equal(results[results.length - 1]!.recomputeCost, 0);
    for (const r of results) assert.deepEqual([r.peakBytes, r.recomputeCost], score(c, r.checkpoints), r.planner);
  });
});

describe('linearize', () => {
  /** Values live after node k: non-constant, available by then, read later or the output. */
  function liveAfter(g: Graph, k: number, constants: ReadonlySet<string>): string[] {
    const out = g.outputs[0]!.name;
    const avail = new Set([g.inputs[0]!.name, ...g.nodes.slice(0, k + 1).flatMap((nd) => nd.outputs)]);
    return [...avail].filter((v) => !constants.has(v) && (v === out || g.nodes.slice(k + 1).some((nd) => nd.inputs.includes(v))));
  }

  function constantsOf(g: Graph): Set<string> {
    const cs = new Set(g.initializers.keys());
    for (const nd of g.nodes) if (nd.inputs.every((v) => v === '' || cs.has(v))) nd.outputs.forEach((o) => cs.add(o));
    return cs;
  }

  // Exact counts for the ResNets: stem layers one stage each, two per block (the residual add,
  // then its ReLU), pool, flatten and classifier one each.
  const EXPECTED: Record<string, number> = {
    resnet20: 2 + 9 * 2 + 3,
    resnet56: 2 + 27 * 2 + 3,
    resnet18: 4 + 8 * 2 + 3,
    resnet50: 4 + 16 * 2 + 3,
  };

  for (const name of ['resnet20', 'resnet56', 'mobilenetv2-cifar', 'resnet18', 'resnet50', 'mobilenetv2', 'mobilenetv3-small', 'efficientnet-b0']) {
    it(`${name}: cuts only where a single tensor is live, at every residual block boundary`, () => {
      const g = zooGraph(name);
      const stages = linearize(g);
      const constants = constantsOf(g);
      if (EXPECTED[name] !== undefined) assert.equal(stages.length, EXPECTED[name], `${name} stage count`);
      else assert.ok(stages.length >= 20 && stages.length <= g.nodes.length, `${name}: ${stages.length} stages`);
      assert.equal(stages[0]!.input, g.inputs[0]!.name);
      assert.equal(stages[stages.length - 1]!.output, g.outputs[0]!.name);
      let pos = 0;
      stages.forEach((st, i) => {
        assert.equal(st.index, i + 1);
        assert.equal(st.start, pos, 'stages tile the node list');
        assert.ok(st.end > st.start);
        if (i > 0) assert.equal(st.input, stages[i - 1]!.output);
        assert.deepEqual(liveAfter(g, st.end - 1, constants), [st.output], `${name} stage ${i + 1} cut`);
        pos = st.end;
      });
      assert.equal(pos, g.nodes.length);
      // Every residual Add whose output is the only live tensor is a block boundary: it is cut.
      const outputs = new Set(stages.map((s) => s.output));
      for (let k = 0; k < g.nodes.length; k++) {
        const nd = g.nodes[k]!;
        if (nd.op === 'Add' && liveAfter(g, k, constants).length === 1) assert.ok(outputs.has(nd.outputs[0]!), `${name}: ${nd.name}`);
      }
      if (name.startsWith('resnet')) {
        const blocks = g.nodes.filter((nd) => nd.op === 'Add').length;
        assert.equal(stages.filter((s) => /(relu2|relu_out)_output$/.test(s.output)).length, blocks, 'one cut after every block');
      }
    });
  }

  it('lets constant subgraphs and dead code neither create nor block cuts', () => {
    const b = new GraphBuilder('consts', 1);
    const x = b.input('x', ['batch', 4]);
    const c1 = b.add1('Constant', [], { value: floatTensor([1], [2]) }, 'c1', [1]);
    const y = b.relu(x, 'relu');
    const shape = b.add1('Constant', [], { value: intTensor([2], [-1, 4]) }, 'shape', [2]);
    const c3 = b.mul(c1, c1, 'square'); // constant only
    b.relu(x, 'dead'); // read by nothing
    const z = b.mul(y, c3, 'scale');
    const w = b.add1('Reshape', [z, shape], { allowZero: false }, 'reshape', [1, 4]);
    const v = b.add1('Identity', [w], NO_ATTRS, 'id', [1, 4]);
    b.output(v, 'out');
    const g = b.build();
    const stages = linearize(g);
    assert.deepEqual(stages.map((s) => [s.input, s.output]), [['x', y], [y, z], [z, w], [w, 'out']]);
    assert.equal(stages[stages.length - 1]!.end, g.nodes.length);
  });

  it('measures per-stage activation bytes by shape inference', () => {
    const g = zooGraph('resnet20');
    const stages = linearize(g);
    const { a, s } = stageBytes(g, stages, [2, 3, 32, 32]);
    assert.equal(a.length, stages.length + 1);
    assert.equal(s.length, stages.length);
    assert.equal(a[0], 2 * 3 * 32 * 32 * 4);
    assert.equal(a[1], 2 * 16 * 32 * 32 * 4); // conv1
    assert.equal(a[stages.length], 2 * 10 * 4); // logits
    assert.equal(s[2], 3 * 2 * 16 * 32 * 32 * 4); // block: conv1, relu1, conv2 inside, add is x_3
  });
});
