import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arenaConflicts, planArena, type Lifetime } from '../src/runtime/arena.js';
import { Rng } from '../src/zoo/rng.js';

describe('arena planner', () => {
  it('never overlaps two buffers that are live at the same time (random lifetimes)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rng.next() * 40);
      const ls: Lifetime[] = Array.from({ length: n }, (_, i) => {
        const first = Math.floor(rng.next() * 30) - 1;
        const last = rng.next() < 0.1 ? Infinity : first + 1 + Math.floor(rng.next() * 8);
        return { id: `t${i}`, bytes: 1 + Math.floor(rng.next() * 100_000), first, last };
      });
      const plan = planArena(ls);
      assert.deepEqual(arenaConflicts(ls, plan), [], `trial ${trial}`);
      // Peak is at least the largest simultaneous demand and at most the sum of all buffers.
      const total = ls.reduce((s, l) => s + l.bytes, 0);
      assert.ok(plan.peakBytes <= total + 64 * n);
      for (let step = -1; step < 40; step++) {
        const live = ls.filter((l) => l.first <= step && step <= l.last).reduce((s, l) => s + l.bytes, 0);
        assert.ok(plan.peakBytes >= live, `step ${step}: peak ${plan.peakBytes} < live ${live}`);
      }
      for (const o of plan.offsets.values()) assert.equal(o % 64, 0, 'aligned');
    }
  });

  it('reuses memory along a chain: a linear network needs two buffers, not n', () => {
    const ls: Lifetime[] = Array.from({ length: 10 }, (_, i) => ({ id: `a${i}`, bytes: 1024, first: i - 1, last: i }));
    assert.equal(planArena(ls).peakBytes, 2048);
  });
});
