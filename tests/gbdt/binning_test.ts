import assert from "node:assert/strict";
import { binMatrix, binOf, findCuts, MISSING_BIN, sortFloats } from "../../src/gbdt/binning.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

Deno.test("sortFloats orders as Float32Array.prototype.sort does (negatives, ±0, ties)", () => {
  const rng = new Pcg32(3);
  for (const n of [0, 1, 2, 17, 5000]) {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      v[i] = u < 0.1 ? 0 : u < 0.2 ? -0 : u < 0.5 ? Math.round((u - 0.5) * 20) : (u - 0.7) * 1e6;
    }
    const want = v.slice().sort(), got = sortFloats(v.slice());
    assert.equal(got.length, want.length);
    for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]), `n ${n}, index ${i}`);
  }
});

Deno.test("binMatrix gives binOf's bin for every value, in both layouts", () => {
  const rng = new Pcg32(4);
  const nRows = 3000, nCols = 5;
  const data = new Float32Array(nRows * nCols);
  for (let k = 0; k < data.length; k++) {
    const j = k % nCols, u = rng.nextFloat();
    // A continuous column, a few-valued one, one with heavy ties at the cuts, missing values.
    data[k] = u < 0.05
      ? NaN
      : j === 1
      ? Math.floor(u * 7)
      : j === 2
      ? Math.round(u * 3) / 3
      : (u - 0.3) * 100;
  }
  const m = { data, nRows, nCols, names: ["a", "b", "c", "d", "e"] };
  for (const maxBins of [2, 16, 255]) {
    const cuts = findCuts(m, maxBins);
    const rowBins = new Uint8Array(nRows * nCols);
    const { bins } = binMatrix(m, cuts, undefined, rowBins);
    for (let i = 0; i < nRows; i++) {
      for (let j = 0; j < nCols; j++) {
        const want = binOf(cuts.cuts[j]!, data[i * nCols + j]!);
        assert.equal(bins[j * nRows + i], want, `row ${i}, column ${j}, maxBins ${maxBins}`);
        assert.equal(rowBins[i * nCols + j], want);
        if (Number.isNaN(data[i * nCols + j])) assert.equal(want, MISSING_BIN);
      }
    }
  }
});
