import assert from "node:assert/strict";
import { radixSortFloat32, sortedNonMissing, sortFloat64 } from "../../src/drift/sort.ts";

Deno.test("radixSortFloat32 equals the built-in sort, NaN dropped, input untouched", () => {
  let s = 3;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38, -3.4e38];
  const values = Float32Array.from(
    { length: 5000 },
    (_, i) => (i < special.length ? special[i]! : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 6)),
  );
  const before = Float32Array.from(values);
  const got = radixSortFloat32(values);
  const want = values.filter((v) => !Number.isNaN(v)).sort();
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(got[i] === want[i], `index ${i}: ${got[i]} vs ${want[i]}`);
  }
  assert.deepEqual(values, before);
  assert.deepEqual([...sortedNonMissing(new Float64Array([3, NaN, -1, 2]))], [-1, 2, 3]);
});

Deno.test("sortFloat64 sorts in place exactly as the built-in sort, -0 before +0", () => {
  let s = 5;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const special = [0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38, 0, -0];
  for (const n of [0, 7, 511, 512, 5000]) {
    // Float32 values widened (the radix path), then the same with one double that is not a
    // float32 (the comparison sort), then repeated values.
    const f32 = Float64Array.from(
      { length: n },
      (_, i) => Math.fround(i < special.length ? special[i]! : (rnd() - 0.5) * 1e3),
    );
    const f64 = Float64Array.from(f32);
    if (n > 0) f64[n - 1] = 0.1;
    const ties = Float64Array.from({ length: n }, () => Math.fround(Math.floor(rnd() * 5) - 2));
    for (const values of [f32, f64, ties]) {
      const want = Float64Array.from(values).sort();
      const got = sortFloat64(values);
      assert.equal(got, values, "sorted in place");
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(got[i], want[i]), `n ${n}, index ${i}: ${got[i]} vs ${want[i]}`);
      }
    }
  }
});
