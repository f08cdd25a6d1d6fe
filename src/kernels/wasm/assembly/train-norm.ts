/**
 * Training reductions and elementwise backward kernels (NHWC rows of C dense channels):
 *
 * - channel_stats(x, P, C, shift, s1, s2, c0, c1): s1[c] = Σ_p (x[p, c] − m[c]), s2[c] = Σ_p (x[p, c] − m[c])²
 *   for channels [c0, c1), m = shift (0: zeros) — BatchNorm's batch statistics, shifted so the sum
 *   of squares does not cancel (pass the mean of a first pass, or the running mean).
 * - bn_backward_sums(dy, x, P, C, mean, invstd, sdy, sdyx, c0, c1): sdy[c] = Σ dy, sdyx[c] =
 *   invstd[c]·Σ dy·(x − mean[c]) (= Σ dy·x̂; mean 0: zeros, invstd 0: ones).
 * - relu_backward(y, dy, dx, i0, i1): dx[i] += y[i] > 0 ? dy[i] : 0.
 *
 * s1/s2/sdy/sdyx are written, not accumulated. Sums run per channel over blocks of 256 pixels
 * (block sums added to the total), in an order independent of the channel split.
 */
import { imin } from "./common";

const PB: i32 = 256;

export function channelStats(x: usize, P: i32, C: i32, shift: usize, s1: usize, s2: usize, c0: i32, c1: i32): void {
  let cB = <usize>C << 2;
  let c = c0;
  for (; c + 8 <= c1; c += 8) {
    let o = <usize>c << 2;
    let m0 = shift != 0 ? v128.load(shift + o) : f32x4.splat(0.0);
    let m1 = shift != 0 ? v128.load(shift + o, 16) : f32x4.splat(0.0);
    let t0 = f32x4.splat(0.0), t1 = t0, q0 = t0, q1 = t0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a0 = f32x4.splat(0.0), a1 = a0, b0 = a0, b1 = a0;
      let xp = x + <usize>p0 * cB + o;
      for (let p = p0; p < pe; p++) {
        let v0 = f32x4.sub(v128.load(xp), m0);
        let v1 = f32x4.sub(v128.load(xp, 16), m1);
        a0 = f32x4.add(a0, v0);
        a1 = f32x4.add(a1, v1);
        b0 = f32x4.add(b0, f32x4.mul(v0, v0));
        b1 = f32x4.add(b1, f32x4.mul(v1, v1));
        xp += cB;
      }
      t0 = f32x4.add(t0, a0);
      t1 = f32x4.add(t1, a1);
      q0 = f32x4.add(q0, b0);
      q1 = f32x4.add(q1, b1);
    }
    v128.store(s1 + o, t0);
    v128.store(s1 + o, t1, 16);
    v128.store(s2 + o, q0);
    v128.store(s2 + o, q1, 16);
  }
  for (; c + 4 <= c1; c += 4) {
    let o = <usize>c << 2;
    let m0 = shift != 0 ? v128.load(shift + o) : f32x4.splat(0.0);
    let t0 = f32x4.splat(0.0), q0 = t0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a0 = f32x4.splat(0.0), b0 = a0;
      let xp = x + <usize>p0 * cB + o;
      for (let p = p0; p < pe; p++) {
        let v0 = f32x4.sub(v128.load(xp), m0);
        a0 = f32x4.add(a0, v0);
        b0 = f32x4.add(b0, f32x4.mul(v0, v0));
        xp += cB;
      }
      t0 = f32x4.add(t0, a0);
      q0 = f32x4.add(q0, b0);
    }
    v128.store(s1 + o, t0);
    v128.store(s2 + o, q0);
  }
  for (; c < c1; c++) {
    let o = <usize>c << 2;
    let m: f32 = shift != 0 ? load<f32>(shift + o) : 0;
    let t: f32 = 0, q: f32 = 0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a: f32 = 0, b: f32 = 0;
      let xp = x + <usize>p0 * cB + o;
      for (let p = p0; p < pe; p++) {
        let v = load<f32>(xp) - m;
        a += v;
        b += v * v;
        xp += cB;
      }
      t += a;
      q += b;
    }
    store<f32>(s1 + o, t);
    store<f32>(s2 + o, q);
  }
}

