/**
 * NCHW ⇄ NHWC transposes at the engine's edges (inputs, outputs, host fallbacks, calibration).
 *
 * Per image this is a [C][H·W] ⇄ [H·W][C] matrix transpose. Row by row, the written side moves by
 * C or H·W floats per element: at H·W = 1024 every store lands 4 KB after the last, all in one L1
 * set, and NHWC→NCHW of a 96-channel 32x32 batch took 5x longer than the other direction (a quarter
 * of MobileNetV2 reconstruction's time). Tiles of TILE × TILE with the inner loop along the written
 * side store one whole cache line at a time, and the TILE lines read stay cached across the tile.
 */
const TILE = 16;

/** dst[b][p][c] = src[b][c][p] (p = h·W + w). */
export function nchwToNhwc(src: Float32Array, shape: readonly [number, number, number, number], dst: Float32Array): void {
  const [n, c, h, w] = shape;
  for (let b = 0; b < n; b++) transpose(src, dst, b * c * h * w, c, h * w);
}

/** dst[b][c][p] = src[b][p][c]. */
export function nhwcToNchw(src: Float32Array, shape: readonly [number, number, number, number], dst = new Float32Array(src.length)): Float32Array {
  const [n, c, h, w] = shape;
  for (let b = 0; b < n; b++) transpose(src, dst, b * c * h * w, h * w, c);
  return dst;
}

/** dst[off + j·rows + i] = src[off + i·cols + j] for a rows × cols matrix at offset off. */
function transpose(src: Float32Array, dst: Float32Array, off: number, rows: number, cols: number): void {
  if (rows === 1 || cols === 1) {
    dst.set(src.subarray(off, off + rows * cols), off);
    return;
  }
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(cols, j0 + TILE);
      for (let j = j0; j < j1; j++) {
        const d = off + j * rows;
        for (let i = i0; i < i1; i++) dst[d + i] = src[off + i * cols + j]!;
      }
    }
  }
}
