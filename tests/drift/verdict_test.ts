import assert from "node:assert/strict";
import { type DriftVerdict, driftVerdict } from "../../src/drift/verdict.ts";
import { indexReference } from "../../src/drift/reference_index.ts";
import { driftReport } from "../../src/drift/report.ts";
import { seasonalIndices, selectRows } from "../../src/drift/seasonal.ts";
import { driftRoles } from "../../src/drift/feature_roles.ts";
import { FEATURES } from "../../src/features/schema.ts";
import { hourly, rowsWhere, SKIP } from "./_synthetic.ts";

const HOUR = 3_600_000;
const Y2013 = Date.UTC(2013, 0, 1);
const Y2016 = Date.UTC(2016, 0, 1);
const reference = hourly({ start: Y2013, hours: 3 * 365 * 24 + 24, stations: 4, seed: 1 });
const year2016 = hourly({ start: Y2016, hours: 366 * 24, stations: 4, seed: 2 });
const index = indexReference(reference, { skip: SKIP });
const OPTIONS = { skip: SKIP };

/** One month of 2016 (0-based month). */
function month2016(m: number) {
  return rowsWhere(year2016, (t) => new Date(t).getUTCMonth() === m);
}

Deno.test("driftVerdict: a new year of the same autocorrelated process is not drift; the textbook preset flags most months", () => {
  const v = driftVerdict(index, year2016, OPTIONS);
  assert.equal(v.windows.length, 12);
  const drifting = v.windows.filter((w) => w.state === "drift").map((w) => w.window);
  assert.ok(drifting.length <= 1, `months in drift: ${drifting.join(", ")}`);
  let textbook = 0;
  for (let m = 0; m < 12; m++) {
    const cur = month2016(m);
    const seasonal = seasonalIndices(reference.times, cur.times).indices;
    const r = driftReport(selectRows(reference.columns, seasonal), cur.columns, {
      features: ["a", "b"],
      supplementary: false,
    });
    if (r.features.some((f) => f.drifted)) textbook++;
  }
  assert.ok(textbook >= 8, `textbook flagged ${textbook} of 12 months`);
});

/** Every way the summary could contradict its months, checked. */
function assertOneStory(v: DriftVerdict): void {
  for (const f of v.features.filter((x) => x.role === "feature" && x.checks.length)) {
    const monthly = v.windows.map((w) => w.features.find((x) => x.feature === f.feature)!);
    const anyDrift = monthly.some((x) => x.state === "drift");
    if (anyDrift) assert.equal(f.state, "drift", `${f.feature} drifts in a month`);
    for (const c of f.checks) {
      const months = v.windows.filter((w) =>
        w.features.find((x) => x.feature === f.feature)!.checks.find((y) => y.check === c.check)
          ?.state === "drift"
      ).map((w) => w.window);
      assert.deepEqual(c.drift_windows, months, `${f.feature} ${c.check}`);
      if (c.state === "drift" && months.length === 0) {
        // A persistent shift: Stouffer's combination of the months and the pooled floor.
        assert.ok(c.z !== null && c.z >= v.rule.z_drift, `${f.feature} ${c.check} z ${c.z}`);
        assert.ok(c.value !== null && c.value >= c.min_effect, `${f.feature} ${c.check}`);
      }
    }
  }
  const drifted = v.features.filter((f) => f.state === "drift").map((f) => f.feature);
  assert.deepEqual(v.headline.drifted, drifted);
  assert.equal(v.headline.state === "drift", drifted.length > 0);
  assert.deepEqual(
    v.headline.windows.drift,
    v.windows.filter((w) => w.state === "drift").map((w) => w.window),
  );
  for (const w of v.windows) {
    assert.deepEqual(
      w.drifted,
      w.features.filter((f) => f.state === "drift").map((f) => f.feature),
    );
    for (const name of w.drifted) {
      assert.ok(v.headline.drifted.includes(name), `${w.window} ${name}`);
    }
  }
}

