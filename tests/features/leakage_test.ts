import assert from "node:assert/strict";
import { all, ident, openDuck } from "../../src/data/duck.ts";
import { featureQuery } from "../../src/features/build.ts";
import { CANONICAL_NUMERIC } from "../../src/data/ingest/canonical.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { calendar, deriveRow, windVector } from "../../src/features/derive.ts";

const HOURS = 96;

/** A clean-like hourly table for two stations, seeded values, with the future after `cut` replaceable. */
function table(cut: number | null, seed: number): string {
  const rows: string[] = [];
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const st of ["A", "B"]) {
    for (let h = 0; h < HOURS; h++) {
      const future = cut !== null && h > cut;
      const v = (base: number) =>
        (future ? base * 7 + 1000 * rnd() : base + 10 * Math.sin(h / 5)).toFixed(6);
      rows.push(
        `('${st}', TIMESTAMP '2021-02-01 00:00' + INTERVAL ${h} HOUR, ${v(50)}, ${v(80)}, ${
          v(5)
        }, ${v(30)}, ${v(400)}, ${v(60)}, ${v(2)}, ${v(1012)}, ${v(-3)}, ${v(0.1)}, ${v(2)}, ${
          (h * 22.5) % 360
        })`,
      );
    }
  }
  const cols = CANONICAL_NUMERIC;
  return `(SELECT station, time, ${
    cols.map((k) => `${k}::DOUBLE AS ${k}`).join(", ")
  } FROM (VALUES ${rows.join(", ")}) t(station, time, ${cols.join(", ")}))`;
}

Deno.test("no feature at time t uses information after t", async () => {
  const c = await openDuck();
  try {
    const cut = 50;
    const cols = FEATURE_NAMES.map(ident).join(", ");
    const q = (t: string) =>
      `SELECT station, time, ${cols}, ${TARGET} FROM (${
        featureQuery(t, 1, ["A", "B"])
      }) ORDER BY station, time`;
    const base = await all<Record<string, unknown>>(c, q(table(null, 1)));
    const changed = await all<Record<string, unknown>>(c, q(table(cut, 2)));
    let compared = 0;
    for (let i = 0; i < base.length; i++) {
      const h = i % HOURS;
      if (h > cut) continue;
      for (const f of FEATURE_NAMES) {
        assert.deepEqual(
          changed[i]![f],
          base[i]![f],
          `feature ${f} at hour ${h} changed when only hours after ${cut} changed`,
        );
        compared++;
      }
      if (h < cut) assert.deepEqual(changed[i]![TARGET], base[i]![TARGET]);
    }
    assert.equal(compared, 2 * (cut + 1) * FEATURE_NAMES.length);
    // The target does look ahead, by exactly the horizon.
    assert.notDeepEqual(changed[cut]![TARGET], base[cut]![TARGET]);
  } finally {
    c.closeSync();
  }
});

Deno.test("the pipeline's SQL features equal the shared per-row derivation (deriveRow)", async () => {
  const c = await openDuck();
  try {
    const rows = await all<Record<string, number | string | null>>(
      c,
      `SELECT strftime(time, '%Y-%m-%dT%H:%M') AS t, * FROM (${
        featureQuery(table(null, 3), 1, ["A", "B"])
      }) ORDER BY station, time`,
    );
    for (const r of rows.filter((_, i) => i % 17 === 0)) {
      const v = deriveRow({
        ...(Object.fromEntries(FEATURE_NAMES.map((f) => [f, r[f]])) as Record<string, number>),
        station: String(r.station),
        time: String(r.t),
        wd: undefined,
        "PM2.5": r["PM2.5"] as number,
      }, { stations: ["A", "B"] });
      for (const f of ["hour", "dow", "month", "station_code"]) {
        assert.equal(v[FEATURE_NAMES.indexOf(f)], r[f], `${f} at ${r.t}`);
      }
    }
    const one = rows[5]!;
    const deg = (5 * 22.5) % 360;
    const [sin, cos] = windVector(deg);
    assert.equal(Math.fround(sin), one.wd_sin);
    assert.equal(Math.fround(cos), one.wd_cos);
    assert.deepEqual(
      calendar("2021-02-01T05:00"),
      { hour: 5, dow: 0, month: 2 },
      "1 February 2021 was a Monday",
    );
  } finally {
    c.closeSync();
  }
});
