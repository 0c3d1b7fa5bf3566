import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { ingest, type IngestReport, scanDataDir } from "../../src/data/ingest/ingest.ts";
import { CPCB, PRSA } from "../../src/data/ingest/adapters.ts";
import type { Adapter } from "../../src/data/ingest/adapters.ts";
import type { OffHourRule } from "../../src/data/ingest/times.ts";

const HEADER =
  `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"`;
const row = (no: number, hour: number, pm = "10", station = "Aotizhongxin", day = 1) =>
  `${no},2013,3,${day},${hour},${pm},20,5,30,400,60,1.5,1020.1,-10.2,0,"NNW",2.4,"${station}"`;
/** A line with its own year, month, day and hour text. */
const at = (y: string, m: string, d: string, h: string) =>
  `1,${y},${m},${d},${h},10,20,5,30,400,60,1.5,1020.1,-10.2,0,"NNW",2.4,"Aotizhongxin"`;
/** `n` good PRSA lines, one an hour from 2013-03-01 00:00. */
const hours = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const t = new Date(Date.UTC(2013, 2, 1, i));
    return `${i + 1},${t.getUTCFullYear()},${
      t.getUTCMonth() + 1
    },${t.getUTCDate()},${t.getUTCHours()},10,20,5,30,400,60,1.5,1020.1,-10.2,0,"NNW",2.4,"Aotizhongxin"`;
  });

type Rej = { file: string; line: bigint; raw: string; rule: string; reason: string };

async function runIngest(
  files: Record<string, string | Uint8Array>,
  o: { adapter?: Adapter | "long"; known?: string[] | null; offHour?: OffHourRule } = {},
  prepare?: (dir: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-ingest-" });
  try {
    const data = join(dir, "data");
    await Deno.mkdir(data);
    for (const [name, content] of Object.entries(files)) {
      if (typeof content === "string") await Deno.writeTextFile(join(data, name), content);
      else await Deno.writeFile(join(data, name), content);
    }
    await prepare?.(dir);
    const adapter = o.adapter ?? PRSA;
    const c = await openDuck();
    try {
      const scan = await scanDataDir(data);
      const out = (f: string) => join(dir, "out", f);
      const report = await ingest(c, {
        files: scan.files,
        skipped: scan.skipped,
        name: (p) => p.slice(data.length + 1),
        adapter,
        sourceName: adapter === "long" ? "long" : adapter.name,
        knownStations: o.known ? new Set(o.known) : null,
        offHour: o.offHour,
        rawOut: out("raw.parquet"),
        rejectsOut: out("rejects.parquet"),
        duplicatesOut: out("duplicates.parquet"),
      });
      const read = <T>(f: string, order: string) =>
        all<T>(c, `SELECT * FROM read_parquet(${lit(out(f))}) ORDER BY ${order}`);
      return {
        report,
        rejects: await read<Rej>("rejects.parquet", "file, line"),
        raw: await read<Record<string, unknown>>("raw.parquet", "station, time"),
        dups: await read<Record<string, unknown>>(
          "duplicates.parquet",
          "station, time, file, line",
        ),
      };
    } finally {
      c.closeSync();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The accounting every case asserts: per file, the lines the test wrote = header + kept +
 * rejected, with the test's own count (`expected`, file -> lines written) as the source.
 */
function assertAccounted(r: IngestReport, expected: Record<string, number>) {
  for (const [file, lines] of Object.entries(expected)) {
    const f = r.files.find((x) => x.file === file);
    assert.ok(f, `${file} is in the report`);
    assert.equal(f.sourceLines, lines, `${file}: ${lines} lines in the file`);
    assert.equal(f.headerLines + f.kept + f.rejected, lines, `${file}: header + kept + rejected`);
  }
  assert.equal(r.lines, r.kept + r.rejected);
  assert.equal(r.sourceLines, r.headerLines + r.kept + r.rejected);
}

const reasons = (rejects: Rej[]) => rejects.map((r) => `${r.line} ${r.rule}: ${r.reason}`);

Deno.test("ingest() reads a clean PRSA file whole, with BOM and CRLF line ends", async () => {
  const lines = [HEADER, row(1, 0), row(2, 1), row(3, 2)];
  const { report, raw } = await runIngest({ "a.csv": "\uFEFF" + lines.join("\r\n") + "\r\n" });
  assertAccounted(report, { "a.csv": 4 });
  assert.equal(report.kept, 3);
  assert.equal(report.rejected, 0);
  assert.equal(raw.length, 3);
  assert.equal(raw[0]!.pm25, 10);
  assert.equal(raw[0]!.wd_deg, 337.5, "NNW is 337.5 degrees");
  assert.equal(raw[2]!.station, "Aotizhongxin");
  assert.equal(raw[1]!.file, "a.csv");
  assert.equal(raw[1]!.line, 3n);
});

Deno.test("ingest() reads CR-only line ends (old Mac files) line by line", async () => {
  const { report, raw, rejects } = await runIngest({
    "a.csv": [HEADER, ...hours(5)].join("\r") + "\r",
  });
  assertAccounted(report, { "a.csv": 6 });
  assert.deepEqual(reasons(rejects), []);
  assert.equal(raw.length, 5);
});

Deno.test("ingest() rejects a text value in a numeric column, naming the column, line and value", async () => {
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), row(2, 1, "abc"), row(3, 2)].join("\n"),
  });
  assertAccounted(report, { "a.csv": 4 });
  assert.equal(report.kept, 2);
  assert.equal(rejects.length, 1);
  assert.equal(Number(rejects[0]!.line), 3);
  assert.equal(rejects[0]!.rule, "not_a_number");
  assert.match(rejects[0]!.reason, /PM2\.5: "abc" is not a finite number/);
  assert.equal(rejects[0]!.raw, row(2, 1, "abc"), "the line's text as it is in the file");
});

