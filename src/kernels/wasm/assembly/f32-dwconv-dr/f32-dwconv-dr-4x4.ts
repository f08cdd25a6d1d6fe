// generated — do not edit; template: scripts/gen-wasm-sparse-kernels.mjs (stripKernel, R=4, V=1, 2 accumulator sets)
import { fma } from "../common";

/** 4 output row(s) x 4 pixels of each of nch channels over their kept taps; see the generator's header. */
export function f32_dwconv_dr_4x4(a: usize, chanB: usize, rowB: usize, ent: usize, starts: usize, nch: i32, bias: usize, out: usize): void {
  let e = ent;
  for (let ch = 0; ch < nch; ch++) {
    let k = <i32>(load<u32>(starts + (<usize>ch << 2), 4) - load<u32>(starts + (<usize>ch << 2)));
    let s0 = f32x4.splat(0.0);
    let z = s0;
    if (bias != 0) s0 = v128.load32_splat(bias + (<usize>ch << 2));
    let a0r0v0 = s0;
    let a1r0v0 = z;
    let a0r1v0 = s0;
    let a1r1v0 = z;
    let a0r2v0 = s0;
    let a1r2v0 = z;
    let a0r3v0 = s0;
    let a1r3v0 = z;
    let base = a + <usize>ch * chanB;
    if (k > 0) {
      while (true) {
        let p0 = base + <usize>load<u32>(e, 0);
        let w0 = v128.load32_splat(e, 4);
        a0r0v0 = fma(v128.load(p0, 0), w0, a0r0v0);
        let p0r1 = p0 + rowB;
        a0r1v0 = fma(v128.load(p0r1, 0), w0, a0r1v0);
        let p0r2 = p0r1 + rowB;
        a0r2v0 = fma(v128.load(p0r2, 0), w0, a0r2v0);
        let p0r3 = p0r2 + rowB;
        a0r3v0 = fma(v128.load(p0r3, 0), w0, a0r3v0);
        if (--k == 0) {
          e += 8;
          break;
        }
        let p1 = base + <usize>load<u32>(e, 8);
        let w1 = v128.load32_splat(e, 12);
        a1r0v0 = fma(v128.load(p1, 0), w1, a1r0v0);
        let p1r1 = p1 + rowB;
        a1r1v0 = fma(v128.load(p1r1, 0), w1, a1r1v0);
        let p1r2 = p1r1 + rowB;
        a1r2v0 = fma(v128.load(p1r2, 0), w1, a1r2v0);
        let p1r3 = p1r2 + rowB;
        a1r3v0 = fma(v128.load(p1r3, 0), w1, a1r3v0);
        e += 16;
        if (--k == 0) break;
      }
    }
    let o = out + <usize>ch * 64;
    v128.store(o, f32x4.add(a0r0v0, a1r0v0), 0);
    v128.store(o, f32x4.add(a0r1v0, a1r1v0), 16);
    v128.store(o, f32x4.add(a0r2v0, a1r2v0), 32);
    v128.store(o, f32x4.add(a0r3v0, a1r3v0), 48);
  }
}
