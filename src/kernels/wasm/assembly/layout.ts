/**
 * Tile sizes and the conv blocking rule. src/kernels/wasm/index.ts mirrors convScratchBytes in JS
 * and a test checks both agree.
 */
export const NR: i32 = 8;
export const MR: i32 = 4;
/** Bytes at the start of conv scratch for partial-tile staging. */
export const CONV_TMP_BYTES: i32 = 256;
/** Bytes of one (pixel block x K chunk) panel of X̂: it stays in L1 (48 KiB here) across all weight tiles. */
export const CONV_A_BYTES: i32 = 32 * 1024;
/** Weights of a call up to this size are re-read from L2 by every pixel block (1.25 MiB L2 here). */
export const CONV_W_L2_BYTES: i32 = 512 * 1024;
/** Most pixels per block when the weights fit CONV_W_L2_BYTES (K chunks up to 341). */
export const CONV_MC_SMALL: i32 = 24;
/** Most pixels per block when they do not (K chunks down to 128). */
export const CONV_MC_BIG: i32 = 64;

/** Scratch of one conv2d call: staging bytes + one gathered panel (independent of K today). */
export function convScratchBytes(K: i32): i32 {
  return CONV_TMP_BYTES + CONV_A_BYTES;
}