Deno.test("ingest() reads numbers the same whether the parser types them or the checks cast the text", async () => {
  // The first parse reads numeric columns as numbers; a line refused there is parsed again as
  // text, where the checks give the reason. Each spelling must be kept or rejected as the text
  // checks decide, in any column, and every line accounted for.
  const kept: [string, number][] = [
    ["12", 12],
    [" 12", 12],
    ["12 ", 12],
    ["+12", 12],
    ["1e3", 1000],
    ["1E3", 1000],
    [".5", 0.5],
    ["5.", 5],
    ["00012", 12],
    ["1.5e-3", 0.0015],
  ];
  const refused = [
    "12abc",
    "0x10",
    "1 000",
    "1.2.3",
    "e5",
    "-",
    "+",
    "١٢",
    "inf",
    "nan",
    "-inf",
    "Infinity",
  ];
  const values = [...kept.map(([v]) => v), ...refused];
  const lines = [HEADER];
  values.forEach((v, i) => {
    lines.push(row(2 * i + 1, i % 24, v, "Aotizhongxin", 1 + Math.floor(i / 24)));
    // The same value in TEMP, at another station.
    lines.push(
      row(2 * i + 2, i % 24, "10", "Dongsi", 1 + Math.floor(i / 24)).replace(",1.5,", `,${v},`),
    );
  });
  const { report, raw, rejects } = await runIngest({ "a.csv": lines.join("\n") + "\n" });
  assertAccounted(report, { "a.csv": lines.length });
  assert.equal(report.kept, 2 * kept.length);
  const pm = raw.filter((r) => r.station === "Aotizhongxin").map((r) => r.pm25);
  const temp = raw.filter((r) => r.station === "Dongsi").map((r) => r.temp);
  assert.deepEqual(pm, kept.map(([, x]) => x));
  assert.deepEqual(temp, kept.map(([, x]) => x));
  assert.deepEqual(
    rejects.map((r) => [r.rule, r.reason]),
    refused.flatMap((v) => [
      ["not_a_number", `PM2.5: "${v}" is not a finite number`],
      ["not_a_number", `TEMP: "${v}" is not a finite number`],
    ]),
  );
});

Deno.test("ingest() reads a repeated column name's first column and ignores the others, text or not", async () => {
  const header = HEADER + ',"TEMP"';
  const { report, raw, rejects } = await runIngest({
    "a.csv": [header, row(1, 0) + ",n/a", row(2, 1) + ",3.5"].join("\n") + "\n",
  });
  assertAccounted(report, { "a.csv": 3 });
  assert.deepEqual(reasons(rejects), []);
  assert.deepEqual(raw.map((r) => r.temp), [1.5, 1.5]);
});

