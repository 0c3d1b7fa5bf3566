import type { DuckDBConnection } from "@duckdb/node-api";
import { basename, extname } from "node:path";
import { all, lit, writeParquet } from "../duck.ts";
import { type Adapter, LONG_COLUMNS, LONG_VARIABLES } from "./adapters.ts";
import { CANONICAL_NUMERIC } from "./canonical.ts";
import { type FileSniff, sniffFile } from "./sniff.ts";

export interface IngestReport {
  source: string;
  files: {
    file: string;
    bytes: number;
    lines: number;
    kept: number;
    rejected: number;
    status: string;
  }[];
  lines: number;
  kept: number;
  rejected: number;
  rows: number;
  rejectsByRule: Record<string, number>;
  warnings: string[];
}

export interface IngestOptions {
  files: string[];
  adapter: Adapter | "long";
  sourceName: string;
  /** Station names accepted; null accepts any. */
  knownStations: Set<string> | null;
  rawOut: string;
  rejectsOut: string;
  /**
   * The name recorded for a file (report, raw and rejects tables): by default its path. The
   * pipeline passes `ctx.relative`, so a file is named by its path in the project, never by
   * the staging folder it was read from.
   */
  name?: (path: string) => string;
}

/** Raw files of a folder: every *.csv except station metadata files, sorted. */
export async function listRawFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || e.name.startsWith(".")) continue;
    const lower = e.name.toLowerCase();
    if (lower === "stations.csv" || lower === "stations_info.csv") continue;
    if (extname(lower) === ".csv") out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/**
 * Reads every raw file of a source into the canonical table. Each data line either lands
 * in `raw.parquet` or in `rejects.parquet` with its file, line number, text and reason;
 * the report asserts lines = kept + rejected.
 */
