/** Max/average pooling over NHWC (channels in SIMD lanes) and global average pooling. */

/** Valid window taps of one output pixel: [k0, k1) for a start i0, dilation d, extent size. */
// @ts-ignore: decorator
@inline function tapLo(i0: i32, d: i32, k: i32): i32 {
  let t = 0;
  while (t < k && i0 + t * d < 0) t++;
  return t;
}
// @ts-ignore: decorator
@inline function tapHi(i0: i32, d: i32, k: i32, size: i32, lo: i32): i32 {
  let t = k;
  while (t > lo && i0 + (t - 1) * d >= size) t--;
  return t;
}

/** One output pixel of a pool: y[c] = max or sum of the taps (sum times `scale`), all channels. */
function poolPixel(img: usize, W: i32, C: i32, iy0: i32, ix0: i32, ky0: i32, ky1: i32, kx0: i32, kx1: i32, dh: i32, dw: i32, yp: usize, isMax: bool, scale: f32): void {
  let cB = <usize>C << 2;
  let rowB = <usize>W * cB;
  let c = 0;
  let init = isMax ? -Infinity : 0.0;
  for (; c + 16 <= C; c += 16) {
    let o = <usize>c << 2;
    let s0 = f32x4.splat(<f32>init), s1 = s0, s2 = s0, s3 = s0;
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * rowB + o;
      for (let kx = kx0; kx < kx1; kx++) {
        let xp = xr + <usize>(ix0 + kx * dw) * cB;
        if (isMax) {
          s0 = f32x4.max(s0, v128.load(xp)); s1 = f32x4.max(s1, v128.load(xp, 16));
          s2 = f32x4.max(s2, v128.load(xp, 32)); s3 = f32x4.max(s3, v128.load(xp, 48));
        } else {
          s0 = f32x4.add(s0, v128.load(xp)); s1 = f32x4.add(s1, v128.load(xp, 16));
          s2 = f32x4.add(s2, v128.load(xp, 32)); s3 = f32x4.add(s3, v128.load(xp, 48));
        }
      }
    }
    if (!isMax) {
      let v = f32x4.splat(scale);
      s0 = f32x4.mul(s0, v); s1 = f32x4.mul(s1, v); s2 = f32x4.mul(s2, v); s3 = f32x4.mul(s3, v);
    }
    v128.store(yp + o, s0); v128.store(yp + o, s1, 16); v128.store(yp + o, s2, 32); v128.store(yp + o, s3, 48);
  }
  for (; c + 4 <= C; c += 4) {
    let o = <usize>c << 2;
    let s = f32x4.splat(<f32>init);
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * rowB + o;
      for (let kx = kx0; kx < kx1; kx++) {
        let v = v128.load(xr + <usize>(ix0 + kx * dw) * cB);
        s = isMax ? f32x4.max(s, v) : f32x4.add(s, v);
      }
    }
    if (!isMax) s = f32x4.mul(s, f32x4.splat(scale));
    v128.store(yp + o, s);
  }
  for (; c < C; c++) {
    let o = <usize>c << 2;
    let s: f32 = <f32>init;
    for (let ky = ky0; ky < ky1; ky++) {
      let xr = img + <usize>(iy0 + ky * dh) * rowB + o;
      for (let kx = kx0; kx < kx1; kx++) {
        let v = load<f32>(xr + <usize>(ix0 + kx * dw) * cB);
        s = isMax ? Mathf.max(s, v) : s + v;
      }
    }
    store<f32>(yp + o, isMax ? s : s * scale);
  }
}

