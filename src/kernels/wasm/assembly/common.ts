/**
 * Shared pieces of the kernels: the multiply-add that the relaxed build turns into one FMA,
 * the activations (vector and scalar), a vector exp, and small copy helpers.
 * Activation codes: 0 none, 1 relu, 2 clip(lo, hi), 3 hardswish, 4 hardsigmoid clip(lo·x + hi, 0, 1),
 * 5 sigmoid, 6 silu.
 */

/** a·b + c. The relaxed build (--enable relaxed-simd) emits f32x4.relaxed_madd, which V8 lowers to vfmadd on x64. */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** e^x for every lane (Cephes polynomial, ~2 ulp); lanes below -88.37 give 0, above +88.37 saturate near 2^127. */
export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(f32x4.splat(-88.3762626647949), x), f32x4.splat(88.3762626647949));
  let fx = f32x4.floor(fma(x, f32x4.splat(1.44269504088896341), f32x4.splat(0.5)));
  x = fma(fx, f32x4.splat(-0.693359375), x);
  x = fma(fx, f32x4.splat(2.12194440e-4), x);
  let z = f32x4.mul(x, x);
  let p = f32x4.splat(1.9875691500E-4);
  p = fma(p, x, f32x4.splat(1.3981999507E-3));
  p = fma(p, x, f32x4.splat(8.3334519073E-3));
  p = fma(p, x, f32x4.splat(4.1665795894E-2));
  p = fma(p, x, f32x4.splat(1.6666665459E-1));
  p = fma(p, x, f32x4.splat(5.0000001201E-1));
  p = fma(p, z, f32x4.add(x, f32x4.splat(1.0)));
  let n = i32x4.trunc_sat_f32x4_s(fx);
  let pow2n = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

// @ts-ignore: decorator
@inline function vsigmoid(v: v128): v128 {
  let one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(v))));
}

/** The activation `act` on four lanes. pmax(lo, v) = lo < v ? v : lo, so relu maps NaN to 0 like the reference. */
export function actV(v: v128, act: i32, lo: f32, hi: f32): v128 {
  switch (act) {
    case 1: return f32x4.pmax(f32x4.splat(0.0), v);
    case 2: return f32x4.pmin(f32x4.pmax(f32x4.splat(lo), v), f32x4.splat(hi));
    case 3: {
      let s = fma(v, f32x4.splat(<f32>(1.0 / 6.0)), f32x4.splat(0.5));
      return f32x4.mul(v, f32x4.pmin(f32x4.pmax(f32x4.splat(0.0), s), f32x4.splat(1.0)));
    }
    case 4: {
      let s = fma(v, f32x4.splat(lo), f32x4.splat(hi));
      return f32x4.pmin(f32x4.pmax(f32x4.splat(0.0), s), f32x4.splat(1.0));
    }
    case 5: return vsigmoid(v);
    case 6: return f32x4.mul(v, vsigmoid(v));
    default: return v;
  }
}

/** Scalar activation: lane 0 of the vector one, so tails round exactly like full vectors. */
export function actS(v: f32, act: i32, lo: f32, hi: f32): f32 {
  if (act == 0) return v;
  return f32x4.extract_lane(actV(f32x4.splat(v), act, lo, hi), 0);
}

/**
 * Stores one micro-kernel row of 8 accumulators to y[0..nc) after adding res[0..nc) (res 0 = none)
 * and the activation. Partial tiles go through tmp (32 bytes) so nothing past nc is read or written:
 * the executor may run another thread on the next channels.
 */
export function storeRow(y: usize, res: usize, v0: v128, v1: v128, nc: i32, act: i32, lo: f32, hi: f32, tmp: usize): void {
  if (nc == 8) {
    if (res != 0) {
      v0 = f32x4.add(v0, v128.load(res));
      v1 = f32x4.add(v1, v128.load(res, 16));
    }
    v128.store(y, actV(v0, act, lo, hi));
    v128.store(y, actV(v1, act, lo, hi), 16);
    return;
  }
  v128.store(tmp, v0);
  v128.store(tmp, v1, 16);
  if (res != 0) {
    for (let c = 0; c < nc; c++) store<f32>(tmp + (<usize>c << 2), load<f32>(tmp + (<usize>c << 2)) + load<f32>(res + (<usize>c << 2)));
  }
  v128.store(tmp, actV(v128.load(tmp), act, lo, hi));
  v128.store(tmp, actV(v128.load(tmp, 16), act, lo, hi), 16);
  for (let c = 0; c < nc; c++) store<f32>(y + (<usize>c << 2), load<f32>(tmp + (<usize>c << 2)));
}

/** tmp[0..8) = y[0..nc), zeros after: a partial tile's partial sums, loaded without reading past nc. */
export function stageRow(y: usize, nc: i32, tmp: usize): void {
  v128.store(tmp, f32x4.splat(0.0));
  v128.store(tmp, f32x4.splat(0.0), 16);
  for (let c = 0; c < nc; c++) store<f32>(tmp + (<usize>c << 2), load<f32>(y + (<usize>c << 2)));
}

/** dst[0..n) = src[0..n) (floats; the ranges do not overlap). */
export function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    let o = <usize>i << 2;
    let v0 = v128.load(src + o);
    let v1 = v128.load(src + o, 16);
    let v2 = v128.load(src + o, 32);
    let v3 = v128.load(src + o, 48);
    v128.store(dst + o, v0);
    v128.store(dst + o, v1, 16);
    v128.store(dst + o, v2, 32);
    v128.store(dst + o, v3, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[0..n) = 0. */
export function zeroF32(dst: usize, n: i32): void {
  let z = f32x4.splat(0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0.0);
}

// @ts-ignore: decorator
@inline export function imin(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline export function imax(a: i32, b: i32): i32 { return a > b ? a : b; }
