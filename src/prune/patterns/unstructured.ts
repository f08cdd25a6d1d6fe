/** Unstructured magnitude pruning of one layer: the floor(ratio·n) smallest |w| become zero. */
export function magnitudeMask(w: Float32Array, ratio: number): Uint8Array {
  const prune = Math.floor(ratio * w.length);
  const order = Array.from({ length: w.length }, (_, i) => i).sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b);
  const mask = new Uint8Array(w.length).fill(1);
  for (let i = 0; i < prune; i++) mask[order[i]!] = 0;
  return mask;
}