export function bnBackwardSums(dy: usize, x: usize, P: i32, C: i32, mean: usize, invstd: usize, sdy: usize, sdyx: usize, c0: i32, c1: i32): void {
  let cB = <usize>C << 2;
  let c = c0;
  for (; c + 8 <= c1; c += 8) {
    let o = <usize>c << 2;
    let m0 = mean != 0 ? v128.load(mean + o) : f32x4.splat(0.0);
    let m1 = mean != 0 ? v128.load(mean + o, 16) : f32x4.splat(0.0);
    let t0 = f32x4.splat(0.0), t1 = t0, q0 = t0, q1 = t0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a0 = f32x4.splat(0.0), a1 = a0, b0 = a0, b1 = a0;
      let off = <usize>p0 * cB + o;
      let xp = x + off;
      let dp = dy + off;
      for (let p = p0; p < pe; p++) {
        let g0 = v128.load(dp);
        let g1 = v128.load(dp, 16);
        a0 = f32x4.add(a0, g0);
        a1 = f32x4.add(a1, g1);
        b0 = f32x4.add(b0, f32x4.mul(g0, f32x4.sub(v128.load(xp), m0)));
        b1 = f32x4.add(b1, f32x4.mul(g1, f32x4.sub(v128.load(xp, 16), m1)));
        xp += cB;
        dp += cB;
      }
      t0 = f32x4.add(t0, a0);
      t1 = f32x4.add(t1, a1);
      q0 = f32x4.add(q0, b0);
      q1 = f32x4.add(q1, b1);
    }
    if (invstd != 0) {
      q0 = f32x4.mul(q0, v128.load(invstd + o));
      q1 = f32x4.mul(q1, v128.load(invstd + o, 16));
    }
    v128.store(sdy + o, t0);
    v128.store(sdy + o, t1, 16);
    v128.store(sdyx + o, q0);
    v128.store(sdyx + o, q1, 16);
  }
  for (; c + 4 <= c1; c += 4) {
    let o = <usize>c << 2;
    let m0 = mean != 0 ? v128.load(mean + o) : f32x4.splat(0.0);
    let t0 = f32x4.splat(0.0), q0 = t0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a0 = f32x4.splat(0.0), b0 = a0;
      let off = <usize>p0 * cB + o;
      let xp = x + off;
      let dp = dy + off;
      for (let p = p0; p < pe; p++) {
        let g0 = v128.load(dp);
        a0 = f32x4.add(a0, g0);
        b0 = f32x4.add(b0, f32x4.mul(g0, f32x4.sub(v128.load(xp), m0)));
        xp += cB;
        dp += cB;
      }
      t0 = f32x4.add(t0, a0);
      q0 = f32x4.add(q0, b0);
    }
    if (invstd != 0) q0 = f32x4.mul(q0, v128.load(invstd + o));
    v128.store(sdy + o, t0);
    v128.store(sdyx + o, q0);
  }
  for (; c < c1; c++) {
    let o = <usize>c << 2;
    let m: f32 = mean != 0 ? load<f32>(mean + o) : 0;
    let t: f32 = 0, q: f32 = 0;
    for (let p0 = 0; p0 < P; p0 += PB) {
      let pe = imin(P, p0 + PB);
      let a: f32 = 0, b: f32 = 0;
      let off = <usize>p0 * cB + o;
      let xp = x + off;
      let dp = dy + off;
      for (let p = p0; p < pe; p++) {
        let g = load<f32>(dp);
        a += g;
        b += g * (load<f32>(xp) - m);
        xp += cB;
        dp += cB;
      }
      t += a;
      q += b;
    }
    if (invstd != 0) q *= load<f32>(invstd + o);
    store<f32>(sdy + o, t);
    store<f32>(sdyx + o, q);
  }
}

export function reluBackward(y: usize, dy: usize, dx: usize, i0: i32, i1: i32): void {
  let i = i0;
  let z = f32x4.splat(0.0);
  for (; i + 8 <= i1; i += 8) {
    let o = <usize>i << 2;
    let m0 = f32x4.gt(v128.load(y + o), z);
    let m1 = f32x4.gt(v128.load(y + o, 16), z);
    v128.store(dx + o, f32x4.add(v128.load(dx + o), v128.and(v128.load(dy + o), m0)));
    v128.store(dx + o, f32x4.add(v128.load(dx + o, 16), v128.and(v128.load(dy + o, 16), m1)), 16);
  }
  for (; i + 4 <= i1; i += 4) {
    let o = <usize>i << 2;
    let m0 = f32x4.gt(v128.load(y + o), z);
    v128.store(dx + o, f32x4.add(v128.load(dx + o), v128.and(v128.load(dy + o), m0)));
  }
  for (; i < i1; i++) {
    let o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + (load<f32>(y + o) > 0 ? load<f32>(dy + o) : <f32>0));
  }
}