Deno.test("ingest() rejects truncated lines, extra fields, infinite values and empty lines", async () => {
  const truncated = row(3, 2).slice(0, 30);
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), row(2, 1, "inf"), truncated, "", row(4, 3) + ",x", row(5, 4)]
      .join("\n") + "\n\n",
  });
  assertAccounted(report, { "a.csv": 8 });
  assert.equal(report.kept, 2);
  assert.deepEqual(rejects.map((r) => [Number(r.line), r.rule]), [
    [3, "not_a_number"],
    [4, "field_count"],
    [5, "empty_line"],
    [6, "field_count"],
    [8, "empty_line"],
  ]);
  assert.match(rejects[1]!.reason, /expected 18 fields, found \d+ \(truncated line\?\)/);
  assert.match(rejects[3]!.reason, /expected 18 fields, found 19/);
});

Deno.test("ingest() keeps the lines the CSV parser itself refuses as rejects, with its reason", async () => {
  const odd = row(2, 1).replace('"NNW"', '"NNW"x');
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), odd, row(3, 2)].join("\n"),
  });
  assertAccounted(report, { "a.csv": 4 });
  assert.equal(report.kept, 2);
  assert.deepEqual(rejects.map((r) => [Number(r.line), r.rule]), [[3, "csv_parse"]]);
  assert.match(rejects[0]!.reason, /QUOTE|quote/i);
  assert.equal(rejects[0]!.raw, odd);
});

Deno.test("ingest() rejects impossible times one by one, each with its reason", async () => {
  const bad: [string, RegExp][] = [
    [at("2013", "2", "30", "1"), /day: 30 does not exist in 2013-02/],
    [at("2013", "13", "1", "1"), /month: 13 is not 1-12/],
    [at("2013", "3", "1", "-1"), /hour: -1 is not 0-23/],
    [at("2013", "3", "1", "24"), /hour: 24 is not 0-23/],
    [at("2013", "3", "1", "1.5"), /hour: "1\.5" is not a whole hour/],
    [at("20130", "3", "1", "1"), /year: 20130 is outside 1900-2100/],
    [at("2013", "3", "x", "1"), /day: "x" is not a whole number/],
    [at("2013", "3", "NA", "1"), /day: missing/],
  ];
  const good = [at("2012", "2", "29", "0"), at("2013", "3", "1", "23")];
  const { report, rejects, raw } = await runIngest({
    "a.csv": [HEADER, ...bad.map(([l]) => l), ...good].join("\n"),
  });
  assertAccounted(report, { "a.csv": 1 + bad.length + good.length });
  assert.equal(report.kept, 2, "Feb 29 of a leap year and hour 23 are valid");
  assert.deepEqual(raw.map((r) => (r.time as Date).toISOString()), [
    "2012-02-29T00:00:00.000Z",
    "2013-03-01T23:00:00.000Z",
  ]);
  assert.equal(rejects.length, bad.length);
  rejects.forEach((r, i) => {
    assert.equal(r.rule, "bad_time");
    assert.match(r.reason, bad[i]![1], `line ${r.line}: ${r.reason}`);
  });
});

Deno.test("ingest() rejects impossible text times of the long layout with their reason", async () => {
  const { report, rejects, raw } = await runIngest({
    "long.csv": [
      "station,time,variable,value",
      "S1,2013-02-30 01:00,pm25,1",
      "S1,2013-13-01 01:00,pm25,1",
      "S1,2013-03-01 24:00,pm25,1",
      "S1,20130-03-01 01:00,pm25,1",
      "S1,yesterday,pm25,1",
      "S1,2013-03-01 02:00,pm25,7",
    ].join("\n"),
  }, { adapter: "long" });
  assertAccounted(report, { "long.csv": 7 });
  assert.equal(raw.length, 1);
  assert.deepEqual(rejects.map((r) => r.rule), Array(5).fill("bad_time"));
  assert.match(rejects[0]!.reason, /day: 30 does not exist in 2013-02/);
  assert.match(rejects[1]!.reason, /month: 13 is not 1-12/);
  assert.match(rejects[2]!.reason, /hour: 24 is not 0-23/);
  assert.match(rejects[3]!.reason, /year: 20130 is outside 1900-2100/);
  assert.match(rejects[4]!.reason, /"yesterday" is not a date and time/);
});

