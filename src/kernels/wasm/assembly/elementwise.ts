/** Elementwise kernels over flat f32 ranges [i0, i1) (the executor splits ranges across threads). */
import { actV, actS, vexp } from "./common";

/** y = act(a + b). */
export function add(a: usize, b: usize, y: usize, n: i32, act: i32, a0: f32, a1: f32, i0: i32, i1: i32): void {
  let i = i0;
  if (act <= 2) {
    let vlo = f32x4.splat(act == 0 ? -Infinity : act == 1 ? 0.0 : a0);
    let vhi = f32x4.splat(act == 2 ? a1 : Infinity);
    for (; i + 8 <= i1; i += 8) {
      let o = <usize>i << 2;
      let s0 = f32x4.add(v128.load(a + o), v128.load(b + o));
      let s1 = f32x4.add(v128.load(a + o, 16), v128.load(b + o, 16));
      if (act != 0) {
        s0 = f32x4.pmin(f32x4.pmax(vlo, s0), vhi);
        s1 = f32x4.pmin(f32x4.pmax(vlo, s1), vhi);
      }
      v128.store(y + o, s0);
      v128.store(y + o, s1, 16);
    }
  }
  for (; i + 4 <= i1; i += 4) {
    let o = <usize>i << 2;
    v128.store(y + o, actV(f32x4.add(v128.load(a + o), v128.load(b + o)), act, a0, a1));
  }
  for (; i < i1; i++) {
    let o = <usize>i << 2;
    store<f32>(y + o, actS(load<f32>(a + o) + load<f32>(b + o), act, a0, a1));
  }
}

/** Squeeze-excite scaling: y[n, hw, c] = x[n, hw, c] · s[n, c], images [n0, n1). */
export function mul_channel(x: usize, s: usize, y: usize, HW: i32, C: i32, n0: i32, n1: i32): void {
  let cB = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    let sp = s + <usize>n * cB;
    let base = <usize>n * <usize>HW * cB;
    for (let i = 0; i < HW; i++) {
      let xp = x + base + <usize>i * cB;
      let yp = y + base + <usize>i * cB;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        let o = <usize>c << 2;
        v128.store(yp + o, f32x4.mul(v128.load(xp + o), v128.load(sp + o)));
      }
      for (; c < C; c++) {
        let o = <usize>c << 2;
        store<f32>(yp + o, load<f32>(xp + o) * load<f32>(sp + o));
      }
    }
  }
}

/** y = act(x) over [i0, i1). */
export function activation(x: usize, y: usize, n: i32, act: i32, a0: f32, a1: f32, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    let o = <usize>i << 2;
    v128.store(y + o, actV(v128.load(x + o), act, a0, a1));
  }
  for (; i < i1; i++) {
    let o = <usize>i << 2;
    store<f32>(y + o, actS(load<f32>(x + o), act, a0, a1));
  }
}

/** Softmax of each row of a [rows, cols] matrix (max-subtracted). */
export function softmax_rows(x: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    let xr = x + <usize>r * (<usize>cols << 2);
    let yr = y + <usize>r * (<usize>cols << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = Mathf.max(m, load<f32>(xr + (<usize>c << 2)));
    let vm = f32x4.splat(m);
    let vs = f32x4.splat(0.0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      let e = vexp(f32x4.sub(v128.load(xr + (<usize>c << 2)), vm));
      v128.store(yr + (<usize>c << 2), e);
      vs = f32x4.add(vs, e);
    }
    let s: f32 = f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1) + f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3);
    for (; c < cols; c++) {
      let e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(xr + (<usize>c << 2)) - m)), 0);
      store<f32>(yr + (<usize>c << 2), e);
      s += e;
    }
    let inv = f32x4.splat(<f32>1.0 / s);
    c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(yr + (<usize>c << 2), f32x4.mul(v128.load(yr + (<usize>c << 2)), inv));
    for (; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(yr + (<usize>c << 2)) * f32x4.extract_lane(inv, 0));
  }
}
