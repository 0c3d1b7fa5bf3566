import assert from "node:assert/strict";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { ingest, type IngestReport, listRawFiles } from "../../src/data/ingest/ingest.ts";
import { CPCB, PRSA } from "../../src/data/ingest/adapters.ts";
import type { Adapter } from "../../src/data/ingest/adapters.ts";
import { tempDir } from "../_temp.ts";

const HEADER =
  `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"`;
const row = (no: number, hour: number, pm = "10", station = "Aotizhongxin", day = 1) =>
  `${no},2013,3,${day},${hour},${pm},20,5,30,400,60,1.5,1020.1,-10.2,0,"NNW",2.4,"${station}"`;

async function runIngest(
  files: Record<string, string | Uint8Array>,
  adapter: Adapter | "long" = PRSA,
  known: string[] | null = null,
) {
  const dir = await tempDir();
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(`${dir}/${name}`, content);
    else await Deno.writeFile(`${dir}/${name}`, content);
  }
  const c = await openDuck();
  try {
    const report = await ingest(c, {
      files: await listRawFiles(dir),
      adapter,
      sourceName: adapter === "long" ? "long" : adapter.name,
      knownStations: known ? new Set(known) : null,
      rawOut: `${dir}/out/raw.parquet`,
      rejectsOut: `${dir}/out/rejects.parquet`,
    });
    const rejects = await all<
      { file: string; line: bigint; raw: string; rule: string; reason: string }
    >(
      c,
      `SELECT * FROM read_parquet(${lit(`${dir}/out/rejects.parquet`)}) ORDER BY file, line`,
    );
    const raw = await all<Record<string, unknown>>(
      c,
      `SELECT * FROM read_parquet(${lit(`${dir}/out/raw.parquet`)}) ORDER BY station, time`,
    );
    return { report, rejects, raw, dir };
  } finally {
    c.closeSync();
  }
}

function assertConserved(r: IngestReport) {
  assert.equal(r.lines, r.kept + r.rejected, "every line is kept or rejected");
  for (const f of r.files) {
    assert.equal(f.lines, f.kept + f.rejected, `${f.file}: lines = kept + rejected`);
  }
}

Deno.test("ingest() reads a clean PRSA file whole, with BOM and CRLF line ends", async () => {
  const lines = [HEADER, row(1, 0), row(2, 1), row(3, 2)];
  const { report, raw } = await runIngest({ "a.csv": "\uFEFF" + lines.join("\r\n") + "\r\n" });
  assertConserved(report);
  assert.equal(report.kept, 3);
  assert.equal(report.rejected, 0);
  assert.equal(raw.length, 3);
  assert.equal(raw[0]!.pm25, 10);
  assert.equal(raw[0]!.wd_deg, 337.5, "NNW is 337.5 degrees");
  assert.equal(raw[2]!.station, "Aotizhongxin");
});

Deno.test("ingest() rejects a text value in a numeric column, naming the column, line and value", async () => {
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), row(2, 1, "abc"), row(3, 2)].join("\n"),
  });
  assertConserved(report);
  assert.equal(report.kept, 2);
  assert.equal(rejects.length, 1);
  assert.equal(Number(rejects[0]!.line), 3);
  assert.equal(rejects[0]!.rule, "not_a_number");
  assert.match(rejects[0]!.reason, /PM2\.5: "abc" is not a finite number/);
  assert.match(rejects[0]!.raw, /,abc,/);
});

Deno.test("ingest() rejects a truncated last line and infinite values", async () => {
  const truncated = row(3, 2).slice(0, 30);
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), row(2, 1, "inf"), truncated].join("\n"),
  });
  assertConserved(report);
  assert.equal(report.kept, 1);
  assert.deepEqual(rejects.map((r) => r.rule), ["not_a_number", "field_count"]);
  assert.match(rejects[1]!.reason, /expected 18 fields, found \d+ \(truncated line\?\)/);
});

