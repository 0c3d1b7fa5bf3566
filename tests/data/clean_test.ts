import assert from "node:assert/strict";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { clean, FLAGS } from "../../src/data/clean.ts";
import { tempDir } from "../_temp.ts";

/** Writes a tiny raw table (station, time, canonical columns, file, line) and cleans it. */
async function cleanRows(
  rows: {
    h: number;
    pm25?: number | null;
    temp?: number | null;
    line?: number;
    station?: string;
  }[],
) {
  const dir = await tempDir();
  const c = await openDuck();
  const values = rows.map((r) =>
    `(${lit(r.station ?? "S")}, TIMESTAMP '2020-01-01 00:00' + INTERVAL ${r.h} HOUR, ${
      r.pm25 ?? "NULL"
    }, ${r.temp ?? "NULL"}, 'f.csv', ${r.line ?? r.h + 2})`
  );
  await c.run(
    `COPY (SELECT station, time, pm25::DOUBLE AS pm25, NULL::DOUBLE AS pm10, NULL::DOUBLE AS so2, NULL::DOUBLE AS no2,
      NULL::DOUBLE AS co, NULL::DOUBLE AS o3, temp::DOUBLE AS temp, 1010::DOUBLE AS pres, NULL::DOUBLE AS dewp, 0::DOUBLE AS rain,
      1::DOUBLE AS wspm, 90::DOUBLE AS wd_deg, file, line::BIGINT AS line
    FROM (VALUES ${values.join(", ")}) v(station, time, pm25, temp, file, line)) TO ${
      lit(`${dir}/raw.parquet`)
    } (FORMAT parquet)`,
  );
  const q = await clean(c, {
    rawPath: `${dir}/raw.parquet`,
    out: `${dir}/clean.parquet`,
    duplicatesOut: `${dir}/dups.parquet`,
    maxInterpolateHours: 2,
    stuckHours: 4,
  });
  const out = await all<{ h: bigint; pm25: number | null; temp: number | null; flags: number }>(
    c,
    `SELECT date_diff('hour', TIMESTAMP '2020-01-01', time) AS h, pm25, temp, flags FROM read_parquet(${
      lit(`${dir}/clean.parquet`)
    }) ORDER BY time`,
  );
  const dups = await all(c, `SELECT * FROM read_parquet(${lit(`${dir}/dups.parquet`)})`);
  c.closeSync();
  return { q, out, dups };
}

Deno.test("clean() fills the hourly grid with explicit missing rows and flags them", async () => {
  const { q, out } = await cleanRows([{ h: 0, pm25: 10, temp: 1 }, { h: 4, pm25: 12, temp: 5 }]);
  assert.deepEqual(out.map((r) => Number(r.h)), [0, 1, 2, 3, 4]);
  assert.equal(q.gridRowsAdded, 3);
  assert.ok(out.slice(1, 4).every((r) => (r.flags & FLAGS.gap) !== 0));
  assert.ok(
    out.slice(1, 4).every((r) => r.pm25 === null),
    "PM2.5 (the target) is never interpolated",
  );
});

Deno.test("clean() interpolates short input gaps only, linearly in time", async () => {
  const { out, q } = await cleanRows([
    { h: 0, pm25: 1, temp: 0 },
    { h: 1, pm25: 1, temp: null },
    { h: 2, pm25: 1, temp: null },
    { h: 3, pm25: 2, temp: 3 },
    { h: 4, pm25: 3, temp: null },
    { h: 5, pm25: 3, temp: null },
    { h: 6, pm25: 3, temp: null },
    { h: 7, pm25: 4, temp: 7 },
  ]);
  assert.deepEqual(out.slice(0, 4).map((r) => r.temp), [0, 1, 2, 3], "a 2-hour gap is filled");
  assert.deepEqual(
    out.slice(4, 7).map((r) => r.temp),
    [null, null, null],
    "a 3-hour gap is longer than the limit",
  );
  assert.equal(q.interpolated.temp, 2);
  assert.ok((out[1]!.flags & FLAGS.interpolated) !== 0);
});

Deno.test("clean() sets out-of-range values missing, flags stuck sensors and resolves duplicates by the stated rule", async () => {
  const { out, q, dups } = await cleanRows([
    { h: 0, pm25: -5, temp: 1 },
    { h: 1, pm25: 50, temp: 99 },
    { h: 2, pm25: 50, temp: 1 },
    { h: 3, pm25: 50, temp: 1 },
    { h: 4, pm25: 50, temp: 1 },
    { h: 5, pm25: 7, temp: null, line: 100 },
    { h: 5, pm25: 8, temp: 2, line: 101 },
  ]);
  assert.equal(out[0]!.pm25, null);
  assert.equal(q.outOfRange.pm25, 1);
  assert.equal(q.outOfRange.temp, 1);
  assert.ok((out[0]!.flags & FLAGS.out_of_range) !== 0);
  assert.equal(q.stuckRows, 4, "four identical hours reach stuck_hours = 4");
  assert.ok((out[2]!.flags & FLAGS.stuck) !== 0);
  assert.equal(out.length, 6);
  assert.equal(out[5]!.pm25, 8, "the duplicate with more values present wins");
  assert.equal(q.duplicates.rowsDropped, 1);
  assert.equal(dups.length, 1, "the dropped duplicate is kept in its own table");
});
