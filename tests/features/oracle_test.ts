/**
 * The window passes of clean (streamed in file order, no sort) and features (per station)
 * against plain JavaScript definitions on seeded random stations: clean's grid, ranges,
 * carry-forward and stuck flags; the features' lags, rolling mean and target.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, ident, lit, openDuck } from "../../src/data/duck.ts";
import { clean, type FillRule, FLAGS } from "../../src/data/clean.ts";
import { buildFeatures, featureQuery } from "../../src/features/build.ts";
import { FEATURE_NAMES, LAGS, ROLL_HOURS, TARGET } from "../../src/features/schema.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

interface RawRow {
  station: string;
  hour: number;
  pm25: number | null;
  temp: number | null;
}

/** Random stations: gap hours, missing and out-of-range values, stuck runs, short series. */
function randomRaw(rng: Pcg32): RawRow[] {
  const rows: RawRow[] = [];
  for (const station of ["A", "B", "C", "D"]) {
    const length = 5 + Math.floor(rng.nextFloat() * 120);
    let pm = 30, stuck = 0;
    for (let h = 0; h < length; h++) {
      if (rng.nextFloat() < 0.15) continue;
      if (stuck === 0 && rng.nextFloat() < 0.05) stuck = 3 + Math.floor(rng.nextFloat() * 8);
      if (stuck > 0) stuck--;
      else pm = Math.round(Math.max(0, pm + (rng.nextFloat() - 0.5) * 30));
      const out = rng.nextFloat();
      rows.push({
        station,
        hour: h,
        pm25: out < 0.1 ? null : out < 0.13 ? -5 : pm,
        temp: rng.nextFloat() < 0.3
          ? null
          : rng.nextFloat() < 0.05
          ? 99
          : Math.round(rng.nextFloat() * 20),
      });
    }
  }
  return rows;
}

/** clean's definitions, written plainly. */
function referenceClean(raw: RawRow[], fill: FillRule, maxFill: number, stuckHours: number) {
  const out: {
    station: string;
    hour: number;
    pm25: number | null;
    temp: number | null;
    flags: number;
  }[] = [];
  for (const station of [...new Set(raw.map((r) => r.station))]) {
    const rows = new Map(raw.filter((r) => r.station === station).map((r) => [r.hour, r]));
    const hours = [...rows.keys()];
    const first = Math.min(...hours), last = Math.max(...hours);
    const pm = (h: number) => {
      const v = rows.get(h)?.pm25;
      return v === null || v === undefined || v < 0 || v > 1500 ? null : v;
    };
    const temp = (h: number) => {
      const v = rows.get(h)?.temp;
      return v === null || v === undefined || v < -45 || v > 50 ? null : v;
    };
    for (let h = first; h <= last; h++) {
      const r = rows.get(h);
      let flags = r ? 0 : FLAGS.gap;
      if (r && ((r.pm25 !== null && pm(h) === null) || (r.temp !== null && temp(h) === null))) {
        flags |= FLAGS.out_of_range;
      }
      let stuck = pm(h) !== null && pm(h)! > 0;
      for (let k = 1; k < stuckHours && stuck; k++) stuck = rows.has(h - k) && pm(h - k) === pm(h);
      if (r && stuck) flags |= FLAGS.stuck;
      let t = temp(h);
      if (t === null && fill === "carry_forward") {
        for (let k = 1; k <= maxFill && t === null; k++) if (h - k >= first) t = temp(h - k);
        if (t !== null) flags |= FLAGS.filled;
      }
      out.push({ station, hour: h, pm25: pm(h), temp: t, flags });
    }
  }
  return out;
}