export function maxpool2d(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, y: usize, p0: i32, p1: i32): void {
  let ohw = OH * OW;
  let imgB = <usize>H * <usize>W * (<usize>C << 2);
  for (let p = p0; p < p1; p++) {
    let n = p / ohw;
    let r = p - n * ohw;
    let oy = r / OW;
    let ox = r - oy * OW;
    let iy0 = oy * sh - pt, ix0 = ox * sw - pl;
    let ky0 = tapLo(iy0, dh, kh), ky1 = tapHi(iy0, dh, kh, H, ky0);
    let kx0 = tapLo(ix0, dw, kw), kx1 = tapHi(ix0, dw, kw, W, kx0);
    poolPixel(x + <usize>n * imgB, W, C, iy0, ix0, ky0, ky1, kx0, kx1, dh, dw, y + <usize>p * (<usize>C << 2), true, 1);
  }
}

/** Divisor as the reference: valid taps, or with countIncludePad the window clipped to the padded extent. */
export function avgpool2d(x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, pb: i32, pr: i32, countIncludePad: i32, y: usize, p0: i32, p1: i32): void {
  let ohw = OH * OW;
  let imgB = <usize>H * <usize>W * (<usize>C << 2);
  for (let p = p0; p < p1; p++) {
    let n = p / ohw;
    let r = p - n * ohw;
    let oy = r / OW;
    let ox = r - oy * OW;
    let iy0 = oy * sh - pt, ix0 = ox * sw - pl;
    let ky0 = tapLo(iy0, 1, kh), ky1 = tapHi(iy0, 1, kh, H, ky0);
    let kx0 = tapLo(ix0, 1, kw), kx1 = tapHi(ix0, 1, kw, W, kx0);
    let count = (ky1 - ky0) * (kx1 - kx0);
    if (countIncludePad != 0) {
      let y1 = iy0 + kh < H + pb ? iy0 + kh : H + pb;
      let x1 = ix0 + kw < W + pr ? ix0 + kw : W + pr;
      count = (y1 - iy0) * (x1 - ix0);
    }
    let scale: f32 = count > 0 ? <f32>(1.0 / <f64>count) : 0;
    poolPixel(x + <usize>n * imgB, W, C, iy0, ix0, ky0, ky1, kx0, kx1, 1, 1, y + <usize>p * (<usize>C << 2), false, scale);
  }
}

/** [N, HW, C] → [N, C] means, images [n0, n1). */
export function globalavgpool(x: usize, HW: i32, C: i32, y: usize, n0: i32, n1: i32): void {
  let cB = <usize>C << 2;
  let inv: f32 = <f32>(1.0 / <f64>HW);
  let vinv = f32x4.splat(inv);
  for (let n = n0; n < n1; n++) {
    let img = x + <usize>n * <usize>HW * cB;
    let yp = y + <usize>n * cB;
    let c = 0;
    for (; c + 16 <= C; c += 16) {
      let xp = img + (<usize>c << 2);
      let s0 = f32x4.splat(0.0), s1 = s0, s2 = s0, s3 = s0;
      for (let i = 0; i < HW; i++) {
        s0 = f32x4.add(s0, v128.load(xp)); s1 = f32x4.add(s1, v128.load(xp, 16));
        s2 = f32x4.add(s2, v128.load(xp, 32)); s3 = f32x4.add(s3, v128.load(xp, 48));
        xp += cB;
      }
      let o = <usize>c << 2;
      v128.store(yp + o, f32x4.mul(s0, vinv)); v128.store(yp + o, f32x4.mul(s1, vinv), 16);
      v128.store(yp + o, f32x4.mul(s2, vinv), 32); v128.store(yp + o, f32x4.mul(s3, vinv), 48);
    }
    for (; c + 4 <= C; c += 4) {
      let xp = img + (<usize>c << 2);
      let s = f32x4.splat(0.0);
      for (let i = 0; i < HW; i++) {
        s = f32x4.add(s, v128.load(xp));
        xp += cB;
      }
      v128.store(yp + (<usize>c << 2), f32x4.mul(s, vinv));
    }
    for (; c < C; c++) {
      let xp = img + (<usize>c << 2);
      let s: f32 = 0;
      for (let i = 0; i < HW; i++) {
        s += load<f32>(xp);
        xp += cB;
      }
      store<f32>(yp + (<usize>c << 2), s * inv);
    }
  }
}
