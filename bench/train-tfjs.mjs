#!/usr/bin/env node
/**
 * Peer baseline for training throughput: ResNet-20 for CIFAR-10 trained with TensorFlow.js
 * (tfjs-core ops + optimizer.minimize, NHWC), batch 64 of random 32x32x3 images (fixed seed),
 * softmax cross-entropy, SGD with momentum 0.9. Reports training images/s (forward + backward +
 * update) from the median step time after warm-up.
 *
 *   node bench/train-tfjs.mjs [--backend wasm,cpu] [--threads 1,2] [--model folded|bn]
 *                             [--conv-grad dw,all] [--steps 10] [--warmup 3] [--min-seconds 20]
 *                             [--loss-steps 20] [--batch 64] [--lr 0.01] [--no-profile] [--out FILE.md]
 *
 * Model (He et al. 2016, the akamaster/pytorch_resnet_cifar10 variant): conv3x3 3→16, three stages
 * of 3 BasicBlocks (16/32/64 channels, stride 2 at the start of stages 2 and 3), option-A shortcut
 * (x[:, ::2, ::2] + zero channel padding of planes/4 on each side), global average pool, dense 64→10.
 *   --model folded (default): every conv has a bias and there is no BatchNorm, i.e. BN folded into
 *                             the convs: exactly what our trainer trains on the pretrained model.
 *   --model bn:               conv without bias + BatchNorm in training mode (batch statistics,
 *                             trainable gamma/beta; running statistics are not updated).
 *
 * --conv-grad picks how the convolutions' gradients are computed (a list runs each):
 *   shipped  tfjs's own gradients: Conv2DBackpropInput + Conv2DBackpropFilter kernels. On wasm a
 *            step fails (Conv2DBackpropFilter is not registered); on cpu Conv2DBackpropFilter is a
 *            scalar TensorBuffer loop, minutes per step at batch 64.
 *   dw       only the filter gradient replaced (tf.customGrad): dW = conv2d(x with batch and
 *            channels swapped, dy as the filter dilated by the stride), i.e. the forward Conv2D
 *            kernel; input gradient = the backend's Conv2DBackpropInput.
 *   all      both replaced: also dx = conv2d(dy zero-dilated by the stride, W flipped in space with
 *            in/out channels swapped). On wasm both then run on XNNPACK's forward convolution,
 *            instead of tfjs-wasm's scalar Conv2DBackpropInput loop.
 *
 * Every configuration runs in its own child process (tfjs-backend-wasm fixes its thread count when
 * the backend starts), one after another. Each child also:
 *   - (wasm) lists the kernels one shipped training step needs (tf.profile on the cpu backend) and
 *     which of them the wasm backend does not register, and runs one shipped step to record the
 *     error tfjs throws;
 *   - (dw, all) checks the composed dx and dW on its backend against the cpu backend's shipped
 *     Conv2DBackpropInput/Conv2DBackpropFilter on small cases (stride 1 and 2, even and odd sizes);
 *   - checks the loss decreases over --loss-steps steps (default 20) on its fixed batch.
 * Output: one JSON line per configuration {peer, backend, threads, batch, imagesPerSec,
 * stepMsMedian, steps, note, ...} and a Markdown table (also written to --out).
 */
