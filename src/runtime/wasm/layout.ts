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
export function nhwcToNchw(src: Float32Array, shape: readonly [number, number, number, number], dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const [n, c, h, w] = shape;
  for (let b = 0; b < n; b++) transpose(src, dst, b * c * h * w, h * w, c);
  return dst;
}

type Float4D = { readonly dtype: 'float32'; readonly shape: readonly number[]; readonly data: Float32Array };

/**
 * A 4-D float tensor between NCHW (shape [N, C, H, W]) and NHWC (shape [N, H, W, C]); other tensors
 * pass through. For sessions that run in one layout and are asked for the other.
 */
export function toLayout<T extends { readonly dtype: string; readonly shape: readonly number[] }>(t: T, to: 'nchw' | 'nhwc'): T {
  if (t.dtype !== 'float32' || t.shape.length !== 4) return t;
  const f = t as unknown as Float4D;
  if (to === 'nhwc') {
    const [n, c, h, w] = f.shape as [number, number, number, number];
    const data = new Float32Array(f.data.length);
    nchwToNhwc(f.data, [n, c, h, w], data);
    return { ...t, shape: [n, h, w, c], data };
  }
  const [n, h, w, c] = f.shape as [number, number, number, number];
  return { ...t, shape: [n, c, h, w], data: nhwcToNchw(f.data, [n, c, h, w]) };
}

/** [N, H, W, C] → [N, C, H, W] (the shape an NHWC tensor has in ONNX terms); other ranks unchanged. */
export function nchwShapeOf(nhwcShape: readonly number[]): readonly number[] {
  if (nhwcShape.length !== 4) return nhwcShape;
  const [n, h, w, c] = nhwcShape as [number, number, number, number];
  return [n, c, h, w];
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
