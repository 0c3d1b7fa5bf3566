import assert from "node:assert/strict";
import { seasonalIndices, selectRows } from "../../src/drift/seasonal.ts";
import { driftVerdict } from "../../src/drift/verdict.ts";

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

Deno.test("a summer batch is judged against past summers; a warm one drifts", () => {
  // Three past years as the reference, the fourth year's July as the batch.
  const ref = year(0, 3 * 365 * 24);
  const all = year(3);
  const july = [...all.times.keys()].filter((i) => new Date(all.times[i]!).getUTCMonth() === 6);
  const current = {
    columns: selectRows({ temp: all.temp }, july),
    times: july.map((i) => all.times[i]!),
  };
  const reference = { columns: { temp: ref.temp }, times: ref.times };
  const seasonal = driftVerdict(reference, current, { season: "month" });
  assert.equal(seasonal.windows[0]!.comparison, "seasonal");
  assert.equal(seasonal.windows[0]!.reference_rows, 3 * 31 * 24);
  assert.equal(seasonal.windows[0]!.noise.method, "months");
  assert.notEqual(seasonal.headline.state, "drift");
  // Against the whole year a July is far off (the distance is large), but so is every
  // training month against the rest of its year: the same yardstick, so no drift either.
  const whole = driftVerdict(reference, current, { season: null });
  assert.equal(whole.windows[0]!.reference_rows, 3 * 365 * 24);
  const temp = whole.windows[0]!.features[0]!.checks[0]!;
  assert.ok(temp.value! > 1, `distance ${temp.value}`);
  assert.notEqual(whole.headline.state, "drift");
  // A July ten degrees warmer than past Julys is drift against past summers.
  const hot = (current.columns.temp as Float64Array).map((t) => t + 10);
  const warm = { ...current, columns: { temp: hot } };
  assert.deepEqual(driftVerdict(reference, warm, { season: "month" }).headline.drifted, ["temp"]);
});

Deno.test("selectRows keeps column types", () => {
  const out = selectRows({ a: new Float32Array([1, 2, 3]), b: ["x", null, "z"] }, [2, 0]);
  assert.ok(out.a instanceof Float32Array);
  assert.deepEqual([...out.a!], [3, 1]);
  assert.deepEqual(out.b, ["z", "x"]);
});
