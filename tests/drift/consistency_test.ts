import assert from "node:assert/strict";
import { driftVerdict, type VerdictOptions } from "../../src/drift/verdict.ts";
import { indexReference } from "../../src/drift/reference_index.ts";
import {
  hourOrder,
  lowMargin,
  stationResiduals,
  windowReplicates,
} from "../../src/drift/consistency.ts";
import { driftRoles, PHYSICAL_BOUNDS } from "../../src/drift/feature_roles.ts";
import { FEATURES } from "../../src/features/schema.ts";
import type { DriftSample } from "../../src/drift/sample.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";
import { hourly, rowsWhere, SKIP } from "./_synthetic.ts";

const HOUR = 3_600_000;
const Y2013 = Date.UTC(2013, 0, 1);
const Y2016 = Date.UTC(2016, 0, 1);

/**
 * Weather of `stations` stations: air temperature and dew point sharing an annual cycle and
 * AR(1) weather; the dew point sits below the temperature by a margin that reaches 0 (fog,
 * rain) every few days, as it does in Beijing's months.
 */
function weather(start: number, hours: number, stations: number, seed: number): DriftSample {
  const rng = new Pcg32(seed, 7);
  const normal = () =>
    Math.sqrt(-2 * Math.log(Math.max(rng.nextFloat(), 1e-12))) *
    Math.cos(2 * Math.PI * rng.nextFloat());
  const n = hours * stations;
  const temp = new Float32Array(n);
  const dewp = new Float32Array(n);
  const times = new Float64Array(n);
  const groups: string[] = new Array(n);
  const w = new Float64Array(hours);
  const m = new Float64Array(hours);
  let x = 0;
  let y = 0;
  for (let h = 0; h < hours; h++) {
    x = 0.99 * x + Math.sqrt(1 - 0.99 ** 2) * normal();
    y = 0.97 * y + Math.sqrt(1 - 0.97 ** 2) * normal();
    w[h] = x;
    m[h] = y;
  }
  let i = 0;
  for (let s = 0; s < stations; s++) {
    for (let h = 0; h < hours; h++, i++) {
      const t = start + h * HOUR;
      const doy = (t - Date.UTC(new Date(t).getUTCFullYear(), 0, 1)) / (24 * HOUR);
      temp[i] = 12 - 14 * Math.cos((2 * Math.PI * doy) / 365) + 4 * w[h]! + 0.3 * s +
        0.2 * normal();
      dewp[i] = temp[i]! - Math.max(0, 4 + 5 * m[h]! + 0.3 * normal());
      times[i] = t;
      groups[i] = `S${s}`;
    }
  }
  return { columns: { TEMP: temp, DEWP: dewp }, times, groups };
}

const reference = hourly({ start: Y2013, hours: 3 * 365 * 24 + 24, stations: 5, seed: 1 });
const year2016 = hourly({ start: Y2016, hours: 366 * 24, stations: 5, seed: 2 });
const index = indexReference(reference, { skip: SKIP });
const OPTIONS: VerdictOptions = { skip: SKIP };

function month2016(sample: DriftSample, m: number): DriftSample {
  return rowsWhere(sample, (t) => new Date(t).getUTCMonth() === m);
}

function feature(v: ReturnType<typeof driftVerdict>, name: string) {
  return v.features.find((f) => f.feature === name)!;
}

Deno.test("stationResiduals: each value against the median of the other stations in the same hour", () => {
  // Hour 0: stations 0-3 read 1, 2, 3, 10; hour 1: only two stations (no residual).
  const values = [1, 2, 3, 10, 5, 6];
  const times = [0, 0, 0, 0, HOUR, HOUR];
  const group = Int32Array.from([0, 1, 2, 3, 0, 1]);
  const keep = Uint8Array.from([1, 1, 1, 1]);
  const r = stationResiduals(values, times, group, hourOrder(times), keep, false);
  // Others of station 0: 2, 3, 10 (median 3); of station 3: 1, 2, 3 (median 2).
  assert.deepEqual(Array.from(r.subarray(0, 4)), [1 - 3, 2 - 3, 3 - 2, 10 - 2]);
  assert.ok(Number.isNaN(r[4]!) && Number.isNaN(r[5]!));
  // A station left out of the comparison is neither judged nor anyone's "other".
  const r3 = stationResiduals(
    values,
    times,
    group,
    hourOrder(times),
    Uint8Array.from([1, 1, 1, 0]),
    false,
  );
  assert.deepEqual(Array.from(r3.subarray(0, 3)), [1 - 2.5, 2 - 2, 3 - 1.5]);
  assert.ok(Number.isNaN(r3[3]!));
  // On the log scale a factor is a shift: x1.5 on station 3 moves its residual by log(1.5).
  const scaled = [1, 2, 3, 10 * 1.5 + 0.5, 5, 6];
  const a = stationResiduals(values, times, group, hourOrder(times), keep, true);
  const b = stationResiduals(scaled, times, group, hourOrder(times), keep, true);
  assert.ok(Math.abs(b[3]! - a[3]! - Math.log(1.5)) < 1e-12);
});

