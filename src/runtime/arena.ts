/**
 * Static memory planning: every intermediate tensor gets an offset in one arena, assigned before
 * anything runs, so peak memory is known at compile time.
 *
 * Greedy by size (as TFLite's arena planner): place buffers largest first, each at the lowest
 * offset where it overlaps no already-placed buffer whose lifetime [first, last] (step indices,
 * inclusive) intersects its own. Offsets are aligned to `align` bytes (a cache line).
 */
export interface Lifetime {
  readonly id: string;
  readonly bytes: number;
  /** Step that writes it first (-1: live before the first step, e.g. a graph input). */
  readonly first: number;
  /** Step that reads it last (Infinity: live after the last step, e.g. a graph output). */
  readonly last: number;
}

export interface ArenaPlan {
  readonly offsets: ReadonlyMap<string, number>;
  /** Bytes the arena needs: max over buffers of offset + bytes. */
  readonly peakBytes: number;
}

export const ARENA_ALIGN = 64;

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function planArena(lifetimes: readonly Lifetime[], align = ARENA_ALIGN): ArenaPlan {
  const order = [...lifetimes].sort((a, b) => b.bytes - a.bytes || a.first - b.first || (a.id < b.id ? -1 : 1));
  const placed: { lo: number; hi: number; first: number; last: number }[] = [];
  const offsets = new Map<string, number>();
  let peak = 0;
  for (const t of order) {
    const size = alignUp(Math.max(t.bytes, 1), align);
    const busy = placed.filter((p) => p.first <= t.last && t.first <= p.last).sort((a, b) => a.lo - b.lo);
    let offset = 0;
    for (const p of busy) {
      if (offset + size <= p.lo) break;
      offset = Math.max(offset, p.hi);
    }
    placed.push({ lo: offset, hi: offset + size, first: t.first, last: t.last });
    offsets.set(t.id, offset);
    peak = Math.max(peak, offset + t.bytes);
  }
  return { offsets, peakBytes: peak };
}

/** Pairs of buffers that are live at the same time and share bytes (must be empty). */
export function arenaConflicts(lifetimes: readonly Lifetime[], plan: ArenaPlan): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < lifetimes.length; i++) {
    for (let j = i + 1; j < lifetimes.length; j++) {
      const a = lifetimes[i]!;
      const b = lifetimes[j]!;
      if (a.first > b.last || b.first > a.last) continue;
      const ao = plan.offsets.get(a.id)!;
      const bo = plan.offsets.get(b.id)!;
      if (ao < bo + b.bytes && bo < ao + a.bytes) out.push([a.id, b.id]);
    }
  }
  return out;
}