import { spawn } from 'node:child_process';
import { scriptArgs } from '../scripts/script-args.mjs';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);
const { values: parsed } = scriptArgs(import.meta.url, { options: { backend: { type: 'string' }, threads: { type: 'string' }, model: { type: 'string' }, 'conv-grad': { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' }, 'min-seconds': { type: 'string' }, 'max-steps': { type: 'string' }, 'loss-steps': { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, out: { type: 'string' }, 'no-profile': { type: 'boolean' }, child: { type: 'boolean' } } });
const opt = (name, def) => parsed[name.slice(2)] ?? def;
const BACKENDS = opt('--backend', 'wasm,cpu').split(',').filter(Boolean);
const THREADS = opt('--threads', '1,2').split(',').map(Number);
const MODEL = opt('--model', 'folded');
const CONV_GRADS = opt('--conv-grad', 'dw,all').split(',').filter(Boolean);
const STEPS = Number(opt('--steps', '10'));
const WARMUP = Number(opt('--warmup', '3'));
const MIN_SECONDS = Number(opt('--min-seconds', '20'));
const MAX_STEPS = Number(opt('--max-steps', '200'));
const LOSS_STEPS = Number(opt('--loss-steps', '20'));
const BATCH = Number(opt('--batch', '64'));
const LR = Number(opt('--lr', '0.01'));
const OUT = opt('--out', '');
/** After timing, profile one more step per kernel (tf.profile) unless --no-profile. */
const PROFILE = parsed['no-profile'] !== true;
const SEED = 1234;

if (MODEL !== 'folded' && MODEL !== 'bn') throw new Error(`--model must be folded or bn, got ${MODEL}`);
for (const b of BACKENDS) if (b !== 'wasm' && b !== 'cpu') throw new Error(`--backend takes wasm and/or cpu, got ${b}`);
for (const g of CONV_GRADS) if (!['shipped', 'dw', 'all'].includes(g)) throw new Error(`--conv-grad takes shipped, dw and/or all, got ${g}`);

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Child: one (backend, threads, conv-grad) configuration.
// ---------------------------------------------------------------------------------------------
async function child(backendName, threads, convGrad) {
  const tf = await import('@tensorflow/tfjs-core');
  // tfjs-core's Node bundle registers no gradient functions (its register_all_gradients module is
  // ESM-only with extensionless imports, not loadable by Node); the @tensorflow/tfjs union
  // package's Node bundle registers them in the global registry tfjs-core uses. Only that side
  // effect is used: the model is built from tfjs-core ops.
  await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.enableProdMode();
  const log = (...a) => console.error(`[${backendName}/${threads}t/${convGrad}]`, ...a);
  const result = { peer: `tfjs-${backendName}`, backend: backendName, threads, batch: BATCH, imagesPerSec: null, stepMsMedian: null, steps: 0, note: '', model: MODEL, convGrad };
  const notes = [];
  const emit = () => {
    result.note = notes.join('; ');
    console.log(`RESULT ${JSON.stringify(result)}`);
  };

  /** Seeded uniform PRNG (mulberry32) for the labels. */
  const rng = (seed) => () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]];

  // ---- conv gradients composed of the forward Conv2D kernel (3x3, pad 1, stride s) ----
  /** dW[kh,kw,ci,co] = Σ_{n,ho,wo} xpad[n, s·ho+kh, s·wo+kw, ci] · dy[n,ho,wo,co]: a valid conv of
   *  x^T ([ci,H,W,n]: batch as channels) with dy^T ([ho,wo,n,co]) dilated by s as the filter. */
  function filterGrad(x, dy, wShape, s) {
    return tf.tidy(() => {
      const [, h, w, ci] = x.shape;
      const [, ho, wo, co] = dy.shape;
      const out = tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, [[0, 0], [1, 1 + s * ho - h], [1, 1 + s * wo - w], [0, 0]], 'NHWC', s);
      const sliced = out.shape[1] === wShape[0] && out.shape[2] === wShape[1] ? out : tf.slice(out, [0, 0, 0, 0], [ci, wShape[0], wShape[1], co]);
      return tf.transpose(sliced, [1, 2, 0, 3]);
    });
  }
  /** dx = conv2d(dy zero-dilated by s, W flipped in space with in/out channels swapped, pad 1). */
  function inputGrad(dy, w, xShape, s) {
    return tf.tidy(() => {
      const [n, ho, wo, co] = dy.shape;
      let d = dy;
      if (s === 2) d = tf.reshape(tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, co]), [[0, 0], [0, 0], [0, 1], [0, 0], [0, 1], [0, 0]]), [n, 2 * ho, 2 * wo, co]);
      else if (s !== 1) throw new Error(`stride ${s}`);
      const dx = tf.conv2d(d, tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]), 1, PAD1);
      return dx.shape[1] === xShape[1] && dx.shape[2] === xShape[2] ? dx : tf.slice(dx, [0, 0, 0, 0], xShape);
    });
  }
  const dxOf = (mode, dy, w, xShape, s) => (mode === 'all' ? inputGrad(dy, w, xShape, s) : tf.conv2dTranspose(dy, w, xShape, s, PAD1));
  /** conv (+ bias) with the composed gradients. */
  const customConv = (mode, s, withBias) =>
    withBias
      ? tf.customGrad((x, w, b, save) => {
          save([x, w]);
          return {
            value: tf.fused.conv2d({ x, filter: w, strides: s, pad: PAD1, bias: b, activation: 'linear' }),
            gradFunc: (dy, [xs, ws]) => [dxOf(mode, dy, ws, xs.shape, s), filterGrad(xs, dy, ws.shape, s), tf.sum(dy, [0, 1, 2])],
          };
        })
      : tf.customGrad((x, w, save) => {
          save([x, w]);
          return { value: tf.conv2d(x, w, s, PAD1), gradFunc: (dy, [xs, ws]) => [dxOf(mode, dy, ws, xs.shape, s), filterGrad(xs, dy, ws.shape, s)] };
        });

  // ---- the model ----
  function buildModel(model, mode, batch) {
    let seed = SEED;
    const vars = [];
    const v = (t, name) => {
      const x = tf.variable(t, true, `${name}_${vars.length}`);
      vars.push(x);
      return x;
    };
    const conv = (ci, co, stride, scale = 1) => {
      // He (kaiming normal, fan_in) init as in akamaster's _weights_init.
      const L = { stride, w: v(tf.mul(tf.randomNormal([3, 3, ci, co], 0, Math.sqrt(2 / (9 * ci)), 'float32', seed++), scale), 'w') };
      if (model === 'folded') L.b = v(tf.zeros([co]), 'b');
      else {
        L.gamma = v(tf.ones([co]), 'gamma');
        L.beta = v(tf.zeros([co]), 'beta');
      }
      if (mode !== 'shipped') L.fn = customConv(mode, stride, model === 'folded');
      return L;
    };
    // Without normalisation a random init blows up the residual sum: scale the last conv of each
    // residual branch down (Fixup-style, 9 blocks → 1/3). Throughput does not depend on it.
    const branchScale = model === 'folded' ? 1 / 3 : 1;
    const stem = conv(3, 16, 1);
    const blocks = [];
    let cin = 16;
    for (const [planes, stride0] of [[16, 1], [32, 2], [64, 2]]) {
      for (let b = 0; b < 3; b++) {
        const stride = b === 0 ? stride0 : 1;
        blocks.push({ c1: conv(cin, planes, stride), c2: conv(planes, planes, 1, branchScale), padC: stride !== 1 || cin !== planes ? (planes - cin) / 2 : -1 });
        cin = planes;
      }
    }
    const fcW = v(tf.randomNormal([64, 10], 0, Math.sqrt(1 / 64), 'float32', seed++), 'fcw');
    const fcB = v(tf.zeros([10]), 'fcb');

    const applyConv = (L, x, relu) => {
      let y;
      if (L.fn) y = L.b ? L.fn(x, L.w, L.b) : L.fn(x, L.w);
      else if (L.b) y = tf.fused.conv2d({ x, filter: L.w, strides: L.stride, pad: PAD1, bias: L.b, activation: 'linear' });
      else y = tf.conv2d(x, L.w, L.stride, PAD1);
      if (L.gamma) {
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        y = tf.batchNorm(y, mean, variance, L.beta, L.gamma, 1e-5);
      }
      return relu ? tf.relu(y) : y;
    };
    /** Option A: x[:, ::2, ::2], then zero-pad channels by p on each side. tfjs-core has no
     *  gradient for StridedSlice, so the subsampling is reshape + Slice (gradient: Pad). */
    const shortcutA = (x, p) => {
      const [n, h, w, c] = x.shape;
      // Rank 4 throughout: tfjs-wasm's Slice of a rank-5 tensor is a slow generic path.
      const sub = tf.reshape(tf.slice(tf.reshape(x, [n * (h / 2), 2, w / 2, 2 * c]), [0, 0, 0, 0], [n * (h / 2), 1, w / 2, c]), [n, h / 2, w / 2, c]);
      return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [p, p]]);
    };
    const forward = (x) => {
      let h = applyConv(stem, x, true);
      for (const B of blocks) {
        const y = applyConv(B.c2, applyConv(B.c1, h, true), false);
        h = tf.relu(tf.add(y, B.padC >= 0 ? shortcutA(h, B.padC) : h));
      }
      return tf.add(tf.matMul(tf.mean(h, [1, 2]), fcW), fcB);
    };
    const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', SEED + 1000);
    const r = rng(SEED + 2000);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, () => Math.floor(r() * 10)), 'int32'), 10));
    const loss = () => tf.losses.softmaxCrossEntropy(labels, forward(x));
    const optimizer = tf.train.momentum(LR, 0.9);
    return {
      step: () => optimizer.minimize(loss, true, vars),
      dispose: () => {
        for (const t of [...vars, x, labels]) t.dispose();
        optimizer.dispose();
      },
      nParams: vars.reduce((s, t) => s + t.size, 0),
    };
  }

  // ---- wasm threads: settle first (the backend fixes them when it starts) ----
  if (backendName === 'wasm') {
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to start');
    await tf.ready();
    result.version = wasm.version_wasm;
    result.threadsActual = wasm.getThreadsCount();
    result.wasmSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    result.wasmMultithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    log(`wasm backend: simd=${result.wasmSimd} multithread=${result.wasmMultithread}; threads asked ${threads}, got ${result.threadsActual}`);
    if (result.threadsActual !== threads) {
      notes.push(`not run: asked ${threads} threads, the backend runs on ${result.threadsActual}. tfjs-backend-wasm sets WASM_HAS_MULTITHREAD_SUPPORT=false whenever IS_NODE (tfjs#3830), so Node always gets the single-threaded SIMD binary; forcing the flag fails at init with ERR_WORKER_PATH (Node's worker_threads cannot load the blob: URL the backend gives its pthread workers)`);
      return emit();
    }
  } else {
    result.version = tf.version_core;
    result.threadsActual = 1;
  }

  // ---- on cpu: the kernel inventory (wasm) and the reference conv gradients (composed modes) ----
  await tf.setBackend('cpu');
  await tf.ready();
  if (backendName === 'wasm') {
    const tp = performance.now();
    const m = buildModel(MODEL, 'shipped', 1); // the set of kernels does not depend on the batch
    const prof = await tf.profile(() => m.step());
    m.dispose();
    // kernelNames also lists customGrad-wrapped ops (e.g. fusedConv2d__op): keep real kernels.
    const needed = [...new Set(prof.kernelNames)].filter((k) => tf.getKernel(k, 'cpu') != null).sort();
    const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    result.kernelsNeeded = needed;
    result.kernelsMissingOnWasm = needed.filter((k) => !wasmKernels.has(k));
    log(`one shipped training step (${MODEL}) uses ${needed.length} kernels: ${needed.join(' ')} (profiled on cpu in ${((performance.now() - tp) / 1000).toFixed(1)} s)`);
    log(`of those, not registered by tfjs-backend-wasm: ${result.kernelsMissingOnWasm.join(' ') || '(none)'}`);
  }
  const refCases = [];
  if (convGrad !== 'shipped') {
    for (const [n, h, ci, co, s] of [[2, 8, 3, 5, 1], [2, 8, 4, 6, 2], [3, 7, 2, 3, 2], [2, 5, 3, 4, 1]]) {
      const [x, w, dy, dx, dw] = tf.tidy(() => {
        const x = tf.randomNormal([n, h, h, ci], 0, 1, 'float32', 7 + h + s);
        const w = tf.randomNormal([3, 3, ci, co], 0, 1, 'float32', 8 + h + s);
        const dy = tf.randomNormal(tf.conv2d(x, w, s, PAD1).shape, 0, 1, 'float32', 9 + h + s);
        const [dx, dw] = tf.grads((xv, wv) => tf.sum(tf.mul(tf.conv2d(xv, wv, s, PAD1), dy)))([x, w]); // cpu Conv2DBackpropInput/Filter
        return [x, w, dy, dx, dw];
      });
      refCases.push({ x: await x.array(), w: await w.array(), dy: await dy.array(), s, dx: await dx.data(), dw: await dw.data() });
      tf.dispose([x, w, dy, dx, dw]);
    }
  }
  await tf.setBackend(backendName);
  await tf.ready();

  // ---- wasm: one step as tfjs ships it ----
  if (backendName === 'wasm') {
    const m = buildModel(MODEL, 'shipped', 2);
    try {
      const c = m.step();
      await c.data();
      c.dispose();
      result.shippedStep = 'ok';
      log('a shipped training step runs on wasm');
    } catch (e) {
      result.shippedStep = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      log(`a shipped training step fails on wasm: ${result.shippedStep}`);
    }
    m.dispose();
    if (convGrad === 'shipped' && result.shippedStep !== 'ok') {
      notes.push(`not run: ${result.shippedStep} (the only kernel a training step needs that wasm lacks: ${result.kernelsMissingOnWasm.join(', ')})`);
      return emit();
    }
  }

  // ---- composed gradients: check against the cpu backend's shipped kernels ----
  if (convGrad !== 'shipped') {
    let errDx = 0;
    let errDw = 0;
    const relErr = (got, ref) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < ref.length; i++) {
        num = Math.max(num, Math.abs(got[i] - ref[i]));
        den = Math.max(den, Math.abs(ref[i]));
      }
      return got.length === ref.length ? num / den : Infinity;
    };
    for (const c of refCases) {
      const [dx, dw] = tf.tidy(() => {
        const x = tf.tensor(c.x);
        const w = tf.tensor(c.w);
        const dy = tf.tensor(c.dy);
        return [dxOf(convGrad, dy, w, x.shape, c.s), filterGrad(x, dy, w.shape, c.s)];
      });
      errDx = Math.max(errDx, relErr(await dx.data(), c.dx));
      errDw = Math.max(errDw, relErr(await dw.data(), c.dw));
      tf.dispose([dx, dw]);
    }
    result.convGradCheck = { cases: refCases.length, dxMaxRelErr: +errDx.toExponential(2), dwMaxRelErr: +errDw.toExponential(2) };
    log(`conv gradients on ${backendName} vs cpu's shipped Conv2DBackpropInput/Filter (${refCases.length} cases, stride 1 and 2): dx max|diff|/max|ref| ${errDx.toExponential(2)}, dW ${errDw.toExponential(2)}`);
    if (!(errDx < 1e-4 && errDw < 1e-4)) throw new Error('composed conv gradients disagree with the cpu backend');
    const dxHow = convGrad === 'all' ? 'dx = Conv2D of the dilated dy with the flipped filter' : `dx = ${backendName}'s Conv2DBackpropInput`;
    notes.push(`conv gradients composed: dW = Conv2D(x^T, dy^T)${backendName === 'wasm' ? ' (wasm has no Conv2DBackpropFilter)' : ''}, ${dxHow}`);
  } else if (backendName === 'cpu') notes.push("tfjs's own conv gradients (cpu Conv2DBackpropFilter is a scalar TensorBuffer loop)");

  // ---- timed training on the fixed batch ----
  const m = buildModel(MODEL, convGrad, BATCH);
  result.nParams = m.nParams;
  const losses = [];
  const times = [];
  let tTimed = 0;
  let tensorsAfterWarmup = -1;
  const timingDone = () => times.length >= MAX_STEPS || (times.length >= STEPS && performance.now() - tTimed >= MIN_SECONDS * 1000);
  for (let i = 0; ; i++) {
    if (i === WARMUP) {
      tTimed = performance.now();
      tensorsAfterWarmup = tf.memory().numTensors; // after the optimizer made its momentum slots
    }
    const timed = i >= WARMUP && !timingDone();
    if (i >= WARMUP && !timed && losses.length >= LOSS_STEPS) break;
    const s = performance.now();
    const c = m.step();
    const l = (await c.data())[0];
    const dt = performance.now() - s;
    c.dispose();
    losses.push(l);
    if (timed) times.push(dt);
    if (i < 3 || i % 5 === 0 || i === LOSS_STEPS - 1) log(`step ${i}: loss ${l.toFixed(4)}, ${dt.toFixed(0)} ms${i < WARMUP ? ' (warm-up)' : timed ? '' : ' (untimed, loss check only)'}`);
  }
  const leaked = tensorsAfterWarmup >= 0 ? tf.memory().numTensors - tensorsAfterWarmup : 0;
  if (PROFILE) {
    const prof = await tf.profile(() => m.step());
    const agg = new Map();
    // prof.kernels also holds customGrad-wrapped ops (their time includes their kernels): skip them.
    for (const k of prof.kernels) if (tf.getKernel(k.name, backendName) != null) agg.set(k.name, (agg.get(k.name) ?? 0) + (await k.kernelTimeMs));
    if (process.env.TRAIN_TFJS_DEBUG) for (const k of prof.kernels) if (k.name === process.env.TRAIN_TFJS_DEBUG) log(k.name, JSON.stringify(k.inputShapes), JSON.stringify(k.outputShapes), await k.kernelTimeMs);
    const total = [...agg.values()].reduce((a, b) => a + b, 0);
    result.kernelMs = Object.fromEntries([...agg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, t]) => [k, round1(t)]));
    result.kernelMsTotal = round1(total);
    log(`one profiled step: ${round1(total)} ms in ${prof.kernels.length} kernel calls; top: ${Object.entries(result.kernelMs).map(([k, t]) => `${k} ${t}`).join(', ')}`);
  }
  m.dispose();
  const stepMs = median(times);
  const ips = (BATCH / stepMs) * 1000;
  result.imagesPerSec = ips >= 10 ? round1(ips) : +ips.toPrecision(2);
  result.stepMsMedian = round1(stepMs);
  result.stepMsMin = round1(Math.min(...times));
  result.stepMsMax = round1(Math.max(...times));
  result.steps = times.length;
  result.warmup = WARMUP;
  const n = Math.min(LOSS_STEPS, losses.length);
  result.lossCheck = { steps: n, first: +losses[0].toFixed(4), last: +losses[n - 1].toFixed(4), decreased: n > 1 ? losses[n - 1] < losses[0] * 0.9 && losses.every(Number.isFinite) : null };
  if (n > 1) log(`loss check on the fixed batch: step 0 ${losses[0].toFixed(4)} → step ${n - 1} ${losses[n - 1].toFixed(4)}: ${result.lossCheck.decreased ? 'decreases (gradients OK)' : 'DOES NOT DECREASE by 10%'}`);
  if (leaked > 0 && WARMUP > 0) notes.push(`${leaked} tensors leaked over ${losses.length - WARMUP} steps`);
  if (backendName === 'cpu') notes.push('tfjs-backend-cpu is single-threaded JavaScript');
  emit();
}

