import assert from "node:assert/strict";
import { radixSortFloat32, sortedNonMissing } from "../../src/drift/sort.ts";

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