async function withDuck<T>(
  f: (c: Awaited<ReturnType<typeof openDuck>>, dir: string) => Promise<T>,
) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-oracle-" });
  const c = await openDuck();
  try {
    return await f(c, dir);
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("clean() equals its plain definition on random stations (both fill rules)", async () => {
  await withDuck(async (c, dir) => {
    for (const seed of [1, 2, 3, 4]) {
      const raw = randomRaw(new Pcg32(seed, 5));
      const values = raw.map((r) =>
        `(${lit(r.station)}, TIMESTAMP '2020-01-01' + INTERVAL ${r.hour} HOUR, ${
          r.pm25 ?? "NULL"
        }, ${r.temp ?? "NULL"})`
      );
      await c.run(`COPY (SELECT station, time, pm25::DOUBLE AS pm25, NULL::DOUBLE AS pm10,
          NULL::DOUBLE AS so2, NULL::DOUBLE AS no2, NULL::DOUBLE AS co, NULL::DOUBLE AS o3,
          temp::DOUBLE AS temp, NULL::DOUBLE AS pres, NULL::DOUBLE AS dewp, NULL::DOUBLE AS rain,
          NULL::DOUBLE AS wspm, NULL::DOUBLE AS wd_deg, 0 AS merged_lines
        FROM (VALUES ${values.join(", ")}) v(station, time, pm25, temp)) TO ${
        lit(join(dir, "raw.parquet"))
      } (FORMAT parquet)`);
      for (
        const [fill, maxFill, stuckHours] of [["none", 0, 4], ["carry_forward", 3, 6]] as const
      ) {
        await clean(c, {
          rawPath: join(dir, "raw.parquet"),
          out: join(dir, "clean.parquet"),
          fill,
          maxFillHours: maxFill,
          stuckHours,
        });
        const got = await all<
          { station: string; h: bigint; pm25: number | null; temp: number | null; flags: number }
        >(
          c,
          `SELECT station, date_diff('hour', TIMESTAMP '2020-01-01', time) AS h, pm25, temp, flags
           FROM read_parquet(${lit(join(dir, "clean.parquet"))})`,
        );
        const want = referenceClean(raw, fill, maxFill, stuckHours);
        assert.deepEqual(
          got.map((r) => ({
            station: r.station,
            hour: Number(r.h),
            pm25: r.pm25,
            temp: r.temp,
            flags: r.flags,
          })),
          want,
          `seed ${seed}, ${fill}: clean.parquet (in file order) equals the reference`,
        );
      }
    }
  });
});

Deno.test("buildFeatures() refuses a clean table with a gap in its hourly grid", async () => {
  await withDuck(async (c, dir) => {
    await c.run(`COPY (SELECT 'A' AS station, TIMESTAMP '2021-03-01' + INTERVAL (h) HOUR AS time,
        1::DOUBLE AS pm25, ${
      ["pm10", "so2", "no2", "co", "o3", "temp", "pres", "dewp", "rain", "wspm", "wd_deg"]
        .map((k) => `NULL::DOUBLE AS ${k}`).join(", ")
    } FROM (VALUES (0), (1), (3)) v(h)) TO ${lit(join(dir, "clean.parquet"))} (FORMAT parquet)`);
    await assert.rejects(
      buildFeatures(c, {
        cleanPath: join(dir, "clean.parquet"),
        out: join(dir, "features.parquet"),
        horizonHours: 1,
      }),
      /Cannot read ".*clean\.parquet": expected an hourly grid without gaps \(the clean stage writes it so\): at A 2021-03-01 03:00:00/,
    );
  });
});

/** A station's lags, rolling mean and next-hour target, computed plainly from its hours. */
function referenceWindows(pm: (number | null)[]) {
  const f = (
    x: number | null | undefined,
  ) => (x === null || x === undefined ? null : Math.fround(x));
  return pm.map((_, i) => {
    const last = pm.slice(Math.max(0, i - ROLL_HOURS + 1), i + 1).filter((x) => x !== null);
    return {
      ...Object.fromEntries(LAGS.map((k) => [`pm25_lag${k}`, i >= k ? f(pm[i - k]) : null])),
      pm25_roll24: last.length ? f(last.reduce((a, x) => a + x, 0) / last.length) : null,
      [TARGET]: f(pm[i + 1]),
    } as Record<string, number | null>;
  });
}

Deno.test("featureQuery() equals lags, rolling mean and target computed plainly, whatever the row order", async () => {
  await withDuck(async (c, dir) => {
    for (const seed of [1, 2, 3]) {
      const rng = new Pcg32(seed, 9);
      const rows: string[] = [];
      const expected: Record<string, number | null>[] = [];
      for (const station of ["A", "B", "C"]) {
        const length = 3 + Math.floor(rng.nextFloat() * 80); // some shorter than 24 hours
        const pm: (number | null)[] = [];
        for (let h = 0; h < length; h++) {
          const v = rng.nextFloat() < 0.2 ? null : Number((rng.nextFloat() * 300).toFixed(1));
          pm.push(v);
          rows.push(
            `(${lit(station)}, TIMESTAMP '2021-03-01' + INTERVAL ${h} HOUR, ${v ?? "NULL"})`,
          );
        }
        expected.push(...referenceWindows(pm));
      }
      // The rows stored shuffled: a station's hours need not be read in order.
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(rng.nextFloat() * (i + 1));
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      const cols = `station, time, pm25::DOUBLE AS pm25, 50::DOUBLE AS pm10, NULL::DOUBLE AS so2,
        NULL::DOUBLE AS no2, NULL::DOUBLE AS co, NULL::DOUBLE AS o3, 1::DOUBLE AS temp,
        NULL::DOUBLE AS pres, NULL::DOUBLE AS dewp, NULL::DOUBLE AS rain, NULL::DOUBLE AS wspm,
        90::DOUBLE AS wd_deg`;
      await c.run(`COPY (SELECT ${cols} FROM (VALUES ${rows.join(", ")}) v(station, time, pm25))
        TO ${lit(join(dir, "clean.parquet"))} (FORMAT parquet)`);
      const table = `read_parquet(${lit(join(dir, "clean.parquet"))})`;
      const names = [...FEATURE_NAMES, TARGET].map(ident).join(", ");
      const got = await all<Record<string, number | null>>(
        c,
        `SELECT station, time, ${names} FROM (${
          featureQuery(table, 1, ["A", "B", "C"])
        }) ORDER BY station, time`,
      );
      assert.equal(got.length, expected.length);
      got.forEach((r, i) => {
        const e = expected[i]!;
        assert.equal(r.station_code, ["A", "B", "C"].indexOf(String(r.station)));
        for (const f of [...LAGS.map((k) => `pm25_lag${k}`), "pm25_roll24", TARGET]) {
          const a = r[f], b = e[f];
          if (f === "pm25_roll24" && typeof a === "number" && typeof b === "number") {
            // The engine's sum and the plain one may round differently in the last float bit.
            assert.ok(
              Math.abs(a - b) <= Math.abs(b) * 2.4e-7,
              `seed ${seed} row ${i} ${f}: ${a} vs ${b}`,
            );
          } else assert.equal(a, b, `seed ${seed} row ${i} (${r.station}) ${f}`);
        }
      });
    }
  });
});
