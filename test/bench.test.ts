/** measure() and the `sparsecnn bench --json` contract. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { measure, median, percentile } from '../src/bench/measure.js';
import { ROOT } from './helpers.js';

describe('measure', () => {
  it('runs the warm-up first, then at least `runs` timed runs', async () => {
    const phases: string[] = [];
    let calls = 0;
    const m = await measure(async () => void calls++, { warmup: 2, runs: 5, onRun: (_d, phase) => phases.push(phase) });
    assert.equal(calls, 7);
    assert.deepEqual(phases, ['warmup', 'warmup', 'timed', 'timed', 'timed', 'timed', 'timed']);
    assert.equal(m.runs, 5);
    assert.equal(m.samples.length, 5);
    assert.ok(m.medianMs >= 0 && m.p90Ms >= m.medianMs);
  });

  it('keeps timing until minSeconds have passed', async () => {
    const m = await measure(() => new Promise((r) => setTimeout(r, 2)), { warmup: 0, runs: 1, minSeconds: 0.03 });
    // Load-independent (a loaded machine may stretch one 2 ms timer past 30 ms): the timed runs
    // add up to at least minSeconds, and the last one is what crossed it.
    const total = m.samples.reduce((a, b) => a + b, 0);
    assert.ok(total >= 30, `${m.runs} runs, ${total} ms`);
    assert.ok(total - m.samples[m.samples.length - 1]! < 30, `kept timing after ${total} ms`);
    assert.equal(m.samples.length, m.runs);
  });

  it('median and nearest-rank p90', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
    assert.equal(percentile([7], 0.9), 7);
  });
});

describe('sparsecnn bench', () => {
  it('--json prints {model, batch, threads, engines, ratios} with sparsecnn first', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sparsecnn.js'), 'bench', 'resnet20', '--runs', '2', '--warmup', '1', '--backend', 'ref', '--json'], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one JSON line on stdout');
    const j = JSON.parse(lines[0]!) as { model: string; batch: number; threads: number; engines: { name: string; medianMs: number; p90Ms: number; maxAbsDiff?: number }[]; ratios: Record<string, number> };
    assert.deepEqual(Object.keys(j), ['model', 'batch', 'threads', 'engines', 'ratios']);
    assert.equal(j.model, 'resnet20');
    assert.equal(j.batch, 1);
    assert.equal(j.threads, 1);
    assert.equal(j.engines[0]!.name, 'sparsecnn');
    for (const e of j.engines) assert.ok(e.medianMs > 0 && e.p90Ms >= e.medianMs, `${e.name} times`);
    const peers = j.engines.slice(1);
    assert.deepEqual(Object.keys(j.ratios), peers.map((e) => e.name));
    for (const e of peers) {
      assert.ok(['onnxruntime-node', 'onnxruntime-web', 'tfjs-wasm'].includes(e.name));
      assert.ok(e.maxAbsDiff !== undefined && e.maxAbsDiff < 1e-3, `${e.name} agrees`);
      assert.ok(Math.abs(j.ratios[e.name]! - e.medianMs / j.engines[0]!.medianMs) < 1e-9);
    }
  });

  it('rejects an unknown peer in one line', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sparsecnn.js'), 'bench', 'resnet20', '--vs', 'onnxruntime-node,torch'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim(), /^sparsecnn: error: unknown peer 'torch' for --vs/);
    assert.equal(r.stdout, '');
  });
});
