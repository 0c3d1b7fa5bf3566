import assert from "node:assert/strict";
import { sampleOfReference, sampleOfRows } from "../../src/drift/endpoint_sample.ts";
import { driftVerdict } from "../../src/drift/verdict.ts";
import { indexReference } from "../../src/drift/reference_index.ts";
import type { DriftReference } from "../../src/registry/package.ts";

const names = ["a", "station_code"];

/** A package reference as `sampleReference` writes it: two years, two stations. */
function reference(): DriftReference {
  const time: string[] = [];
  const a: (number | null)[] = [];
  const code: number[] = [];
  const pred: number[] = [];
  const y: (number | null)[] = [];
  for (let h = 0; h < 2 * 365 * 24; h += 7) {
    for (const s of [0, 1]) {
      const t = new Date(Date.UTC(2014, 0, 1) + h * 3_600_000);
      time.push(t.toISOString().slice(0, 13) + ":00");
      const v = 10 + 5 * Math.sin((2 * Math.PI * h) / 8760) + s + ((h * 7919 + s * 31) % 13) / 6;
      a.push(h % 97 === 0 ? null : v);
      code.push(s);
      pred.push(v * 0.9);
      y.push(v);
    }
  }
  return {
    columns: { a, station_code: code, prediction: pred, pm25_next: y },
    time,
    rows: time.length,
    source_rows: time.length,
  };
}

Deno.test("sampleOfReference(): the package's sample with local times, stations as groups", () => {
  const ref = reference();
  const s = sampleOfReference(ref, names, "pm25_next");
  assert.equal(s.times.length, ref.rows);
  assert.equal(s.times[0], Date.UTC(2014, 0, 1));
  assert.ok(Number.isNaN(s.columns.a![0]!), "null is missing");
  assert.deepEqual([...new Set(Array.from(s.groups!))], ["0", "1"]);
  assert.equal(s.prediction!.length, ref.rows);
  assert.equal(s.target!.length, ref.rows);
  assert.throws(
    () => sampleOfReference({ ...ref, time: ["yesterday", ...ref.time.slice(1)] }, names, "y"),
    RangeError,
    'time "yesterday" at row 0',
  );
});

Deno.test("sampleOfRows(): logged rows judged by the one verdict against the package's sample", () => {
  const ref = sampleOfReference(reference(), names, "pm25_next");
  const options = { features: names, skip: { station_code: "identity" as const } };
  const index = indexReference(ref, options);
  // A week of requests in March 2016, the inputs shifted far beyond anything in training.
  const rows = Array.from({ length: 2 * 7 * 24 }, (_, i) => ({
    x: [40 + (i % 5), i % 2],
    prediction: 36,
    time: new Date(Date.UTC(2016, 2, 1) + Math.floor(i / 2) * 3_600_000).toISOString(),
  }));
  const v = driftVerdict(index, sampleOfRows(rows, names), options);
  assert.equal(v.windows.length, 1);
  assert.equal(v.windows[0]!.window, "2016-03");
  assert.equal(v.features.find((f) => f.feature === "a")!.state, "drift");
  assert.equal(v.prediction!.state, "drift");
  assert.equal(v.target, null, "logged rows have no labels");
  assert.throws(
    () => sampleOfRows([{ x: [1, 0], prediction: 1, time: "soon" }], names),
    RangeError,
  );
});