Deno.test("driftVerdict: the summary is made of the months' verdicts and cannot disagree with them", () => {
  // 2016 with a shift in March (a + 10), a missing burst in July (b), a stuck sensor in October.
  const cur = rowsWhere(year2016, () => true);
  const a = cur.columns.a as Float32Array;
  const b = cur.columns.b as Float32Array;
  for (let i = 0; i < cur.times.length; i++) {
    const d = new Date(cur.times[i]!);
    if (d.getUTCMonth() === 2) a[i]! += 10;
    if (d.getUTCMonth() === 6 && d.getUTCDate() <= 12) b[i] = NaN;
    if (d.getUTCMonth() === 9 && d.getUTCDate() <= 7 && cur.groups![i] === "S1") a[i] = 12.5;
  }
  const v = driftVerdict(index, cur, OPTIONS);
  assertOneStory(v);
  const state = (m: string, f: string) =>
    v.windows.find((w) => w.window === m)!.features.find((x) => x.feature === f)!;
  assert.equal(state("2016-03", "a").state, "drift");
  assert.equal(state("2016-03", "a").decided_by, "distribution");
  assert.equal(state("2016-07", "b").state, "drift");
  assert.equal(state("2016-07", "b").decided_by, "missing");
  assert.equal(state("2016-10", "a").state, "drift");
  assert.equal(state("2016-10", "a").decided_by, "stuck");
  assert.equal(v.headline.state, "drift");
  assert.match(v.features.find((f) => f.feature === "a")!.reason, /2016-03/);
  // The same holds on other data: no shift at all, and a shift lasting all year.
  assertOneStory(driftVerdict(index, year2016, OPTIONS));
  const warm = rowsWhere(year2016, () => true);
  (warm.columns.a as Float32Array).forEach((_, i, col) => (col[i]! += 0.8));
  const vw = driftVerdict(index, warm, OPTIONS);
  assertOneStory(vw);
});

Deno.test("driftVerdict: a small shift lasting all year adds up across months", () => {
  // + 2.5 on a: within the noise of any single month, beyond it over twelve.
  const warm = rowsWhere(year2016, () => true);
  (warm.columns.a as Float32Array).forEach((_, i, col) => (col[i]! += 2.5));
  const v = driftVerdict(index, warm, OPTIONS);
  const a = v.features.find((f) => f.feature === "a")!;
  const dist = a.checks.find((c) => c.check === "distribution")!;
  assert.deepEqual(dist.drift_windows, [], "no single month is beyond noise");
  assert.equal(a.state, "drift", a.reason);
  assert.ok(dist.z! >= 3, `combined z ${dist.z}`);
  assert.match(a.reason, /together beyond noise/);
  assert.notEqual(v.features.find((f) => f.feature === "b")!.state, "drift");
  assertOneStory(v);
  // Without the shift the same months combine to nothing.
  const calm = driftVerdict(index, year2016, OPTIONS).features.find((f) => f.feature === "a")!;
  assert.ok(calm.checks[0]!.z! < 2, `combined z ${calm.checks[0]!.z}`);
});

Deno.test("driftVerdict: calendar and identity features are never tested, whatever their shift", () => {
  // Night hours of one month only: hour and month are as far from the reference as can be.
  const cur = rowsWhere(
    year2016,
    (t) => new Date(t).getUTCMonth() === 1 && new Date(t).getUTCHours() < 5,
  );
  (cur.columns.station_code as Float32Array).fill(0);
  const v = driftVerdict(index, cur, OPTIONS);
  for (const name of ["hour", "month", "station_code"]) {
    const f = v.features.find((x) => x.feature === name)!;
    assert.equal(f.state, "skipped", name);
    assert.equal(f.checks.length, 0);
    assert.ok(!v.headline.drifted.includes(name));
    assert.ok(!v.windows.some((w) => w.features.some((x) => x.feature === name)), name);
  }
  assert.match(v.features.find((x) => x.feature === "hour")!.reason, /calendar feature/);
  assert.match(v.features.find((x) => x.feature === "station_code")!.reason, /identity feature/);
  assert.deepEqual(v.headline.skipped.map((s) => s.feature), ["hour", "month", "station_code"]);
  // The project's schema marks its calendar features and the station that way.
  const roles = driftRoles(FEATURES);
  assert.deepEqual(roles.skip, {
    hour: "calendar",
    dow: "calendar",
    month: "calendar",
    station_code: "identity",
  });
});