// ---------------------------------------------------------------------------------------------
// Parent: each configuration in its own process, one after another.
// ---------------------------------------------------------------------------------------------
function runChild(backend, threads, convGrad) {
  return new Promise((resolve) => {
    const pass = [...(PROFILE ? [] : ['--no-profile']), '--model', MODEL, '--steps', STEPS, '--warmup', WARMUP, '--min-seconds', MIN_SECONDS, '--max-steps', MAX_STEPS, '--loss-steps', LOSS_STEPS, '--batch', BATCH, '--lr', LR].map(String);
    const p = spawn(process.execPath, [SELF, '--child', '--backend', backend, '--threads', String(threads), '--conv-grad', convGrad, ...pass], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)));
      else resolve({ peer: `tfjs-${backend}`, backend, threads, batch: BATCH, imagesPerSec: null, stepMsMedian: null, steps: 0, note: `child exited with ${code}`, model: MODEL, convGrad });
    });
  });
}

async function parent() {
  const rows = [];
  const t0 = Date.now();
  for (const backend of BACKENDS) {
    for (const threads of THREADS) {
      for (const convGrad of CONV_GRADS) {
        let r;
        if (backend === 'cpu' && threads !== 1) r = { peer: 'tfjs-cpu', backend, threads, batch: BATCH, imagesPerSec: null, stepMsMedian: null, steps: 0, note: 'not run: tfjs-backend-cpu is single-threaded JavaScript', model: MODEL, convGrad };
        else r = await runChild(backend, threads, convGrad);
        // One line is enough for a thread count the backend cannot give.
        const skipRest = r.imagesPerSec === null && /^not run: (asked|tfjs-backend-cpu is single)/.test(r.note);
        if (skipRest) r.convGrad = CONV_GRADS.join(',');
        console.log(JSON.stringify(r));
        rows.push(r);
        if (skipRest) break;
      }
    }
  }
  const cpu = cpus();
  const header = [
    `ResNet-20 / CIFAR-10 training throughput, TensorFlow.js peers (${MODEL === 'folded' ? 'BN folded: conv with bias, no BN' : 'conv + BatchNorm in training mode'}), batch ${BATCH}, random 32x32x3 inputs, softmax cross-entropy, SGD momentum 0.9, lr ${LR}`,
    `node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? '?'}; warm-up ${WARMUP} steps, then the median of ≥ ${STEPS} steps and ≥ ${MIN_SECONDS} s; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
    `command: node bench/train-tfjs.mjs ${argv.join(' ')}`,
  ];
  const table = [
    '| peer | conv grads | threads | images/s | step ms (median) | min–max ms | timed steps | loss: first → last (steps) | note |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
    ...rows.map((r) => `| ${r.peer} ${r.version ?? ''} | ${r.convGrad} | ${r.threads} | ${r.imagesPerSec ?? '—'} | ${r.stepMsMedian ?? '—'} | ${r.stepMsMin != null ? `${r.stepMsMin}–${r.stepMsMax}` : '—'} | ${r.steps} | ${r.lossCheck ? `${r.lossCheck.first} → ${r.lossCheck.last} (${r.lossCheck.steps})${r.lossCheck.decreased === null ? '' : r.lossCheck.decreased ? ' ✓' : ' ✗'}` : '—'} | ${r.note || ''} |`),
  ];
  const md = [...header.map((l) => `${l}  `), '', ...table, ''].join('\n');
  console.log('\n' + md);
  if (OUT) {
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, md);
  }
}

if (parsed.child === true) await child(BACKENDS[0], THREADS[0], CONV_GRADS[0]);
else await parent();
