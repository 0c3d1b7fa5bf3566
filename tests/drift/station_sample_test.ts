/**
 * The drift stage's row cap: above it, a seeded sample of whole stations, the same on both
 * sides, recorded with its seed and sizes. Tried the way a user would break it: a cap
 * smaller than any station, a station only on one side, another seed, a cap just met.
 */
import assert from "node:assert/strict";
import {
  pickStations,
  rowsOfStations,
  sampleNote,
  stationCounts,
} from "../../src/drift/station_sample.ts";
import type { LabelledMatrix } from "../../src/data/load_matrix.ts";

/** `n` stations "s00".."s(n-1)" with `rows(i)` rows each. */
function counts(n: number, rows: (i: number) => number): Map<string, number> {
  return new Map(Array.from({ length: n }, (_, i) => [`s${String(i).padStart(2, "0")}`, rows(i)]));
}

Deno.test("station sample: at or below the cap on both sides, every row and nothing drawn", () => {
  const ref = counts(12, () => 1000), cur = counts(12, () => 300);
  const { keep, sample } = pickStations(ref, cur, 12_000, 1);
  assert.equal(keep, null);
  assert.equal(sample.sampled, false);
  assert.deepEqual(sample.reference, { rows: 12_000, judged: 12_000 });
  assert.deepEqual(sample.current, { rows: 3600, judged: 3600 });
  assert.deepEqual(sample.stations, { judged: 12, total: 12 });
  assert.deepEqual(sample.judged_stations, []);
  assert.equal(sampleNote(sample), null);
});

Deno.test("station sample: above the cap, whole stations within it, the same for the same seed", () => {
  const ref = counts(40, (i) => 900 + 37 * i), cur = counts(40, (i) => 300 + 11 * i);
  const a = pickStations(ref, cur, 10_000, 7);
  const b = pickStations(new Map([...ref].reverse()), new Map([...cur].reverse()), 10_000, 7);
  assert.ok(a.keep && b.keep);
  assert.deepEqual(a.sample, b.sample, "the order the counts come in does not matter");
  const s = a.sample;
  assert.equal(s.sampled, true);
  assert.equal(s.seed, 7);
  assert.equal(s.max_rows, 10_000);
  assert.equal(s.judged_stations.length, a.keep.size);
  const sum = (m: Map<string, number>) => s.judged_stations.reduce((t, k) => t + m.get(k)!, 0);
  assert.equal(s.reference.judged, sum(ref));
  assert.equal(s.current.judged, sum(cur));
  assert.ok(s.reference.judged <= 10_000 && s.current.judged <= 10_000);
  // The draw stops at the first station that would pass the cap: that one did not fit.
  const all = [...ref.keys()].sort();
  assert.ok(s.stations.judged < 40 && s.stations.total === 40);
  const rest = all.filter((k) => !a.keep!.has(k));
  assert.ok(rest.some((k) => s.reference.judged + ref.get(k)! > 10_000));
  const note = sampleNote(s)!;
  assert.match(note, /seed 7/);
  assert.match(note, new RegExp(`${s.stations.judged} of 40 whole stations`));
  assert.match(note, new RegExp(s.reference.judged.toLocaleString("en-US")));

  const other = pickStations(ref, cur, 10_000, 8).sample.judged_stations;
  assert.notDeepEqual(other, s.judged_stations, "another seed draws other stations");
});

Deno.test("station sample: a cap below any one station still judges one whole station", () => {
  const { keep, sample } = pickStations(counts(5, () => 5000), counts(5, () => 100), 10, 3);
  assert.equal(keep!.size, 1);
  assert.equal(sample.reference.judged, 5000, "a station is never split");
  assert.equal(sample.current.judged, 100);
});

Deno.test("station sample: the current side alone over the cap; stations on one side only", () => {
  const ref = new Map([["a", 10], ["b", 10]]);
  const cur = new Map([["a", 600], ["b", 600], ["new", 600]]);
  const { keep, sample } = pickStations(ref, cur, 1000, 1);
  assert.equal(sample.sampled, true);
  assert.equal(keep!.size, 1, "two stations of 600 current rows pass a cap of 1000");
  assert.equal(sample.stations.total, 3);
  assert.equal(sample.current.judged, 600);
  assert.throws(() => pickStations(ref, cur, 0, 1), /expected a row cap >= 1, got 0/);
});

Deno.test("station sample: the matrix rows of the drawn stations, in their order", () => {
  const m: LabelledMatrix = {
    X: { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), nRows: 4, nCols: 2, names: ["x", "z"] },
    y: Float32Array.from([10, 20, 30, 40]),
    station: ["a", "b", "a", "c"],
    time: Float64Array.from([0, 1, 2, 3]),
  };
  assert.deepEqual(stationCounts(m), new Map([["a", 2], ["b", 1], ["c", 1]]));
  assert.equal(rowsOfStations(m, null), m);
  const r = rowsOfStations(m, new Set(["a", "c"]));
  assert.deepEqual([...r.X.data], [1, 2, 5, 6, 7, 8]);
  assert.equal(r.X.nRows, 3);
  assert.deepEqual([...r.y], [10, 30, 40]);
  assert.deepEqual(r.station, ["a", "a", "c"]);
  assert.deepEqual([...r.time], [0, 2, 3]);
});