Deno.test("ingest() rejects a file with a wrong header as a whole, line by line", async () => {
  const wrong = HEADER.replace('"PM2.5"', '"PM25"');
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0)].join("\n"),
    "b.csv": [wrong, row(1, 0), row(2, 1)].join("\n"),
  });
  assertConserved(report);
  assert.equal(report.kept, 1);
  assert.equal(rejects.length, 2);
  assert.ok(rejects.every((r) => r.rule === "header" && /missing "PM2\.5"/.test(r.reason)));
  assert.match(report.warnings.join("\n"), /b\.csv: header does not match the prsa layout/);
});

Deno.test("ingest() reports an empty file and a file that is not CSV, and keeps going", async () => {
  const binary = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x14, 0, 0xff, 0xfe]);
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0)].join("\n"),
    "empty.csv": "",
    "zip.csv": binary,
  });
  assertConserved(report);
  assert.equal(report.kept, 1);
  assert.equal(report.files.find((f) => f.file.endsWith("empty.csv"))!.status, "empty");
  const z = rejects.find((r) => r.file.endsWith("zip.csv"))!;
  assert.equal(z.rule, "not_text");
  assert.match(z.reason, /not a CSV text file/);
});

Deno.test("ingest() keeps duplicate rows (clean resolves them) and rejects unknown stations", async () => {
  const { report, rejects, raw } = await runIngest(
    { "a.csv": [HEADER, row(1, 0), row(2, 0), row(3, 1, "12", "Atlantis")].join("\n") },
    PRSA,
    ["Aotizhongxin"],
  );
  assertConserved(report);
  assert.equal(raw.length, 2, "both copies of the duplicate hour are kept for clean to resolve");
  assert.equal(rejects[0]!.rule, "unknown_station");
  assert.match(rejects[0]!.reason, /station: "Atlantis" is not in the stations list/);
});

Deno.test("ingest() fails with a clear message when every line is rejected", async () => {
  await assert.rejects(
    runIngest({ "a.csv": "hello,world\n1,2\n" }),
    /every line of the 1 file\(s\) of source "prsa" was rejected \(header: 1\)/,
  );
});

Deno.test("ingest() reads the CPCB layout with unit conversions and the station from the file name", async () => {
  const header =
    `From Date,To Date,PM2.5 (ug/m3),PM10 (ug/m3),CO (mg/m3),AT (degree C),RH (%),BP (mmHg),WS (m/s),WD (deg)`;
  const text = [header, "2019-01-01 00:00:00,2019-01-01 01:00:00,120.5,200,1.2,10,50,760,1.5,90"]
    .join("\n");
  const { report, raw } = await runIngest({ "DL001.csv": text }, CPCB);
  assertConserved(report);
  const r = raw[0]!;
  assert.equal(r.station, "DL001");
  assert.equal(r.pm25, 120.5);
  assert.ok(Math.abs((r.co as number) - 1200) < 1e-9, "CO mg/m³ -> µg/m³");
  assert.ok(Math.abs((r.pres as number) - 760 * 1.333224) < 1e-9, "mmHg -> hPa");
  assert.ok(
    Math.abs((r.dewp as number) - -0.05) < 0.3,
    `dew point of 10 °C at 50% RH is about 0 °C: got ${r.dewp}`,
  );
  assert.equal(r.wd_deg, 90);
});

Deno.test("ingest() reads the generic long table and rejects unknown variables", async () => {
  const text = [
    "station,time,variable,value",
    "S1,2020-01-01 00:00,pm25,33",
    "S1,2020-01-01 00:00,temp,-2.5",
    "S1,2020-01-01 00:00,colour,3",
    "S1,2020-01-01 01:00,pm25,35",
  ].join("\n");
  const { report, rejects, raw } = await runIngest({ "long.csv": text }, "long");
  assertConserved(report);
  assert.equal(report.kept, 3);
  assert.equal(rejects[0]!.rule, "unknown_variable");
  assert.equal(raw.length, 2, "pivoted to one row per station and hour");
  assert.equal(raw[0]!.pm25, 33);
  assert.equal(raw[0]!.temp, -2.5);
});
