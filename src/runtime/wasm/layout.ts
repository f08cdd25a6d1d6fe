/** NCHW ⇄ NHWC transposes at the engine's edges (inputs, outputs, host fallbacks). */
export function nchwToNhwc(src: Float32Array, shape: readonly [number, number, number, number], dst: Float32Array): void {
  const [n, c, h, w] = shape;
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const s = (b * c + ch) * hw;
      for (let p = 0; p < hw; p++) dst[(b * hw + p) * c + ch] = src[s + p]!;
    }
  }
}

export function nhwcToNchw(src: Float32Array, shape: readonly [number, number, number, number], dst = new Float32Array(src.length)): Float32Array {
  const [n, c, h, w] = shape;
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      const s = (b * hw + p) * c;
      for (let ch = 0; ch < c; ch++) dst[(b * c + ch) * hw + p] = src[s + ch]!;
    }
  }
  return dst;
}
