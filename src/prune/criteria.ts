/**
 * Scoring criteria, kept apart from the patterns that use them: a pattern decides *which groups*
 * compete (rows of a tile, weights of a layer, filters), a criterion decides *how much* each
 * candidate is worth.
 */
export type Criterion = 'l2' | 'l1' | 'magnitude';
export const CRITERIA: readonly Criterion[] = ['l2', 'l1', 'magnitude'];

/** Score of a set of weights: l2 norm, l1 norm, or largest magnitude. */
export function score(values: ArrayLike<number>, criterion: Criterion): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (criterion === 'l2') s += v * v;
    else if (criterion === 'l1') s += v;
    else s = Math.max(s, v);
  }
  return criterion === 'l2' ? Math.sqrt(s) : s;
}

/**
 * Indices of the `keep` highest scores (ties to the lower index, so results are deterministic),
 * returned in ascending index order.
 */
export function topIndices(scores: ArrayLike<number>, keep: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, keep).sort((a, b) => a - b);
}
