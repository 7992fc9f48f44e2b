// Vector helpers shared by every kernel. T is f32 (4 lanes) or f64 (2 lanes).
// Pointers are byte addresses into linear memory; n counts elements.

/** Number of T elements in one v128. */
// @ts-ignore: decorator
@inline export function lanes<T>(): i32 {
  return 16 / <i32>sizeof<T>();
}

/** Byte offset of element j. */
// @ts-ignore: decorator
@inline export function at<T>(base: usize, j: i32): usize {
  return base + (<usize>j << alignof<T>());
}

/** y[0..n) += a * x[0..n). */
export function axpy<T>(y: usize, x: usize, a: T, n: i32): void {
  const L = lanes<T>();
  const va = v128.splat<T>(a);
  const nv = n - n % L;
  let j = 0;
  for (; j < nv; j += L) {
    const py = at<T>(y, j);
    v128.store(py, v128.add<T>(v128.load(py), v128.mul<T>(va, v128.load(at<T>(x, j)))));
  }
  for (; j < n; j++) {
    const py = at<T>(y, j);
    store<T>(py, load<T>(py) + a * load<T>(at<T>(x, j)));
  }
}

/** y[0..n) = 0. */
export function zero<T>(y: usize, n: i32): void {
  memory.fill(y, 0, <usize>n << alignof<T>());
}

/** Number of non-zero elements of x[0..n) (lane masks summed in vector registers). */
export function countNonZero<T>(x: usize, n: i32): i32 {
  const L = lanes<T>();
  const nv = n - n % L;
  const zeroT = v128.splat<T>(<T>0);
  let acc = i32x4.splat(0);
  let j = 0;
  for (; j < nv; j += L) {
    const mask = v128.ne<T>(v128.load(at<T>(x, j)), zeroT);
    // A true lane is all ones: -1 per i32 (f32), or -1 in each i32 half of an i64 (f64).
    acc = i32x4.sub(acc, mask);
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) +
    i32x4.extract_lane(acc, 3);
  if (sizeof<T>() == 8) c >>= 1;
  for (; j < n; j++) {
    if (load<T>(at<T>(x, j)) != <T>0) c++;
  }
  return c;
}

/** Number of elements of x[0..n) that are NaN or infinite (x - x is 0 exactly for the others). */
export function countNonFinite<T>(x: usize, n: i32): i32 {
  const L = lanes<T>();
  const nv = n - n % L;
  const zeroT = v128.splat<T>(<T>0);
  let acc = i32x4.splat(0);
  let j = 0;
  for (; j < nv; j += L) {
    const v = v128.load(at<T>(x, j));
    acc = i32x4.sub(acc, v128.ne<T>(v128.sub<T>(v, v), zeroT));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) +
    i32x4.extract_lane(acc, 3);
  if (sizeof<T>() == 8) c >>= 1;
  for (; j < n; j++) {
    const v = load<T>(at<T>(x, j));
    if (v - v != <T>0) c++;
  }
  return c;
}

/** sum_j x[j] y[j] over [0..n). */
export function dot<T>(x: usize, y: usize, n: i32): T {
  const L = lanes<T>();
  const nv = n - n % L;
  let acc = v128.splat<T>(<T>0);
  let j = 0;
  for (; j < nv; j += L) {
    acc = v128.add<T>(acc, v128.mul<T>(v128.load(at<T>(x, j)), v128.load(at<T>(y, j))));
  }
  let sum: T = v128.extract_lane<T>(acc, 0) + v128.extract_lane<T>(acc, 1);
  if (sizeof<T>() == 4) sum += v128.extract_lane<T>(acc, 2) + v128.extract_lane<T>(acc, 3);
  for (; j < n; j++) sum += load<T>(at<T>(x, j)) * load<T>(at<T>(y, j));
  return sum;
}