Deno.test("driftVerdict: rows also in the reference are left out of it", () => {
  const march2014 = rowsWhere(
    reference,
    (t) => new Date(t).getUTCFullYear() === 2014 && new Date(t).getUTCMonth() === 2,
  );
  const v = driftVerdict(index, march2014, OPTIONS);
  assert.equal(v.rows.overlap, march2014.times.length);
  assert.equal(v.windows[0]!.reference_rows, 3 * 31 * 24 * 4 - march2014.times.length);
  assert.ok(v.notes.some((n) => /also reference rows/.test(n)));
  assert.notEqual(v.headline.state, "drift");
});

Deno.test("driftVerdict: one index serves many batches with the same answer", () => {
  const cur = month2016(4);
  const a = driftVerdict(reference, cur, OPTIONS);
  const b = driftVerdict(index, cur, OPTIONS);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
});

Deno.test("driftVerdict: the report is plain JSON with finite numbers", () => {
  const v = driftVerdict(index, month2016(7), OPTIONS);
  const walk = (x: unknown, path: string): void => {
    if (typeof x === "number") assert.ok(Number.isFinite(x), path);
    else if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${path}[${i}]`));
    else if (x && typeof x === "object") {
      for (const [k, y] of Object.entries(x)) walk(y, `${path}.${k}`);
    }
  };
  walk(v, "verdict");
  assert.equal(v.kind, "aqlab.drift_verdict");
  assert.match(v.rule.text, /noise/);
  assert.match(v.explanations.prediction, /Not computed/);
});

Deno.test("driftVerdict: empty or tiny batches give a verdict that says why, never a crash", () => {
  const empty = rowsWhere(year2016, () => false);
  const v = driftVerdict(index, empty, OPTIONS);
  assert.equal(v.headline.state, "unavailable");
  assert.equal(v.windows.length, 0);
  assert.ok(v.notes.some((n) => /empty/.test(n)));
  const three = rowsWhere(year2016, (_, i) => i < 3);
  const t = driftVerdict(index, three, OPTIONS);
  assert.equal(t.features.find((f) => f.feature === "a")!.state, "not_run");
  assert.match(t.features.find((f) => f.feature === "a")!.reason, /too few values/);
  const noGroups = { ...month2016(3), groups: null };
  assert.equal(driftVerdict(reference, noGroups, OPTIONS).windows.length, 1);
  assert.throws(
    () => driftVerdict(index, { ...month2016(3), times: [1, 2] }, OPTIONS),
    RangeError,
  );
});

Deno.test("driftVerdict: the noise comes from whole months, chunks or blocks, by what the reference allows", () => {
  const week = rowsWhere(year2016, (t) => t < Y2016 + 7 * 24 * HOUR);
  assert.equal(driftVerdict(index, month2016(3), OPTIONS).windows[0]!.noise.method, "months");
  const w = driftVerdict(index, week, OPTIONS).windows[0]!;
  assert.equal(w.noise.method, "chunks");
  assert.equal(w.noise.piece_days, 7);
  const short = rowsWhere(reference, (t) => t < Y2013 + 60 * 24 * HOUR);
  const s = driftVerdict(short, month2016(0), OPTIONS).windows[0]!;
  assert.equal(s.noise.method, "blocks");
  assert.ok(s.notes.some((n) => /without year-to-year variation/.test(n)));
});