Deno.test("ingest() rejects times off the hour by default, floors them when asked", async () => {
  const text = [
    "station,time,variable,value",
    "S1,2020-01-01 23:30,pm25,99", // before the first whole hour: must not shift any grid
    "S1,2020-01-02 00:00,pm25,10",
    "S1,2020-01-02 01:00,pm25,11",
    "S1,2020-01-02 01:30,pm25,13",
    "S1,2020-01-02 02:00:15,temp,3",
  ].join("\n");
  const rejected = await runIngest({ "long.csv": text }, { adapter: "long" });
  assertAccounted(rejected.report, { "long.csv": 6 });
  assert.deepEqual(rejected.rejects.map((r) => Number(r.line)), [2, 5, 6]);
  for (const r of rejected.rejects) {
    assert.equal(r.rule, "bad_time");
    assert.match(r.reason, /is not on the hour \(rule ingest\.off_hour = "reject"/);
  }
  assert.deepEqual(rejected.raw.map((r) => (r.time as Date).toISOString()), [
    "2020-01-02T00:00:00.000Z",
    "2020-01-02T01:00:00.000Z",
  ]);

  const floored = await runIngest({ "long.csv": text }, { adapter: "long", offHour: "floor" });
  assertAccounted(floored.report, { "long.csv": 6 });
  assert.equal(floored.report.rejected, 0);
  assert.equal(floored.report.offHour, "floor");
  const times = floored.raw.map((r) => (r.time as Date).toISOString());
  assert.deepEqual(times, [
    "2020-01-01T23:00:00.000Z",
    "2020-01-02T00:00:00.000Z",
    "2020-01-02T01:00:00.000Z",
    "2020-01-02T02:00:00.000Z",
  ]);
  assert.equal(floored.raw[2]!.pm25, 12, "01:00 and 01:30 floored together: their median");
  assert.equal(floored.dups.length, 2, "both lines of 01:00 are listed as duplicates");
});

Deno.test("ingest() applies the off-hour rule to CPCB times too", async () => {
  const header = `From Date,To Date,PM2.5 (ug/m3)`;
  const { report, rejects } = await runIngest({
    "DL001.csv": [header, "2019-01-01 00:00:00,x,1", "2019-01-01 00:15:00,x,2"].join("\n"),
  }, { adapter: CPCB });
  assertAccounted(report, { "DL001.csv": 3 });
  assert.equal(rejects[0]!.rule, "bad_time");
  assert.match(rejects[0]!.reason, /not on the hour/);
});

Deno.test("ingest() rejects a Latin-1 byte on line 3 as bad encoding and keeps the rest of the file", async () => {
  const enc = new TextEncoder();
  const lines = hours(40);
  const bytes = (bad: number) => {
    const parts = [HEADER, ...lines].map((l) => enc.encode(l + "\n"));
    // "é" in Latin-1 (0xE9) inside the station name of data line `bad`.
    const l = enc.encode(lines[bad - 2]!.replace("Aotizhongxin", "Aotizhongxin\u0001") + "\n");
    l[l.indexOf(1)] = 0xe9;
    parts[bad - 1] = l;
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) (out.set(p, at), at += p.length);
    return out;
  };
  const { report, rejects } = await runIngest({ "a.csv": bytes(3) });
  assertAccounted(report, { "a.csv": 41 });
  assert.equal(report.kept, 39);
  assert.equal(rejects.length, 1);
  assert.equal(Number(rejects[0]!.line), 3);
  assert.equal(rejects[0]!.rule, "bad_encoding");
  assert.match(rejects[0]!.reason, /byte 0xE9 at byte \d+ of the line is not UTF-8/);
  assert.match(rejects[0]!.raw, /Aotizhongxin\uFFFD/);
});

Deno.test("ingest() rejects a Latin-1 byte far past the first 64 KB, alone", async () => {
  const enc = new TextEncoder();
  const lines = hours(3000); // ~270 KB
  const target = 2500;
  const text = [HEADER, ...lines].map((l) => l + "\n");
  text[target - 1] = text[target - 1]!.replace("NNW", "N\u0001W");
  const bytes = enc.encode(text.join(""));
  const at = bytes.indexOf(1);
  assert.ok(at > 65536, "the bad byte lies past 64 KB");
  bytes[at] = 0xb0; // "°" in Latin-1
  const { report, rejects } = await runIngest({ "a.csv": bytes });
  assertAccounted(report, { "a.csv": 3001 });
  assert.equal(report.kept, 2999);
  assert.deepEqual(rejects.map((r) => [Number(r.line), r.rule]), [[target, "bad_encoding"]]);
});

