/** Tile sizes and scratch layout; index.ts (JS) mirrors these numbers and a test checks they agree. */
export const NR: i32 = 8;
export const MR: i32 = 6;
/** Bytes at the start of conv scratch for partial-tile staging. */
export const CONV_TMP_BYTES: usize = 256;
/** Bytes of gathered X̂ rows one block may hold (about a quarter of a 1.25 MiB L2). */
export const CONV_BLOCK_BYTES: i32 = 256 * 1024;

/** Pixels per block: a multiple of 12 (so MR = 4 and 6 panels tile it), at least 12, at most 192. */
export function convBlockPixels(K: i32): i32 {
  let m = CONV_BLOCK_BYTES / (K << 2);
  m = m - m % 12;
  if (m < 12) m = 12;
  if (m > 192) m = 192;
  return m;
}

export function convScratchBytes(K: i32): i32 {
  return <i32>CONV_TMP_BYTES + convBlockPixels(K) * K * 4;
}
