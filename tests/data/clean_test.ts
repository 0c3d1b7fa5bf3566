import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { clean, type FillRule, FLAGS } from "../../src/data/clean.ts";
import { ingest, scanDataDir } from "../../src/data/ingest/ingest.ts";

type RawRow = {
  h: number;
  pm25?: number | null;
  temp?: number | null;
  station?: string;
  merged?: number;
  minute?: number;
};

/** Writes a tiny raw table (the columns ingest writes) and cleans it. */
async function cleanRows(
  rows: RawRow[],
  o: { fill?: FillRule; maxFillHours?: number; stuckHours?: number } = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-clean-" });
  const c = await openDuck();
  try {
    const values = rows.map((r) =>
      `(${lit(r.station ?? "S")}, TIMESTAMP '2020-01-01 00:00' + INTERVAL ${r.h} HOUR + INTERVAL ${
        r.minute ?? 0
      } MINUTE, ${r.pm25 ?? "NULL"}, ${r.temp ?? "NULL"}, ${r.merged ?? 0})`
    );
    await c.run(
      `COPY (SELECT station, time, pm25::DOUBLE AS pm25, NULL::DOUBLE AS pm10, NULL::DOUBLE AS so2, NULL::DOUBLE AS no2,
        NULL::DOUBLE AS co, NULL::DOUBLE AS o3, temp::DOUBLE AS temp, 1010::DOUBLE AS pres, NULL::DOUBLE AS dewp, 0::DOUBLE AS rain,
        1::DOUBLE AS wspm, 90::DOUBLE AS wd_deg, 'f.csv' AS file, 1::BIGINT AS line,
        NULL::STRUCT(file VARCHAR, line BIGINT)[] AS lines, merged::INT AS merged_lines
      FROM (VALUES ${values.join(", ")}) v(station, time, pm25, temp, merged)) TO ${
        lit(join(dir, "raw.parquet"))
      } (FORMAT parquet)`,
    );
    const q = await clean(c, {
      rawPath: join(dir, "raw.parquet"),
      out: join(dir, "clean.parquet"),
      fill: o.fill ?? "carry_forward",
      maxFillHours: o.maxFillHours ?? 2,
      stuckHours: o.stuckHours ?? 4,
    });
    const out = await all<
      { station: string; h: bigint; pm25: number | null; temp: number | null; flags: number }
    >(
      c,
      `SELECT station, date_diff('hour', TIMESTAMP '2020-01-01', time) AS h, pm25, temp, flags FROM read_parquet(${
        lit(join(dir, "clean.parquet"))
      }) ORDER BY station, time`,
    );
    return { q, out };
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("clean() fills the hourly grid with explicit missing rows and flags them", async () => {
  const { q, out } = await cleanRows([{ h: 0, pm25: 10, temp: 1 }, { h: 4, pm25: 12, temp: 5 }], {
    fill: "none",
  });
  assert.deepEqual(out.map((r) => Number(r.h)), [0, 1, 2, 3, 4]);
  assert.equal(q.gridRowsAdded, 3);
  assert.ok(out.slice(1, 4).every((r) => (r.flags & FLAGS.gap) !== 0));
  assert.ok(out.slice(1, 4).every((r) => r.pm25 === null && r.temp === null));
});

Deno.test("clean() carries inputs forward from the past only, up to max_fill_hours, never PM2.5", async () => {
  const rows: RawRow[] = [
    { h: 0, pm25: 1, temp: 0 },
    { h: 1, pm25: 1, temp: null },
    // h 2 absent from the raw data: a grid row
    { h: 3, pm25: 2, temp: 3 },
    { h: 4, pm25: 3, temp: null },
    { h: 5, pm25: null, temp: null },
    { h: 6, pm25: 3, temp: null },
    { h: 7, pm25: 4, temp: 7 },
  ];
  const { out, q } = await cleanRows(rows, { fill: "carry_forward", maxFillHours: 2 });
  assert.deepEqual(
    out.map((r) => r.temp),
    [0, 0, 0, 3, 3, 3, null, 7],
    "the last earlier value, for at most 2 hours; never the next one",
  );
  assert.deepEqual(out.map((r) => r.pm25), [1, 1, null, 2, 3, null, 3, 4], "PM2.5 never filled");
  assert.equal(q.filled.temp, 4);
  assert.deepEqual(q.fill, { rule: "carry_forward", maxHours: 2 });
  assert.ok((out[2]!.flags & FLAGS.filled) !== 0 && (out[2]!.flags & FLAGS.gap) !== 0);
  assert.equal(out[6]!.flags & FLAGS.filled, 0);

  const none = await cleanRows(rows, { fill: "none" });
  assert.deepEqual(none.out.map((r) => r.temp), [0, null, null, 3, null, null, null, 7]);
  assert.equal(none.q.filled.temp, 0);
});

Deno.test("clean() sets out-of-range values missing, flags stuck PM2.5 from past hours and duplicates merged by ingest", async () => {
  const { out, q } = await cleanRows([
    { h: 0, pm25: -5, temp: 1 },
    { h: 1, pm25: 50, temp: 99 },
    { h: 2, pm25: 50, temp: 1 },
    { h: 3, pm25: 50, temp: 1 },
    { h: 4, pm25: 50, temp: 1 },
    { h: 5, pm25: 50, temp: 1 },
    { h: 7, pm25: 50, temp: 2, merged: 1 },
    { h: 8, pm25: 50, temp: 2 },
    { h: 9, pm25: 50, temp: 2 },
    { h: 10, pm25: 50, temp: 2 },
  ], { fill: "none" });
  assert.equal(out[0]!.pm25, null);
  assert.equal(q.outOfRange.pm25, 1);
  assert.equal(q.outOfRange.temp, 1);
  assert.ok((out[0]!.flags & FLAGS.out_of_range) !== 0);
  // Stuck at hour t: PM2.5 the same over hours t-3..t (stuck_hours = 4), so hours 4, 5
  // and, after the missing hour 6, hour 10.
  assert.deepEqual(out.filter((r) => (r.flags & FLAGS.stuck) !== 0).map((r) => Number(r.h)), [
    4,
    5,
    10,
  ]);
  assert.equal(q.stuckRows, 3);
  assert.ok((out[7]!.flags & FLAGS.duplicate_resolved) !== 0);
  assert.deepEqual(q.duplicates, {
    groups: 1,
    rowsDropped: 1,
    rule: q.duplicates.rule,
  });
});

Deno.test("clean() refuses raw times between whole hours rather than shifting its grid", async () => {
  await assert.rejects(
    cleanRows([{ h: 0, pm25: 1, minute: 30 }, { h: 1, pm25: 2 }]),
    /^Error: Cannot read ".*raw\.parquet": expected whole hours, found a time between them \(ingest writes it so\): at S 2020-01-01 00:30:00/,
  );
});

Deno.test("clean() refuses raw rows out of order or twice the same hour (ingest's contract)", async () => {
  for (
    const rows of [[{ h: 1, pm25: 1 }, { h: 0, pm25: 2 }], [{ h: 0, pm25: 1 }, { h: 0, pm25: 2 }]]
  ) {
    await assert.rejects(
      cleanRows(rows),
      /Cannot read ".*raw\.parquet": expected rows sorted by station and hour, one per hour \(ingest writes it so\): at S 2020-01-01 00:00:00/,
    );
  }
});

Deno.test("ingest -> clean: a time at 23:30 before the first whole hour leaves the grid on whole hours", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-clean-" });
  const c = await openDuck();
  try {
    const lines = ["station,time,variable,value", "S1,2020-01-01 23:30,pm25,99"];
    for (let h = 0; h < 2000; h++) {
      const t = new Date(Date.UTC(2020, 0, 2, h)).toISOString().slice(0, 16).replace("T", " ");
      lines.push(`S1,${t},pm25,${h % 300}`);
    }
    await Deno.mkdir(join(dir, "data"));
    await Deno.writeTextFile(join(dir, "data", "long.csv"), lines.join("\n"));
    for (const offHour of ["reject", "floor"] as const) {
      const scan = await scanDataDir(join(dir, "data"));
      const report = await ingest(c, {
        files: scan.files,
        adapter: "long",
        sourceName: "long",
        knownStations: null,
        offHour,
        rawOut: join(dir, "raw.parquet"),
        rejectsOut: join(dir, "rejects.parquet"),
      });
      assert.equal(report.kept + report.rejected, 2001);
      await clean(c, {
        rawPath: join(dir, "raw.parquet"),
        out: join(dir, "clean.parquet"),
        fill: "none",
        maxFillHours: 0,
        stuckHours: 24,
      });
      const [r] = await all<{ pm: bigint; offHour: bigint }>(
        c,
        `SELECT count(pm25) AS pm, count(*) FILTER (WHERE minute(time) <> 0) AS offHour
         FROM read_parquet(${lit(join(dir, "clean.parquet"))})`,
      );
      assert.equal(Number(r!.offHour), 0, `${offHour}: every hour of the grid is whole`);
      assert.equal(
        Number(r!.pm),
        offHour === "reject" ? 2000 : 2001,
        `${offHour}: no PM2.5 value lost`,
      );
    }
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
});