Deno.test("ingest() rejects a 3 MB line as too long and reads the lines around it", async () => {
  const long = row(2, 1, "1" + "0".repeat(3_000_000));
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0), long, row(3, 2)].join("\n") + "\n",
  });
  assertAccounted(report, { "a.csv": 4 });
  assert.equal(report.kept, 2);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.rule, "too_long");
  assert.match(rejects[0]!.reason, /line is 30000\d\d bytes long, more than the 1048576 accepted/);
  assert.ok(rejects[0]!.raw.length < 10_000, "the rejects table keeps the start of the line");
  assert.match(rejects[0]!.raw, /\(30000\d\d bytes in all\)$/);
});

Deno.test("ingest() rejects a file with a wrong header as a whole, line by line", async () => {
  const wrong = HEADER.replace('"PM2.5"', '"PM25"');
  const { report, rejects } = await runIngest({
    "a.csv": [HEADER, row(1, 0)].join("\n"),
    "b.csv": [wrong, row(1, 0), row(2, 1)].join("\n"),
  });
  assertAccounted(report, { "a.csv": 2, "b.csv": 3 });
  assert.equal(report.kept, 1);
  assert.equal(rejects.length, 2);
  assert.ok(rejects.every((r) => r.rule === "header" && /missing "PM2\.5"/.test(r.reason)));
  assert.match(report.warnings.join("\n"), /b\.csv: header does not match the prsa layout/);
});

Deno.test("ingest() lists an empty file, a binary file and other entries of the folder with why they are not read", async () => {
  const binary = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x14, 0, 0xff, 0xfe]);
  const { report } = await runIngest(
    {
      "a.csv": [HEADER, row(1, 0)].join("\n"),
      "empty.csv": "",
      "zip.csv": binary,
      "notes.txt": "hello",
      ".hidden.csv": "x",
    },
    {},
    async (dir) => await Deno.mkdir(join(dir, "data", "old")),
  );
  assertAccounted(report, { "a.csv": 2, "empty.csv": 0 });
  assert.equal(report.kept, 1);
  assert.equal(report.files.find((f) => f.file === "empty.csv")!.status, "empty");
  const why = Object.fromEntries(report.skipped.map((s) => [s.file, s.reason]));
  assert.match(why["zip.csv"]!, /not a CSV text file: binary content/);
  assert.match(why["notes.txt"]!, /not a \.csv file/);
  assert.match(why[".hidden.csv"]!, /hidden file/);
  assert.match(why["old"]!, /a folder/);
});

Deno.test("ingest() follows a symbolic link to a CSV file and lists a broken one", async () => {
  const { report, raw } = await runIngest(
    { "a.csv": [HEADER, ...hours(3)].join("\n") },
    {},
    async (dir) => {
      await Deno.writeTextFile(
        join(dir, "elsewhere.csv"),
        [HEADER, row(1, 0, "5", "Dongsi"), row(2, 1, "6", "Dongsi")].join("\n"),
      );
      await Deno.symlink(join(dir, "elsewhere.csv"), join(dir, "data", "b.csv"));
      await Deno.symlink(join(dir, "gone.csv"), join(dir, "data", "c.csv"));
    },
  );
  assertAccounted(report, { "a.csv": 4, "b.csv": 3 });
  assert.equal(report.kept, 5, "the linked file's lines are read");
  assert.deepEqual([...new Set(raw.map((r) => r.station))], ["Aotizhongxin", "Dongsi"]);
  const broken = report.skipped.find((s) => s.file === "c.csv");
  assert.match(broken!.reason, /symbolic link to ".*gone\.csv", which does not exist/);
});

Deno.test("ingest() merges duplicate PRSA hours by the median, in either order, and lists them", async () => {
  const a = [HEADER, row(1, 0, "10"), row(2, 1, "20"), row(3, 1, "30"), row(4, 2, "40")];
  const b = [HEADER, row(1, 0, "10"), row(2, 1, "30"), row(3, 1, "20"), row(4, 2, "40")];
  const one = await runIngest({ "a.csv": a.join("\n") }, { known: ["Aotizhongxin"] });
  const two = await runIngest({ "a.csv": b.join("\n") }, { known: ["Aotizhongxin"] });
  for (const r of [one, two]) {
    assertAccounted(r.report, { "a.csv": 5 });
    assert.equal(r.report.kept, 4, "duplicates are kept lines: their values reach raw.parquet");
    assert.deepEqual(r.raw.map((x) => x.pm25), [10, 25, 40]);
    assert.equal(r.raw[1]!.merged_lines, 1);
    assert.deepEqual(
      r.dups.map((d) => [Number(d.line), d.pm25]),
      r === one ? [[3, 20], [4, 30]] : [[3, 30], [4, 20]],
    );
    assert.match(String(r.dups[0]!.rule), /median .* independent of line order/);
    assert.equal(r.report.duplicates.groups, 1);
  }
});

