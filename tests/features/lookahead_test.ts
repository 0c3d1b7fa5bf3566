/**
 * No look-ahead anywhere in the data chain: raw CSV -> ingest -> clean -> features. For
 * seeded random stations with gap hours, missing values, duplicate lines and stuck
 * sensors, every raw value after an hour t is changed (numbers, missing or not); every
 * feature at t and before must stay bit for bit the same. Only the target (PM2.5 at
 * t + horizon) may change.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, ident, lit, openDuck } from "../../src/data/duck.ts";
import { ingest, scanDataDir } from "../../src/data/ingest/ingest.ts";
import { PRSA } from "../../src/data/ingest/adapters.ts";
import { clean, type FillRule } from "../../src/data/clean.ts";
import { buildFeatures } from "../../src/features/build.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { COMPASS } from "../../src/data/compass.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

const HEADER =
  `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"`;
const HOURS = 240;
const START = Date.UTC(2021, 0, 30); // spans a month end

interface Line {
  hour: number;
  values: (number | null)[]; // PM2.5 .. RAIN (10), the wind direction's compass index, WSPM
}

/** One station's raw lines: gap hours, missing values, stuck runs, duplicate lines. */
function stationLines(rng: Pcg32): Line[] {
  const lines: Line[] = [];
  let pm = 40;
  let stuckUntil = -1;
  for (let h = 0; h < HOURS; h++) {
    if (rng.nextFloat() < 0.06) continue; // the hour is absent
    if (stuckUntil < h && rng.nextFloat() < 0.02) {
      stuckUntil = h + 3 + Math.floor(rng.nextFloat() * 30);
    }
    if (h > stuckUntil) pm = Math.max(1, pm + (rng.nextFloat() - 0.5) * 20);
    const values = [pm, pm * 1.4, 8, 40, 900, 50, 5, 1015, -3, 0, 0, 2].map((base, i) => {
      if (i === 10) return Math.floor(rng.nextFloat() * 16); // wind direction index
      if (i === 0 && h <= stuckUntil) return Math.round(base);
      if (rng.nextFloat() < 0.12) return null; // a missing value
      return Math.round((i === 0 ? base : base + (rng.nextFloat() - 0.5) * base * 0.3) * 10) / 10;
    });
    lines.push({ hour: h, values });
    if (rng.nextFloat() < 0.05) {
      // A duplicate line of the same hour, with other values (read later in the file).
      lines.push({ hour: h, values: values.map((v, i) => (v === null || i === 10 ? v : v + 1)) });
    }
  }
  // Duplicates go to the end of the file, the way appended exports do.
  return [...lines.filter((_, i) => i % 7 !== 3), ...lines.filter((_, i) => i % 7 === 3)];
}

/** Every value after `cut` replaced by another random value or turned missing / present. */
function changeAfter(lines: Line[], cut: number, rng: Pcg32): Line[] {
  return lines.map((l) =>
    l.hour <= cut ? l : {
      hour: l.hour,
      values: l.values.map((v, i) =>
        i === 10
          ? (v! + 1 + Math.floor(rng.nextFloat() * 15)) % 16
          : rng.nextFloat() < 0.15
          ? (v === null ? 77 : null)
          : Math.round((v ?? 50) * (0.3 + rng.nextFloat() * 2) * 10) / 10 + 0.1
      ),
    }
  );
}

function csv(station: string, lines: Line[]): string {
  const out = [HEADER];
  lines.forEach((l, k) => {
    const t = new Date(START + l.hour * 3_600_000);
    const v = l.values.map((x) => (x === null ? "NA" : String(x)));
    out.push(
      [
        k + 1,
        t.getUTCFullYear(),
        t.getUTCMonth() + 1,
        t.getUTCDate(),
        t.getUTCHours(),
        ...v.slice(0, 10),
        `"${COMPASS[l.values[10]!]}"`,
        v[11],
        `"${station}"`,
      ].join(","),
    );
  });
  return out.join("\n") + "\n";
}

/** The whole chain on a set of files; features as rows keyed by station and hour. */
async function features(files: Record<string, string>, fill: FillRule) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-lookahead-" });
  const c = await openDuck();
  try {
    await Deno.mkdir(join(dir, "data"));
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, "data", name), text);
    }
    const p = (f: string) => join(dir, f);
    await ingest(c, {
      files: (await scanDataDir(p("data"))).files,
      adapter: PRSA,
      sourceName: "prsa",
      knownStations: null,
      rawOut: p("raw.parquet"),
      rejectsOut: p("rejects.parquet"),
    });
    await clean(c, {
      rawPath: p("raw.parquet"),
      out: p("clean.parquet"),
      fill,
      maxFillHours: 3,
      stuckHours: 6,
    });
    await buildFeatures(c, {
      cleanPath: p("clean.parquet"),
      out: p("features.parquet"),
      horizonHours: 1,
    });
    return await all<Record<string, unknown>>(
      c,
      `SELECT station, date_diff('hour', TIMESTAMP '2021-01-30', time) AS h, ${
        [...FEATURE_NAMES, TARGET].map(ident).join(", ")
      } FROM read_parquet(${lit(p("features.parquet"))}) ORDER BY station, time`,
    );
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
}

for (const fill of ["carry_forward", "none"] as const) {
  Deno.test(`no feature at hour t changes when raw values after t change (fill_inputs = ${fill}; seeded random stations)`, async () => {
    for (const seed of [1, 2, 3]) {
      const rng = new Pcg32(seed, 11);
      const a = stationLines(rng), b = stationLines(rng);
      const cut = 60 + Math.floor(rng.nextFloat() * 120);
      const base = await features({ "a.csv": csv("A", a), "b.csv": csv("B", b) }, fill);
      const changed = await features({
        "a.csv": csv("A", changeAfter(a, cut, rng)),
        "b.csv": csv("B", changeAfter(b, cut, rng)),
      }, fill);
      const key = (r: Record<string, unknown>) => `${r.station} ${r.h}`;
      const after = new Map(changed.map((r) => [key(r), r]));
      let compared = 0, targetChanged = 0, laterChanged = 0;
      for (const r of base) {
        const other = after.get(key(r));
        const h = Number(r.h);
        if (h > cut) {
          if (other && FEATURE_NAMES.some((f) => other[f] !== r[f])) laterChanged++;
          continue;
        }
        assert.ok(other, `seed ${seed}: the row of ${key(r)} (hour <= ${cut}) is still there`);
        for (const f of FEATURE_NAMES) {
          assert.deepEqual(
            other[f],
            r[f],
            `seed ${seed}, station ${r.station}: feature ${f} at hour ${h} changed when only raw values after hour ${cut} changed`,
          );
          compared++;
        }
        if (other[TARGET] !== r[TARGET]) targetChanged++;
      }
      assert.ok(
        compared > 2 * (cut - 20) * FEATURE_NAMES.length,
        `seed ${seed}: ${compared} compared`,
      );
      assert.ok(
        laterChanged > 0,
        `seed ${seed}: the change reaches the features after hour ${cut}`,
      );
      assert.ok(targetChanged <= 2, `seed ${seed}: only the target at the cut reads past it`);
    }
  });
}