export async function ingest(c: DuckDBConnection, o: IngestOptions): Promise<IngestReport> {
  if (o.files.length === 0) {
    throw new Error(`Cannot ingest: no CSV files found for source "${o.sourceName}"`);
  }
  const name = o.name ?? ((path: string) => path);
  const sniffs: FileSniff[] = [];
  for (const f of o.files) sniffs.push(await sniffFile(f));
  const columns = o.adapter === "long"
    ? [...LONG_COLUMNS]
    : [...o.adapter.required, ...o.adapter.optional];
  const required = o.adapter === "long" ? [...LONG_COLUMNS] : o.adapter.required;
  const warnings: string[] = [];

  // One row per file: its problem, if any, and where each known column sits in its header.
  const fileRows = sniffs.map((s, fid) => {
    let problem = s.problem;
    if (!problem && s.bytes > 0) {
      const missing = required.filter((r) => !s.header.includes(r));
      if (missing.length) {
        problem = `header does not match the ${o.sourceName} layout: missing ${
          missing.map((m) => `"${m}"`).join(", ")
        } (found ${s.header.slice(0, 20).map((h) => `"${h}"`).join(", ")})`;
      }
    }
    if (problem) warnings.push(`${name(s.path)}: ${problem}`);
    if (!problem && s.bytes === 0) warnings.push(`${name(s.path)}: empty file`);
    const idx = columns.map((col) => {
      const i = s.header.indexOf(col);
      return i < 0 ? "NULL" : String(i + 1);
    });
    return `(${fid}, ${lit(s.path)}, ${lit(name(s.path))}, ${
      lit(basename(s.path).replace(/\.[^.]*$/, ""))
    }, ${problem ? lit(problem) : "NULL"}, ${s.header.length}, ${idx.join(", ")})`;
  });
  const colIdx = (col: string) => `fi.c${columns.indexOf(col)}`;
  await c.run(
    `CREATE OR REPLACE TEMP TABLE files (fid INT, filename VARCHAR, name VARCHAR, base VARCHAR, problem VARCHAR, ncols INT, ${
      columns.map((_, i) => `c${i} INT`).join(", ")
    }); INSERT INTO files VALUES ${fileRows.join(", ")}`,
  );

  const readable = sniffs.filter((s) => s.bytes > 0 && !s.problem?.startsWith("not a CSV"));
  if (readable.length) {
    // Each physical line as one text field, in file order: exact line numbers and raw text for rejects.
    await c.run(
      `CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT filename, rtrim(line, chr(13)) AS line
      FROM read_csv([${
        readable.map((s) => lit(s.path)).join(", ")
      }], columns = {'line': 'VARCHAR'}, delim = '\x01',
      quote = '', escape = '', header = false, filename = true, auto_detect = false, strict_mode = false)`,
    );
  } else {
    await c.run(`CREATE OR REPLACE TEMP TABLE raw_lines (filename VARCHAR, line VARCHAR)`);
  }
  // A table's rowid follows insertion order, which read_csv keeps: line number within the file.
  await c.run(`CREATE OR REPLACE TEMP VIEW lines AS
    SELECT filename, line, rowid - min(rowid) OVER (PARTITION BY filename) + 1 AS ord FROM raw_lines`);
  const raw = (col: string) =>
    columns.includes(col)
      ? `nullif(nullif(trim(trim(f[${colIdx(col)}]), '"'), 'NA'), '')`
      : "NULL::VARCHAR";

  const checks: { rule: string; sql: string }[] = [
    { rule: "header", sql: `fi.problem` },
    {
      rule: "field_count",
      sql:
        `CASE WHEN len(f) <> fi.ncols THEN 'expected ' || fi.ncols || ' fields, found ' || len(f) ||
        CASE WHEN len(f) < fi.ncols THEN ' (truncated line?)' ELSE ' (a quoted comma, or extra fields)' END END`,
    },
  ];
  let select: string[];
  if (o.adapter === "long") {
    const known = Object.keys(LONG_VARIABLES).map(lit).join(", ");
    checks.push(
      {
        rule: "bad_time",
        sql: `CASE WHEN TRY_CAST(${raw("time")} AS TIMESTAMP) IS NULL THEN 'time: "' || coalesce(${
          raw("time")
        }, '') || '" is not a date/time (expected YYYY-MM-DD HH:MM)' END`,
      },
      {
        rule: "unknown_variable",
        sql: `CASE WHEN lower(${raw("variable")}) NOT IN (${known}) OR ${
          raw("variable")
        } IS NULL THEN 'variable: "' || coalesce(${raw("variable")}, '') || '" is not one of ${
          Object.keys(LONG_VARIABLES).join(", ")
        }' END`,
      },
      numericCheck("value", raw("value")),
    );
    select = [
      `${raw("station")} AS station`,
      `TRY_CAST(${raw("time")} AS TIMESTAMP) AS time`,
      `lower(${raw("variable")}) AS variable`,
      `TRY_CAST(${raw("value")} AS DOUBLE) AS value`,
    ];
  } else {
    const a = o.adapter;
    checks.push({
      rule: "bad_time",
      sql: `CASE WHEN (${
        a.time(raw)
      }) IS NULL THEN 'time: cannot read the date/time of this line' END`,
    });
    select = [`${a.station(raw, "")} AS station`, `${a.time(raw)} AS time`];
    if (o.adapter.name === "cpcb") select[0] = `fi.base AS station`;
    for (const col of CANONICAL_NUMERIC) {
      const m = a.numeric[col];
      const d = a.derived?.[col];
      if (m) {
        const r = raw(m.column);
        if (m.text) {
          checks.push({
            rule: "bad_category",
            sql: `CASE WHEN ${r} IS NOT NULL AND (${
              m.text(r)
            }) IS NULL THEN '${m.column}: "' || ${r} || '" is not a valid value' END`,
          });
          select.push(`(${m.text(r)})::DOUBLE AS ${col}`);
        } else {
          checks.push(numericCheck(m.column, r));
          const v = `TRY_CAST(${r} AS DOUBLE)`;
          select.push(`${m.convert ? m.convert(v) : v} AS ${col}`);
        }
      } else if (d) {
        select.push(`(${d((name) => `TRY_CAST(${raw(name)} AS DOUBLE)`)})::DOUBLE AS ${col}`);
      } else select.push(`NULL::DOUBLE AS ${col}`);
    }
  }
  checks.push({
    rule: "missing_station",
    sql: `CASE WHEN (${
      select[0]!.replace(/ AS station$/, "")
    }) IS NULL THEN 'station: missing' END`,
  });
  if (o.knownStations) {
    const st = select[0]!.replace(/ AS station$/, "");
    checks.push({
      rule: "unknown_station",
      sql: `CASE WHEN (${st}) NOT IN (${
        [...o.knownStations].map(lit).join(", ")
      }) THEN 'station: "' || (${st}) ||
        '" is not in the stations list' END`,
    });
  }
  const ruleOf = `CASE ${
    checks.map((k) => `WHEN (${k.sql}) IS NOT NULL THEN '${k.rule}'`).join(" ")
  } END`;
  const reasons = `concat_ws('; ', ${checks.map((k) => k.sql).join(", ")})`;
  // The raw text is kept for rejected lines only: the kept ones are in raw.parquet.
  await c.run(
    `CREATE OR REPLACE TEMP TABLE checked AS SELECT * REPLACE (CASE WHEN rule IS NOT NULL THEN raw END AS raw)
    FROM (SELECT fi.name AS file, l.ord AS line, l.line AS raw, ${ruleOf} AS rule, ${reasons} AS reason, ${
      select.join(", ")
    }
    FROM (SELECT *, string_split(line, ',') AS f FROM lines WHERE ord > 1 AND line <> '') l
    JOIN files fi ON fi.filename = l.filename)`,
  );
  await c.run(`DROP VIEW lines; DROP TABLE raw_lines`);

  const binary = sniffs.filter((s) => s.problem?.startsWith("not a CSV"));
  await writeParquet(
    c,
    `SELECT file, line, raw, rule, reason FROM checked WHERE rule IS NOT NULL
     ${
      binary.map((s) =>
        `UNION ALL SELECT ${lit(name(s.path))}, 0, ${lit(s.preview)}, 'not_text', ${
          lit(s.problem!)
        }`
      ).join(" ")
    }
     ORDER BY file, line`,
    o.rejectsOut,
  );
  const keptQuery = o.adapter === "long"
    ? `PIVOT (SELECT station, time, CASE variable ${
      Object.entries(LONG_VARIABLES).map(([k, v]) => `WHEN '${k}' THEN '${v.to}'`).join(" ")
    } END AS variable, value * CASE variable ${
      Object.entries(LONG_VARIABLES).map(([k, v]) => `WHEN '${k}' THEN ${v.factor ?? 1}`).join(" ")
    } END AS value, file, line FROM checked WHERE rule IS NULL)
      ON variable IN (${
      CANONICAL_NUMERIC.map(lit).join(", ")
    }) USING first(value) GROUP BY station, time`
    : `SELECT station, time, ${
      CANONICAL_NUMERIC.join(", ")
    }, file, line FROM checked WHERE rule IS NULL`;
  const ordered = o.adapter === "long"
    ? `SELECT station, time, ${
      CANONICAL_NUMERIC.map((k) => `"${k}"::DOUBLE AS ${k}`).join(", ")
    }, NULL::VARCHAR AS file, NULL::BIGINT AS line FROM (${keptQuery}) ORDER BY station, time`
    : `${keptQuery} ORDER BY station, time, file, line`;
  await writeParquet(c, ordered, o.rawOut);

  const perFile = await all<{ file: string; lines: bigint; kept: bigint; rejected: bigint }>(
    c,
    `SELECT fi.name AS file, count(ch.line) AS lines, count(ch.line) FILTER (WHERE ch.rule IS NULL) AS kept,
       count(ch.line) FILTER (WHERE ch.rule IS NOT NULL) AS rejected
     FROM files fi LEFT JOIN checked ch ON ch.file = fi.name GROUP BY fi.name ORDER BY fi.name`,
  );
  const byRule = await all<{ rule: string; n: bigint }>(
    c,
    `SELECT rule, count(*) AS n FROM checked WHERE rule IS NOT NULL GROUP BY rule ORDER BY n DESC`,
  );
  const [{ rows }] = await all<{ rows: bigint }>(
    c,
    `SELECT count(*) AS rows FROM read_parquet(${lit(o.rawOut)})`,
  ) as [
    { rows: bigint },
  ];
  const files = sniffs.map((s) => {
    const p = perFile.find((r) => r.file === name(s.path));
    const isBinary = s.problem?.startsWith("not a CSV");
    const lines = isBinary ? 1 : Number(p?.lines ?? 0);
    const kept = isBinary ? 0 : Number(p?.kept ?? 0);
    const rejected = isBinary ? 1 : Number(p?.rejected ?? 0);
    const status = s.problem ??
      (s.bytes === 0 || lines === 0 ? "empty" : rejected ? "partly rejected" : "ok");
    return { file: name(s.path), bytes: s.bytes, lines, kept, rejected, status };
  });
  const rejectsByRule: Record<string, number> = Object.fromEntries(
    byRule.map((r) => [r.rule, Number(r.n)]),
  );
  if (binary.length) rejectsByRule["not_text"] = binary.length;
  const sum = (k: "lines" | "kept" | "rejected") => files.reduce((a, f) => a + f[k], 0);
  const report: IngestReport = {
    source: o.sourceName,
    files,
    lines: sum("lines"),
    kept: sum("kept"),
    rejected: sum("rejected"),
    rows: Number(rows),
    rejectsByRule,
    warnings,
  };
  if (report.lines !== report.kept + report.rejected) {
    throw new Error(
      `Ingest lost lines: ${report.lines} read, ${report.kept} kept + ${report.rejected} rejected`,
    );
  }
  if (report.kept === 0) {
    throw new Error(
      `Cannot ingest: every line of the ${o.files.length} file(s) of source "${o.sourceName}" was rejected (${
        Object.entries(rejectsByRule).map(([k, v]) => `${k}: ${v}`).join(", ")
      }); see the rejects table. First problem: ${warnings[0] ?? "see rejects"}`,
    );
  }
  return report;
}

function numericCheck(column: string, r: string): { rule: string; sql: string } {
  return {
    rule: "not_a_number",
    sql:
      `CASE WHEN ${r} IS NOT NULL AND (TRY_CAST(${r} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${r} AS DOUBLE)))
      THEN '${column.replaceAll("'", "''")}: "' || ${r} || '" is not a finite number' END`,
  };
}