Deno.test("lowMargin: the 0.1% quantile, never the single lowest value", () => {
  const sorted = Float64Array.from({ length: 10_000 }, (_, i) => i);
  assert.equal(lowMargin(sorted), 9);
  assert.equal(lowMargin(Float64Array.from({ length: 100 }, (_, i) => i)), 1);
  assert.equal(lowMargin(new Float64Array(10)), null, "fewer than a day of rows");
});

Deno.test("cross_station: one station's sensor off by a little more than the others differ names the feature and the station, where its distribution cannot tell", () => {
  const cur = month2016(year2016, 4);
  const a = cur.columns.a as Float32Array;
  for (let i = 0; i < a.length; i++) if (cur.groups![i] === "S3") a[i]! += 1.5;
  const v = driftVerdict(index, cur, OPTIONS);
  const f = feature(v, "a");
  const dist = f.checks.find((c) => c.check === "distribution")!;
  assert.notEqual(dist.state, "drift", "a fifth of the rows 1.5 higher: within the month's noise");
  const xs = f.checks.find((c) => c.check === "cross_station")!;
  assert.equal(xs.state, "drift");
  assert.equal(f.state, "drift");
  assert.match(f.reason, /other stations/);
  assert.match(f.reason, /station S3/);
  const w = v.windows[0]!.features.find((x) => x.feature === "a")!;
  const part = w.checks.find((c) => c.check === "cross_station")!.parts!;
  assert.equal(part.length, 5, "every station judged");
  const top = part.reduce((p, q) => (Math.abs(q.z) > Math.abs(p.z) ? q : p));
  assert.equal(top.name, "S3");
  assert.ok(top.value > 0, "above the others");
  // b, untouched, keeps its place among the stations.
  assert.notEqual(feature(v, "b").state, "drift");
  // The same month without the fault: no station out of place.
  const calm = driftVerdict(index, month2016(year2016, 4), OPTIONS);
  assert.equal(feature(calm, "a").checks.find((c) => c.check === "cross_station")!.state, "ok");
});

Deno.test("cross_station: skipped with the reason where fewer than three stations or no stations are known", () => {
  const march = month2016(year2016, 2);
  const twoStations = rowsWhere(march, (_, i) => ["S0", "S1"].includes(march.groups![i] as string));
  const v = driftVerdict(index, twoStations, OPTIONS);
  assert.ok(
    v.notes.some((n) => /Cross-station checks not run: 2 stations in both samples/.test(n)),
  );
  assert.ok(!feature(v, "a").checks.some((c) => c.check === "cross_station"));
  assert.notEqual(feature(v, "a").state, "not_run", "its own checks still run");
  const anonymous = driftVerdict(
    indexReference({ ...reference, groups: null }, { skip: SKIP }),
    { ...month2016(year2016, 2), groups: null },
    OPTIONS,
  );
  assert.ok(anonymous.notes.some((n) => /which station each row comes from/.test(n)));
  // Asked for by name only: the others are not compared.
  const only = driftVerdict(index, month2016(year2016, 2), { ...OPTIONS, crossStation: ["b"] });
  assert.ok(!feature(only, "a").checks.some((c) => c.check === "cross_station"));
  assert.ok(feature(only, "b").checks.some((c) => c.check === "cross_station"));
});

const wRef = weather(Y2013, 3 * 365 * 24 + 24, 4, 5);
const wIndex = indexReference(wRef, {});
const wYear = weather(Y2016, 366 * 24, 4, 6);
const BOUND: VerdictOptions = {
  bounds: [{ low: "DEWP", high: "TEMP", why: "the dew point never exceeds the air temperature" }],
};

