/**
 * Sorted copies of numeric columns with missing values (NaN) removed. Sorting dominates the
 * cost of a drift report, so each column is sorted once and reused by KS, Wasserstein and
 * PSI. Float32 columns (the feature matrix's type) use an LSD radix sort on the float bits,
 * 3 passes of 11 bits, several times faster than a comparison sort at 10^5 rows.
 * @module
 */

/** Ascending copy without NaN; Float32 input stays Float32 (values are unchanged). */
export function sortedNonMissing(col: ArrayLike<number>): Float32Array | Float64Array {
  if (col instanceof Float32Array) return radixSortFloat32(col);
  const out = new Float64Array(col.length);
  let n = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (v === v) out[n++] = v;
  }
  return sortFloat64(out.subarray(0, n));
}

/**
 * Sorts NaN-free doubles in place, ascending, as `Float64Array.prototype.sort` does (-0
 * before +0). The drift verdict sorts the same float32 measurements, widened, thousands of
 * times (months, noise pieces, windows): when every value is a float32, the radix sort of
 * their float32 bits gives the same order several times faster than the comparison sort.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < 512) return a.sort();
  for (let i = 0; i < n; i++) if (Math.fround(a[i]!) !== a[i]) return a.sort();
  const sorted = radixSortFloat32(Float32Array.from(a));
  for (let i = 0; i < n; i++) a[i] = sorted[i]!;
  return a;
}

/** LSD radix sort of the non-NaN values of a Float32Array (input not mutated). */
export function radixSortFloat32(col: Float32Array): Float32Array {
  const n0 = col.length;
  const bits = new Uint32Array(col.buffer, col.byteOffset, n0);
  let keys = new Uint32Array(n0);
  let n = 0;
  for (let i = 0; i < n0; i++) {
    const v = col[i]!;
    if (v !== v) continue;
    const b = bits[i]!;
    // Order-preserving map of IEEE-754 bits to unsigned integers: flip all bits of
    // negatives, set the sign bit of positives.
    keys[n++] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  keys = keys.subarray(0, n);
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 33; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 2047]!++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      tmp[count[(k >>> shift) & 2047]!++] = k;
    }
    [keys, tmp] = [tmp, keys];
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    keys[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  }
  return new Float32Array(keys.buffer, keys.byteOffset, n);
}
