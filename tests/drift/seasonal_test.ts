import assert from "node:assert/strict";
import { seasonalDriftReport, seasonalIndices, selectRows } from "../../src/drift/seasonal.ts";

const HOUR = 3600_000;
const start = Date.UTC(2014, 0, 1);

// A year of hourly temperatures with a strong annual cycle and no drift at all.
function year(offsetYears: number, n = 365 * 24) {
  const times = Float64Array.from(
    { length: n },
    (_, i) => Date.UTC(2014 + offsetYears, 0, 1) + i * HOUR,
  );
  const temp = Float64Array.from(times, (t) => {
    const doy = (t - Date.UTC(new Date(t).getUTCFullYear(), 0, 1)) / (24 * HOUR);
    return 15 - 15 * Math.cos((2 * Math.PI * doy) / 365) + Math.sin(t / 7e6);
  });
  return { times, temp };
}

Deno.test("seasonalIndices keeps the reference rows of the current months", () => {
  const ref = Float64Array.from({ length: 24 * 365 }, (_, i) => start + i * HOUR);
  const cur = [Date.UTC(2015, 6, 3), Date.UTC(2015, 7, 9)];
  const { indices, keys } = seasonalIndices(ref, cur);
  assert.deepEqual(keys, [7, 8]);
  assert.equal(indices.length, (31 + 31) * 24);
  for (const i of indices) assert.ok([6, 7].includes(new Date(ref[i]!).getUTCMonth()));
  assert.deepEqual(seasonalIndices(ref, [Date.UTC(2015, 0, 1, 5)], "hour").indices.length, 365);
});

Deno.test("a summer batch drifts against the whole year but not against past summers", () => {
  const ref = year(0);
  const all = year(1);
  const july = [...all.times.keys()].filter((i) => new Date(all.times[i]!).getUTCMonth() === 6);
  const cur = selectRows({ temp: all.temp }, july);
  const r = seasonalDriftReport({ temp: ref.temp }, cur, {
    referenceTimes: ref.times,
    currentTimes: july.map((i) => all.times[i]!),
  });
  assert.deepEqual(r.keys, [7]);
  assert.equal(r.nSeasonalReference, 31 * 24);
  assert.equal(r.wholeYear.datasetDrift, true);
  assert.equal(r.seasonal.datasetDrift, false);
});

Deno.test("selectRows keeps column types", () => {
  const out = selectRows({ a: new Float32Array([1, 2, 3]), b: ["x", null, "z"] }, [2, 0]);
  assert.ok(out.a instanceof Float32Array);
  assert.deepEqual([...out.a!], [3, 1]);
  assert.deepEqual(out.b, ["z", "x"]);
});