/**
 * bn_apply(x, C, scale, shift, y, p0, p1): y[p, c] = x[p, c]·scale[c] + shift[c] for pixels [p0, p1)
 * (BatchNorm's affine map once the batch statistics are folded into scale/shift; y may be x).
 */
export function bnApply(x: usize, C: i32, scale: usize, shift: usize, y: usize, p0: i32, p1: i32): void {
  let cB = <usize>C << 2;
  for (let p = p0; p < p1; p++) {
    let xp = x + <usize>p * cB;
    let yp = y + <usize>p * cB;
    let c = 0;
    for (; c + 8 <= C; c += 8) {
      let o = <usize>c << 2;
      v128.store(yp + o, f32x4.add(f32x4.mul(v128.load(xp + o), v128.load(scale + o)), v128.load(shift + o)));
      v128.store(yp + o, f32x4.add(f32x4.mul(v128.load(xp + o, 16), v128.load(scale + o, 16)), v128.load(shift + o, 16)), 16);
    }
    for (; c + 4 <= C; c += 4) {
      let o = <usize>c << 2;
      v128.store(yp + o, f32x4.add(f32x4.mul(v128.load(xp + o), v128.load(scale + o)), v128.load(shift + o)));
    }
    for (; c < C; c++) {
      let o = <usize>c << 2;
      store<f32>(yp + o, load<f32>(xp + o) * load<f32>(scale + o) + load<f32>(shift + o));
    }
  }
}

/**
 * bn_backward_dx(dy, x, C, k, u, b, dx, p0, p1, acc): dx[p, c] (+)= k[c]·dy[p, c] + u[c]·x[p, c] + b[c]
 * for pixels [p0, p1) (acc 1: +=, acc 0: =, for a gradient buffer this call is the only writer of):
 * BatchNorm's input gradient with the per-channel sums folded into k, u, b
 * (k = γ·istd, u = −k·istd·Σdy·x̂/P, b = −k·Σdy/P − u·mean).
 */
export function bnBackwardDx(dy: usize, x: usize, C: i32, k: usize, u: usize, b: usize, dx: usize, p0: i32, p1: i32, acc: i32): void {
  let cB = <usize>C << 2;
  for (let p = p0; p < p1; p++) {
    let off = <usize>p * cB;
    let gp = dy + off, xp = x + off, dp = dx + off;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let o = <usize>c << 2;
      let t = f32x4.add(f32x4.mul(v128.load(k + o), v128.load(gp + o)), f32x4.add(f32x4.mul(v128.load(u + o), v128.load(xp + o)), v128.load(b + o)));
      v128.store(dp + o, acc != 0 ? f32x4.add(v128.load(dp + o), t) : t);
    }
    for (; c < C; c++) {
      let o = <usize>c << 2;
      let t = load<f32>(k + o) * load<f32>(gp + o) + (load<f32>(u + o) * load<f32>(xp + o) + load<f32>(b + o));
      store<f32>(dp + o, acc != 0 ? load<f32>(dp + o) + t : t);
    }
  }
}

/** relu_backward_inplace(y, dy, i0, i1): dy[i] = y[i] > 0 ? dy[i] : 0 (the gradient overwrites dy). */
export function reluBackwardInPlace(y: usize, dy: usize, i0: i32, i1: i32): void {
  let i = i0;
  let z = f32x4.splat(0.0);
  for (; i + 8 <= i1; i += 8) {
    let o = <usize>i << 2;
    v128.store(dy + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), z)));
    v128.store(dy + o, v128.and(v128.load(dy + o, 16), f32x4.gt(v128.load(y + o, 16), z)), 16);
  }
  for (; i < i1; i++) {
    let o = <usize>i << 2;
    if (!(load<f32>(y + o) > 0)) store<f32>(dy + o, 0);
  }
}
