#!/usr/bin/env node
// Planner speed: `linear` on 1,000-stage chains and `dp` on 200-stage chains (median of repeated
// runs after warm-up). Build first (npx tsc -p tsconfig.json), then: node bench/plan-speed.mjs
import { planDp, planLinear, simulate } from '../dist/src/plan/index.js';
import { defaultMaxSteps, suffixOptimum } from '../dist/src/plan/linear.js';
import { prepare } from '../dist/src/plan/segments.js';

/** mulberry32: seeded, so every run plans the same chains. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chainOf(n, stage, extra = {}) {
  const a = [extra.a0 ?? 1 << 20], s = [0], fn = [0], fs = [0], b = [0];
  for (let i = 1; i <= n; i++) {
    const q = stage(i);
    a.push(q.a); s.push(q.s); fn.push(q.a + q.fn); fs.push(q.a + q.s + q.fs); b.push(q.b);
  }
  return { n, base: 64 << 20, a, s, fn, fs, b, loss: a[n] + (extra.loss ?? 4096) };
}

/** A deep ResNet: 4 resolutions, activations halve at each, saved data ~2 activations, ~1 transient. */
function resnetLike(n) {
  return chainOf(n, (i) => {
    const x = (8 << 20) >> Math.floor((4 * (i - 1)) / n);
    return { a: x, s: 2 * x, fn: x, fs: x / 2, b: 2 * x };
  });
}

function randomChain(n, seed, opts = {}) {
  const r = rng(seed);
  const u = (k) => Math.floor(r() * k);
  return chainOf(n, () => {
    const x = 4096 + u(4 << 20);
    return { a: x, s: u(8 << 20), fn: u(1 << 20) + (r() < 0.01 ? opts.spike ?? 0 : 0), fs: u(1 << 20), b: u(12 << 20) };
  }, opts);
}

/** Every other stage has a huge output, so many left ends fail only the recompute bound. */
function alternating(n) {
  return chainOf(n, (i) => (i % 2 ? { a: 64 << 20, s: 0, fn: 0, fs: 0, b: 0 } : { a: 4096, s: 1 << 20, fn: 0, fs: 0, b: 1 << 20 }));
}

/**
 * Growing outputs, a loss transient that dominates, and one save-mode transient just below it in
 * the middle: left ends before it stay alive but fail the recompute bound, the scan's worst case.
 */
function midTransient(n) {
  const L = 2 ** 33;
  return chainOf(n, (i) => ({ a: 1024 * i, s: 1 << 17, fn: 0, fs: i === n / 2 ? L - (1 << 28) : 0, b: 1 << 17 }), { loss: L });
}

function median(f, reps) {
  for (let i = 0; i < 5; i++) f();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

const cases1000 = [
  ['resnet-like', resnetLike(1000)],
  ['random', randomChain(1000, 1)],
  ['random, 1% huge forward transients', randomChain(1000, 2, { spike: 1 << 30 })],
  ['loss transient dwarfs activations', randomChain(1000, 3, { loss: 2 ** 34 })],
  ['alternating huge/small outputs', alternating(1000)],
  ['save-mode transient mid-chain', midTransient(1000)],
];
console.log('linear, n = 1000 (median of 50 runs):');
for (const [name, chain] of cases1000) {
  const ms = median(() => planLinear(chain), 50);
  const peak = simulate(chain, planLinear(chain)).peakBytes;
  const p = prepare(chain);
  const so = suffixOptimum(p, defaultMaxSteps(p.n));
  const path = so === undefined ? 'bisection (recurrence over budget)' : `recurrence, ${(so.steps / p.n).toFixed(1)} steps/stage`;
  const t0 = performance.now();
  const dpPeak = simulate(chain, planDp(chain)).peakBytes;
  const dpMs = performance.now() - t0;
  console.log(`  ${name.padEnd(38)} ${ms.toFixed(2).padStart(7)} ms   peak ${(peak / 2 ** 20).toFixed(1).padStart(7)} MiB   ${path}; dp ${dpPeak === peak ? 'agrees' : 'DISAGREES'} (${dpMs.toFixed(0)} ms)`);
}
console.log('dp, n = 200 (median of 5 runs):');
for (const [name, chain] of [['resnet-like', resnetLike(200)], ['random', randomChain(200, 4)], ['loss transient dwarfs activations', randomChain(200, 5, { loss: 2 ** 34 })]]) {
  const ms = median(() => planDp(chain), 5);
  const same = simulate(chain, planDp(chain)).peakBytes === simulate(chain, planLinear(chain)).peakBytes;
  console.log(`  ${name.padEnd(38)} ${ms.toFixed(2).padStart(7)} ms   linear agrees: ${same}`);
}