Deno.test("ingest() merges long-layout duplicates in either order, and pm25 with PM2.5 of the same hour", async () => {
  const lines = [
    "S1,2020-01-01 00:00,pm25,30",
    "S1,2020-01-01 00:00,temp,-2",
    "S1,2020-01-01 00:00,pm25,34",
    "S1,2020-01-01 01:00,PM2.5,50",
    "S1,2020-01-01 01:00,pm25,60",
    "S1,2020-01-01 02:00,pm25,70",
  ];
  const head = "station,time,variable,value";
  const runs = [
    await runIngest({ "long.csv": [head, ...lines].join("\n") }, { adapter: "long" }),
    await runIngest({ "long.csv": [head, ...[...lines].reverse()].join("\n") }, {
      adapter: "long",
    }),
  ];
  for (const r of runs) {
    assertAccounted(r.report, { "long.csv": 7 });
    assert.equal(r.report.kept, 6);
    assert.equal(r.report.rejected, 0);
    assert.deepEqual(r.raw.map((x) => [x.pm25, x.temp]), [[32, -2], [55, null], [70, null]]);
    assert.deepEqual(r.raw.map((x) => x.merged_lines), [1, 1, 0]);
    assert.equal(r.dups.length, 4, "both lines of each duplicated value");
    assert.equal(r.report.duplicates.groups, 2);
  }
  const values = (r: typeof runs[number]) =>
    r.raw.map((x) => [x.station, (x.time as Date).toISOString(), x.pm25, x.temp]);
  assert.deepEqual(values(runs[0]!), values(runs[1]!), "the same values whatever the order");
});

Deno.test("ingest() rejects unknown stations", async () => {
  const { report, rejects } = await runIngest(
    { "a.csv": [HEADER, row(1, 0), row(3, 1, "12", "Atlantis")].join("\n") },
    { known: ["Aotizhongxin"] },
  );
  assertAccounted(report, { "a.csv": 3 });
  assert.equal(rejects[0]!.rule, "unknown_station");
  assert.match(rejects[0]!.reason, /station: "Atlantis" is not in the stations list/);
});

Deno.test("ingest() fails on a file it cannot read, naming it (not on a bad line)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-ingest-" });
  const c = await openDuck();
  try {
    await Deno.writeTextFile(join(dir, "a.csv"), [HEADER, row(1, 0)].join("\n"));
    await Deno.writeTextFile(join(dir, "b.csv"), [HEADER, row(1, 0)].join("\n"));
    const scan = await scanDataDir(dir);
    await Deno.remove(join(dir, "b.csv")); // gone between the listing and the read
    await assert.rejects(
      ingest(c, {
        files: scan.files,
        adapter: PRSA,
        sourceName: "prsa",
        knownStations: null,
        name: (p) => p.slice(dir.length + 1),
        rawOut: join(dir, "out", "raw.parquet"),
        rejectsOut: join(dir, "out", "rejects.parquet"),
      }),
      /Cannot read raw file "b\.csv": .*No such file/,
    );
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
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
  const { report, raw } = await runIngest({ "DL001.csv": text }, { adapter: CPCB });
  assertAccounted(report, { "DL001.csv": 2 });
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
  const { report, rejects, raw } = await runIngest({ "long.csv": text }, { adapter: "long" });
  assertAccounted(report, { "long.csv": 5 });
  assert.equal(report.kept, 3);
  assert.equal(rejects[0]!.rule, "unknown_variable");
  assert.equal(raw.length, 2, "pivoted to one row per station and hour");
  assert.equal(raw[0]!.pm25, 33);
  assert.equal(raw[0]!.temp, -2.5);
  assert.deepEqual(
    (raw[0]!.lines as { line: bigint }[]).map((l) => Number(l.line)),
    [2, 3],
    "a long row names the lines it was built from",
  );
});