Deno.test("bound: an air temperature reading 3 °C high never meets the dew point; the pair is named, TEMP as the likelier", () => {
  const cur = month2016(wYear, 9);
  (cur.columns.TEMP as Float32Array).forEach((_, i, c) => (c[i]! += 3));
  const v = driftVerdict(wIndex, cur, BOUND);
  const temp = feature(v, "TEMP");
  const bound = temp.checks.find((c) => c.check === "bound")!;
  assert.equal(bound.state, "drift", temp.reason);
  assert.match(temp.reason, /DEWP ≤ TEMP/);
  assert.match(temp.reason, /wider/);
  assert.match(temp.reason, /more likely TEMP than DEWP/);
  // Both members carry the pair's verdict: which sensor moved is a hint, not a finding.
  assert.equal(feature(v, "DEWP").checks.find((c) => c.check === "bound")!.state, "drift");
  assert.ok(v.headline.drifted.includes("TEMP") && v.headline.drifted.includes("DEWP"));
  const w = v.windows[0]!.features.find((f) => f.feature === "TEMP")!;
  const blame = w.checks.find((c) => c.check === "bound")!.blame!;
  assert.ok(blame.TEMP! > blame.DEWP!, JSON.stringify(blame));
  // A dew point reading 3 °C high passes the temperature: the margin narrows, DEWP likelier.
  const wet = month2016(wYear, 9);
  (wet.columns.DEWP as Float32Array).forEach((_, i, c) => (c[i]! += 3));
  const vw = driftVerdict(wIndex, wet, BOUND);
  assert.ok(vw.headline.drifted.includes("DEWP"), vw.headline.text);
  assert.match(feature(vw, "DEWP").reason, /narrower/);
  assert.match(feature(vw, "DEWP").reason, /more likely DEWP than TEMP/);
  // Untouched: the pair is consistent.
  const calm = driftVerdict(wIndex, month2016(wYear, 9), BOUND);
  for (const name of ["TEMP", "DEWP"]) {
    assert.notEqual(feature(calm, name).checks.find((c) => c.check === "bound")!.state, "drift");
  }
});

Deno.test("bound: over a year the months and the summary tell one story; a missing member is said", () => {
  const cur = rowsWhere(wYear, () => true);
  const temp = cur.columns.TEMP as Float32Array;
  for (let i = 0; i < temp.length; i++) {
    if (new Date(cur.times[i]!).getUTCMonth() === 6) temp[i]! += 3;
  }
  const v = driftVerdict(wIndex, cur, BOUND);
  const t = feature(v, "TEMP");
  const b = t.checks.find((c) => c.check === "bound")!;
  const months = v.windows.filter((w) =>
    w.features.find((f) => f.feature === "TEMP")!.checks.find((c) => c.check === "bound")
      ?.state === "drift"
  ).map((w) => w.window);
  assert.ok(months.includes("2016-07"), months.join(","));
  assert.deepEqual(b.drift_windows, months);
  assert.equal(t.state, "drift");
  assert.deepEqual(
    v.headline.drifted,
    v.features.filter((f) => f.state === "drift").map((f) => f.feature),
  );
  const noDew = { ...month2016(wYear, 3), columns: { TEMP: month2016(wYear, 3).columns.TEMP! } };
  const vn = driftVerdict(wIndex, noDew, BOUND);
  assert.ok(
    vn.notes.some((n) => /Bound DEWP ≤ TEMP not checked: "DEWP"/.test(n)),
    vn.notes.join("; "),
  );
  assert.ok(!feature(vn, "TEMP").checks.some((c) => c.check === "bound"));
});

Deno.test("driftRoles: the measured quantities are compared across stations, not their lags; the dew point is bound to the temperature", () => {
  const roles = driftRoles(FEATURES);
  assert.ok(roles.crossStation.includes("PM2.5"));
  assert.ok(roles.crossStation.includes("NO2"));
  assert.ok(roles.crossStation.includes("TEMP"));
  assert.ok(!roles.crossStation.some((n) => /lag|roll/.test(n)), roles.crossStation.join(","));
  assert.ok(!roles.crossStation.includes("hour"));
  assert.deepEqual(roles.bounds, PHYSICAL_BOUNDS);
  // A schema without the dew point has no bound.
  assert.deepEqual(driftRoles(FEATURES.filter((f) => f.name !== "DEWP")).bounds, []);
});

Deno.test("windowReplicates: whole blocks of days, every station together, drawn with replacement", () => {
  const month = month2016(year2016, 4);
  const rows = Int32Array.from(month.times, (_, i) => i);
  const reps = windowReplicates(rows, month.times, 7, 5)!;
  assert.equal(reps.length, 5);
  const DAY = 86_400_000;
  for (const r of reps) {
    // Blocks of 3 days (31 days / 10): each day present comes with all its rows.
    const perDay = new Map<number, number>();
    for (const i of r) {
      const d = Math.floor(month.times[i]! / DAY);
      perDay.set(d, (perDay.get(d) ?? 0) + 1);
    }
    for (const n of perDay.values()) assert.equal(n % (24 * 5), 0, "whole days of every station");
  }
  assert.notDeepEqual(Array.from(reps[0]!), Array.from(reps[1]!));
  assert.deepEqual(windowReplicates(rows, month.times, 7, 5), reps, "seeded");
  // Three days make fewer than four blocks: no replicates.
  const short = rowsWhere(month, (t) => t < month.times[0]! + 3 * DAY);
  assert.equal(
    windowReplicates(Int32Array.from(short.times, (_, i) => i), short.times, 7),
    null,
  );
});
