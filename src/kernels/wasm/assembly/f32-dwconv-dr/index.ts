// generated — do not edit; template: scripts/gen-wasm-sparse-kernels.mjs (stripIndex)
import { f32_dwconv_dr_1x4 } from "./f32-dwconv-dr-1x4";
import { f32_dwconv_dr_1x8 } from "./f32-dwconv-dr-1x8";
import { f32_dwconv_dr_1x12 } from "./f32-dwconv-dr-1x12";
import { f32_dwconv_dr_1x16 } from "./f32-dwconv-dr-1x16";
import { f32_dwconv_dr_2x4 } from "./f32-dwconv-dr-2x4";
import { f32_dwconv_dr_2x8 } from "./f32-dwconv-dr-2x8";
import { f32_dwconv_dr_3x4 } from "./f32-dwconv-dr-3x4";
import { f32_dwconv_dr_4x4 } from "./f32-dwconv-dr-4x4";

/** Runs the R x 4V strip kernel (R·V ≤ 4) over nch channels. */
export function dwDrStrips(R: i32, V: i32, a: usize, chanB: usize, rowB: usize, ent: usize, starts: usize, nch: i32, bias: usize, out: usize): void {
  switch (R * 8 + V) {
    case 9: f32_dwconv_dr_1x4(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 10: f32_dwconv_dr_1x8(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 11: f32_dwconv_dr_1x12(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 12: f32_dwconv_dr_1x16(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 17: f32_dwconv_dr_2x4(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 18: f32_dwconv_dr_2x8(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 25: f32_dwconv_dr_3x4(a, chanB, rowB, ent, starts, nch, bias, out); break;
    case 33: f32_dwconv_dr_4x4(a, chanB, rowB, ent, starts, nch, bias, out); break;
    default: unreachable();
  }
}
