import type { DuckDBConnection } from "@duckdb/node-api";
import { basename, join } from "node:path";
import { all, lit, writeParquet } from "../duck.ts";
import { type Adapter, LONG_COLUMNS, LONG_VARIABLES } from "./adapters.ts";
import { CANONICAL_NUMERIC } from "./canonical.ts";
import { listRawFiles, scanDataDir, type SkippedEntry } from "./data_dir.ts";
import type { LineProblem } from "./lines.ts";
import { linePasses } from "./line_pass.ts";
import { type OffHourRule, timeFromText } from "./times.ts";
import { DUPLICATE_RULE, mergedValueSql } from "./duplicates.ts";
import { assertAccounted, EMPTY_TALLY, type LineTally } from "./accounting.ts";

export { listRawFiles, scanDataDir };

/** What became of one raw file. `sourceLines` = `headerLines` + `kept` + `rejected`. */
export interface FileReport {
  file: string;
  bytes: number;
  /** Lines in the file, counted from its bytes (line_count.ts). */
  sourceLines: number;
  headerLines: number;
  /** Data lines: `kept` + `rejected`. */
  lines: number;
  /** Data lines whose values reached raw.parquet (alone, or merged with duplicates). */
  kept: number;
  rejected: number;
  /** Kept lines that were duplicates of another line (duplicates.parquet). */
  duplicates: number;
  status: string;
}

export interface IngestReport {
  source: string;
  files: FileReport[];
  /** Entries of the data folder that were not read, with why. */
  skipped: SkippedEntry[];
  sourceLines: number;
  headerLines: number;
  /** Data lines of every file read: `kept` + `rejected`. */
  lines: number;
  kept: number;
  rejected: number;
  /** Rows of raw.parquet: one per station and hour. */
  rows: number;
  duplicates: { groups: number; lines: number; rule: string };
  offHour: OffHourRule;
  rejectsByRule: Record<string, number>;
  warnings: string[];
}

export interface IngestOptions {
  /** Files to read (paths this process can open). */
  files: string[];
  /** Entries of the data folder not read, with why (from `scanDataDir`). */
  skipped?: SkippedEntry[];
  adapter: Adapter | "long";
  sourceName: string;
  /** Station names accepted; null accepts any. */
  knownStations: Set<string> | null;
  rawOut: string;
  rejectsOut: string;
  /** duplicates.parquet; when absent, duplicates are resolved and not kept. */
  duplicatesOut?: string;
  /** Times between whole hours: see times.ts. Default "reject". */
  offHour?: OffHourRule;
  /**
   * The name recorded for a file (report, raw, rejects and duplicates tables): by default its
   * path. The pipeline passes `ctx.relative`, so a file is named by its path in the project,
   * never by the staging folder it was read from.
   */
  name?: (path: string) => string;
}

/**
 * Raw data past this size is split into lines by one worker per core (a worker's start costs
 * about what a single thread needs for 10 MB: at the PRSA files' 24 MB two workers take
 * 0.20-0.27 s where one thread takes 0.24-0.42 s).
 */
const WORKER_BYTES = 16 << 20;

interface FileState {
  fid: number;
  path: string;
  name: string;
  copy: string;
  bytes: number;
  sourceLines: number;
  header: string[] | null;
  problem: string | null;
  problems: LineProblem[];
}

/**
 * Reads every raw file of a source into the canonical table, one row per station and hour.
 * Each line of each file is the header, kept (its values are in raw.parquet, alone or
 * merged with its duplicates, which duplicates.parquet lists) or rejected (rejects.parquet:
 * file, line, text, rule, reason). The line count of each file comes from its bytes and is
 * checked against the rows of the written files, so a line lost anywhere fails the run.
 * Bad lines never stop the run; a file that cannot be read does, naming it.
 */
export async function ingest(c: DuckDBConnection, o: IngestOptions): Promise<IngestReport> {
  const offHour = o.offHour ?? "reject";
  const name = o.name ?? ((p: string) => p);
  const skipped = (o.skipped ?? []).map((s) => ({ ...s, file: name(s.file) }));
  if (o.files.length === 0) {
    throw new Error(
      `Cannot ingest: no CSV files found for source "${o.sourceName}"${
        skipped.length
          ? ` (not read: ${skipped.map((s) => `${s.file}: ${s.reason}`).join("; ")})`
          : ""
      }`,
    );
  }
  const long = o.adapter === "long";
  const required = long ? [...LONG_COLUMNS] : (o.adapter as Adapter).required;
  const tmp = await Deno.makeTempDir({ prefix: "aqlab-ingest-" });
  try {
    // Line-level pass (JavaScript, a worker per core when there is much to read): line
    // counts from the bytes, numbered copies of the good lines.
    let total = 0;
    for (const path of o.files) {
      try {
        total += (await Deno.stat(path)).size;
      } catch (e) {
        throw new Error(
          `Cannot read raw file "${name(path)}": ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    const jobs = o.files.map((path, fid) => ({
      path,
      copy: join(tmp, `${fid}.csv`),
      file: fid,
      required,
      layout: o.sourceName,
    }));
    const threads = total > WORKER_BYTES ? navigator.hardwareConcurrency || 1 : 1;
    const passes = await linePasses(jobs, threads).catch((e) => {
      throw new Error(
        e.message.replace(/raw file "([^"]*)"/, (_: string, p: string) => `raw file "${name(p)}"`),
      );
    });
    const files: FileState[] = passes.map((r, fid) => ({
      ...r,
      fid,
      path: o.files[fid]!,
      name: name(o.files[fid]!),
      copy: jobs[fid]!.copy,
    }));
    const warnings: string[] = [];
    for (const s of skipped) warnings.push(`${s.file}: not read: ${s.reason}`);
    for (const f of files) {
      if (f.bytes === 0) warnings.push(`${f.name}: empty file`);
      else if (f.problem) warnings.push(`${f.name}: ${f.problem}`);
    }

    const names = `[${files.map((f) => lit(f.name)).join(", ")}]`;
    const fileOf = (fid: string) => `${names}[${fid} + 1]`;

    // Value-level pass (DuckDB): parse the copies, check and convert every value. The kept
    // lines of wide layouts go straight to raw.parquet, in file order; long ones to a file
    // to pivot. Only files with lines unaccounted for are parsed again for their rejects.
    const bases = `[${files.map((f) => lit(basename(f.path).replace(/\.[^.]*$/, ""))).join(", ")}]`;
    const groups = [...headerGroups(files.filter((f) => f.header)).values()];
    // The first parse reads plain numeric columns as numbers (DuckDB's CSV reader accepts the
    // same texts as TRY_CAST, and parsing them there costs less than text then a cast); a line
    // whose number does not read is refused by the reader, left unaccounted, and its file is
    // parsed again as text below, where the checks name the field.
    const parse = (gs: FileState[][], rejectsTable: string, typed: boolean) =>
      gs.map((g) =>
        long
          ? longSelect(g, o, offHour, bases, rejectsTable)
          : wideSelect(g, o.adapter as Adapter, o, offHour, bases, rejectsTable, typed)
      ).join("\nUNION ALL\n");
    const values = CANONICAL_NUMERIC.join(", ");
    const noLines = "NULL::STRUCT(file VARCHAR, line BIGINT)[] AS lines, 0::INT AS merged_lines";
    const keptPath = long ? join(tmp, "kept.parquet") : o.rawOut;
    const keptColumns = long
      ? `station, time, var, ${values}, ${fileOf("fid")} AS file, line`
      : `station, time, ${values}, ${fileOf("fid")} AS file, line, ${noLines}`;
    await c.run(
      `DROP TABLE IF EXISTS ingest_reject_errors; DROP TABLE IF EXISTS ingest_reject_scans;
      DROP TABLE IF EXISTS ingest_reject_errors2; DROP TABLE IF EXISTS ingest_reject_scans2`,
    );
    await writeParquet(
      c,
      groups.length
        ? `SELECT ${keptColumns} FROM (${parse(groups, "ingest_reject", true)}) WHERE rule IS NULL`
        : `SELECT NULL::VARCHAR AS station, NULL::TIMESTAMP AS time, ${
          long ? "NULL::VARCHAR AS var, " : ""
        }${CANONICAL_NUMERIC.map((k) => `NULL::DOUBLE AS ${k}`).join(", ")},
          NULL::VARCHAR AS file, NULL::BIGINT AS line${long ? "" : `, ${noLines}`} WHERE false`,
      keptPath,
    );
    const kept = `read_parquet(${lit(keptPath)})`;

    // Rejects: the line-level ones, the lines the CSV parser refused itself, and the
    // value-level ones (with their text) of the files that still have lines unaccounted for.
    const problemsPath = join(tmp, "problems.ndjson");
    await Deno.writeTextFile(
      problemsPath,
      files.flatMap((f) =>
        f.problems.map((p) =>
          JSON.stringify({ fid: f.fid, line: p.line, raw: p.raw, rule: p.rule, reason: p.reason }) +
          "\n"
        )
      ).join(""),
    );
    const parseRejects = groups.length ? await parserRejects(c) : null;
    const parts = [
      `SELECT fid, line::BIGINT AS line, raw, rule, reason FROM read_json(${
        lit(problemsPath)
      }, format = 'newline_delimited', columns = {fid: 'INT', line: 'BIGINT', raw: 'VARCHAR', rule: 'VARCHAR', reason: 'VARCHAR'})`,
    ];
    if (parseRejects) parts.push(parseRejects);
    const accounted = await all<{ file: string; n: bigint }>(
      c,
      `SELECT file, count(*) AS n FROM (SELECT file FROM ${kept} UNION ALL
        SELECT ${fileOf("fid")} FROM (${parts.join(" UNION ALL ")})) GROUP BY file`,
    );
    const open = files.filter((f) =>
      f.header &&
      Number(accounted.find((a) => a.file === f.name)?.n ?? 0) < f.sourceLines - 1
    );
    if (open.length) {
      const openGroups = [...headerGroups(open).values()];
      const copies = open.map((f) => lit(f.copy)).join(", ");
      parts.push(`SELECT ch.fid, ch.line, t.raw, ch.rule, ch.reason
        FROM (SELECT fid, line, rule, reason FROM (${
        parse(openGroups, "ingest_reject2", false)
      }) WHERE rule IS NOT NULL) ch
        JOIN (SELECT ${prefixed("x")} FROM (SELECT unnest(string_split(content, chr(10))) AS x
              FROM read_text([${copies}])) WHERE x <> '') t USING (fid, line)`);
    }
    await writeParquet(
      c,
      `SELECT ${fileOf("fid")} AS file, line, raw, rule, reason FROM (${
        parts.join(" UNION ALL ")
      }) ORDER BY fid, line`,
      o.rejectsOut,
    );

    // Duplicates: lines that give a value for the same station, hour (and variable, in the
    // long layout) as another line; one merged value each, by a rule blind to line order.
    // Wide files usually list each station's hours in order, one line each: one streamed
    // pass over raw.parquet in file order tells, and then there is nothing to merge or sort.
    const dupOut = o.duplicatesOut ?? join(tmp, "duplicates.parquet");
    const [{ unordered }] = long ? [{ unordered: 1n }] : await all<{ unordered: bigint }>(
      c,
      `SELECT count(*) FILTER (WHERE NOT (station > ps OR (station = ps AND time > pt))) AS unordered
         FROM (SELECT station, time, lag(station) OVER () AS ps, lag(time) OVER () AS pt FROM ${kept})`,
    ) as [{ unordered: bigint }];
    let dupGroups = 0;
    const dupColumns =
      `station, time, file, line, var AS variable, ${values}, copies::INT AS copies,
      ${lit(DUPLICATE_RULE)} AS rule`;
    if (Number(unordered) === 0) {
      await writeParquet(
        c,
        `SELECT ${dupColumns} FROM (SELECT *, NULL::VARCHAR AS var, 0 AS copies FROM ${kept}) WHERE false`,
        dupOut,
      );
    } else {
      // Out of order, or several lines for one hour: merge and sort, from the kept lines.
      let lines = kept;
      if (!long) {
        const moved = join(tmp, "kept.parquet");
        await Deno.rename(o.rawOut, moved);
        lines = `(SELECT *, NULL::VARCHAR AS var FROM read_parquet(${lit(moved)}))`;
      }
      const key = long ? "station, time, var" : "station, time";
      await c.run(`CREATE OR REPLACE TEMP TABLE ingest_dupkeys AS
        SELECT ${key}, count(*) AS copies FROM ${lines} GROUP BY ${key} HAVING count(*) > 1`);
      dupGroups = Number(
        (await all<{ n: bigint }>(c, `SELECT count(*) AS n FROM ingest_dupkeys`))[0]!.n,
      );
      const dupLines = `SELECT k.*, d.copies FROM ${lines} k JOIN ingest_dupkeys d USING (${key})`;
      await writeParquet(
        c,
        `SELECT ${dupColumns} FROM (${dupLines}) ORDER BY station, time, file, line`,
        dupOut,
      );
      const merged = CANONICAL_NUMERIC.map((k) => `${mergedValueSql(k)} AS ${k}`).join(", ");
      const groupRows = (from: string, extra: string) =>
        `SELECT station, time, ${merged}, list_sort(list({'file': file, 'line': line})) AS lines,
           (${extra})::INT AS merged_lines FROM ${from} GROUP BY station, time`;
      const rawQuery = long
        ? `SELECT station, time, ${values},
            CASE WHEN len(lines) = 1 THEN lines[1].file END AS file,
            CASE WHEN len(lines) = 1 THEN lines[1].line END AS line,
            CASE WHEN len(lines) > 1 THEN lines END AS lines, merged_lines
          FROM (${groupRows(lines, "count(*) - count(DISTINCT var)")})`
        : `SELECT station, time, ${values}, file, line, ${noLines} FROM ${lines} k
            WHERE NOT EXISTS (SELECT 1 FROM ingest_dupkeys d WHERE d.station = k.station AND d.time = k.time)
          UNION ALL
          SELECT station, time, ${values}, NULL AS file, NULL AS line, lines, merged_lines
          FROM (${groupRows(`(${dupLines})`, "count(*) - 1")})`;
      // raw.parquet: sorted by station and hour, one row each (clean streams it in that order).
      await writeParquet(c, `${rawQuery} ORDER BY station, time`, o.rawOut);
    }

    // The check: per file, lines from the bytes = header + kept + rejected, where kept and
    // rejected are read back from the written files, and each line number 1..n is used
    // exactly once (count, sum and sum of squares of the line numbers all match).
    const tally = await all<{ file: string; kind: string; n: bigint; s: bigint; q: bigint }>(
      c,
      `WITH kept AS (
        SELECT file, line FROM read_parquet(${lit(o.rawOut)}) WHERE lines IS NULL
        UNION ALL SELECT l.file, l.line FROM (SELECT unnest(lines) AS l FROM read_parquet(${
        lit(o.rawOut)
      }) WHERE lines IS NOT NULL))
      SELECT file, 'kept' AS kind, count(*) AS n, sum(line)::HUGEINT AS s, sum(line::HUGEINT * line) AS q FROM kept GROUP BY file
      UNION ALL
      SELECT file, 'rejected', count(*), sum(line)::HUGEINT, sum(line::HUGEINT * line) FROM read_parquet(${
        lit(o.rejectsOut)
      }) GROUP BY file
      UNION ALL
      SELECT file, 'duplicates', count(*), 0, 0 FROM read_parquet(${lit(dupOut)}) GROUP BY file`,
    );
    const got = (file: string, kind: string): LineTally => {
      const r = tally.find((t) => t.file === file && t.kind === kind);
      return r ? { n: BigInt(r.n), sum: BigInt(r.s), squares: BigInt(r.q) } : EMPTY_TALLY;
    };
    const reports: FileReport[] = files.map((f) => {
      const k = got(f.name, "kept"), r = got(f.name, "rejected");
      assertAccounted(f.name, f.sourceLines, k, r);
      const header = f.sourceLines > 0 ? 1 : 0;
      const kept = Number(k.n), rejected = Number(r.n);
      const status = f.bytes === 0
        ? "empty"
        : f.problem
        ? f.problem
        : kept === 0 && rejected > 0
        ? "all lines rejected"
        : rejected
        ? "partly rejected"
        : "ok";
      return {
        file: f.name,
        bytes: f.bytes,
        sourceLines: f.sourceLines,
        headerLines: header,
        lines: kept + rejected,
        kept,
        rejected,
        duplicates: Number(got(f.name, "duplicates").n),
        status,
      };
    });

    const byRule = await all<{ rule: string; n: bigint }>(
      c,
      `SELECT rule, count(*) AS n FROM read_parquet(${
        lit(o.rejectsOut)
      }) GROUP BY rule ORDER BY n DESC, rule`,
    );
    const [{ rows }] = await all<{ rows: bigint }>(
      c,
      `SELECT count(*) AS rows FROM read_parquet(${lit(o.rawOut)})`,
    ) as [{ rows: bigint }];
    const sum = (k: "sourceLines" | "headerLines" | "lines" | "kept" | "rejected" | "duplicates") =>
      reports.reduce((a, f) => a + f[k], 0);
    const report: IngestReport = {
      source: o.sourceName,
      files: reports,
      skipped,
      sourceLines: sum("sourceLines"),
      headerLines: sum("headerLines"),
      lines: sum("lines"),
      kept: sum("kept"),
      rejected: sum("rejected"),
      rows: Number(rows),
      duplicates: { groups: dupGroups, lines: sum("duplicates"), rule: DUPLICATE_RULE },
      offHour,
      rejectsByRule: Object.fromEntries(byRule.map((r) => [r.rule, Number(r.n)])),
      warnings,
    };
    if (report.kept === 0) {
      throw new Error(
        `Cannot ingest: every line of the ${o.files.length} file(s) of source "${o.sourceName}" was rejected (${
          Object.entries(report.rejectsByRule).map(([k, v]) => `${k}: ${v}`).join(", ")
        }); see the rejects table. First problem: ${warnings[0] ?? "see rejects"}`,
      );
    }
    return report;
  } finally {
    await c.run(
      `DROP TABLE IF EXISTS ingest_dupkeys;
       DROP TABLE IF EXISTS ingest_reject_errors; DROP TABLE IF EXISTS ingest_reject_scans;
       DROP TABLE IF EXISTS ingest_reject2_errors; DROP TABLE IF EXISTS ingest_reject2_scans`,
    ).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Files with the same header fields, in order: one parse each. */
function headerGroups(files: FileState[]): Map<string, FileState[]> {
  const groups = new Map<string, FileState[]>();
  for (const f of files) {
    const k = JSON.stringify(f.header);
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  return groups;
}

/**
 * The copies of files sharing a header, parsed as CSV text: `fid` and `__line` are the
 * numbers splitLines wrote first on each line, `c1..cN` the fields ("NA" and empty are
 * NULL), `base` the file's base name.
 */
function readCopies(
  g: FileState[],
  bases: string,
  rejects: string,
  numbers: ReadonlySet<string> = new Set(),
): string {
  const header = g[0]!.header!;
  const columns = [
    `'__fid': 'INTEGER'`,
    `'__line': 'BIGINT'`,
    // Only a name's first column is the one read (a repeated name's others stay text).
    ...header.map((h, i) =>
      `'c${i + 1}': '${numbers.has(h) && header.indexOf(h) === i ? "DOUBLE" : "VARCHAR"}'`
    ),
  ];
  return `(SELECT *, ${bases}[fid + 1] AS base FROM (SELECT __fid AS fid, __line, * EXCLUDE (__fid, __line)
    FROM read_csv([${g.map((f) => lit(f.copy)).join(", ")}], columns = {${
    columns.join(", ")
  }}, header = false, auto_detect = false, delim = ',',
    quote = '"', escape = '"', nullstr = ['NA', ''], ignore_errors = true, store_rejects = true,
    rejects_table = '${rejects}_errors', rejects_scan = '${rejects}_scans',
    max_line_size = 4194304)))`;
}

interface Check {
  rule: string;
  /** SQL: true when the line fails the check. */
  fails: string;
  /** SQL text of the reason (evaluated on failing lines only). */
  reason: string;
}

/**
 * The final levels of a parse: rule = the first failing check, then reason = every failing
 * check's text, worked out for rejected lines only.
 */
function checkedRows(checks: Check[], from: string, columns: string): string {
  const rule = `CASE ${checks.map((k) => `WHEN ${k.fails} THEN '${k.rule}'`).join(" ")} END`;
  const reason = `CASE WHEN rule IS NOT NULL THEN concat_ws('; ', ${
    checks.map((k) => `CASE WHEN ${k.fails} THEN ${k.reason} END`).join(", ")
  }) END`;
  return `SELECT fid, __line AS line, rule, ${reason} AS reason, ${columns}
    FROM (SELECT *, ${rule} AS rule FROM ${from})`;
}

function stationChecks(station: string, known: Set<string> | null): Check[] {
  const checks: Check[] = [{
    rule: "missing_station",
    fails: `(${station} IS NULL OR ${station} = '')`,
    reason: `'station: missing'`,
  }];
  if (known) {
    checks.push({
      rule: "unknown_station",
      fails: `(${station} NOT IN (${[...known].map(lit).join(", ")}))`,
      reason: `'station: "' || ${station} || '" is not in the stations list'`,
    });
  }
  return checks;
}

function numberCheck(column: string, text: string, value: string): Check {
  return {
    rule: "not_a_number",
    fails: `(${text} IS NOT NULL AND (${value} IS NULL OR NOT isfinite(${value})))`,
    reason: `${lit(`${column}: "`)} || ${text} || '" is not a finite number'`,
  };
}

/** One parse of a group of files in a wide layout (one line = one station and hour). */
function wideSelect(
  g: FileState[],
  a: Adapter,
  o: IngestOptions,
  offHour: OffHourRule,
  bases: string,
  rejects: string,
  typed = false,
): string {
  const header = g[0]!.header!;
  const raw = (col: string) => {
    const i = header.indexOf(col);
    return i < 0 ? "NULL::VARCHAR" : `c${i + 1}`;
  };
  // Columns read as text by some expression (time, station, categories, derived values);
  // the others that map straight to a number may be read as numbers (`typed`).
  const asText = new Set<string>();
  const text = (col: string) => (asText.add(col), raw(col));
  const numbers = new Set<string>();
  const time = a.time(text, offHour);
  // Each level computes its columns once; the next one refers to them by name.
  const parsed: string[] = [
    ...Object.entries(time.parts).map(([k, v]) => `${v} AS ${k}`),
    `${a.station(text, "base")} AS station`,
  ];
  const converted: string[] = [`${time.ts} AS time`];
  const checks: Check[] = [{ rule: "bad_time", fails: "time IS NULL", reason: time.problem }];
  for (const col of CANONICAL_NUMERIC) {
    const m = a.numeric[col];
    const d = a.derived?.[col];
    if (m) {
      const r = m.text ? text(m.column) : raw(m.column);
      if (m.text) {
        parsed.push(`(${m.text(`trim(${r})`)})::DOUBLE AS ${col}`);
        checks.push({
          rule: "bad_category",
          fails: `(${r} IS NOT NULL AND ${col} IS NULL)`,
          reason: `${lit(`${m.column}: "`)} || ${r} || '" is not a valid value'`,
        });
      } else {
        parsed.push(`TRY_CAST(${r} AS DOUBLE) AS v_${col}`);
        converted.push(`${m.convert ? m.convert(`v_${col}`) : `v_${col}`} AS ${col}`);
        checks.push(numberCheck(m.column, r, `v_${col}`));
        numbers.add(m.column);
      }
    } else if (d) {
      converted.push(`(${d((name) => `TRY_CAST(${text(name)} AS DOUBLE)`)})::DOUBLE AS ${col}`);
    } else converted.push(`NULL::DOUBLE AS ${col}`);
  }
  checks.push(...stationChecks("station", o.knownStations));
  return checkedRows(
    checks,
    `(SELECT *, ${converted.join(", ")} FROM (SELECT *, ${parsed.join(", ")} FROM ${
      readCopies(g, bases, rejects, typed ? setDifference(numbers, asText) : undefined)
    }))`,
    `station, time, NULL::VARCHAR AS var, ${CANONICAL_NUMERIC.join(", ")}`,
  );
}

function setDifference<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  return new Set([...a].filter((x) => !b.has(x)));
}

/** One parse of a group of files in the long layout (one line = one value). */
function longSelect(
  g: FileState[],
  o: IngestOptions,
  offHour: OffHourRule,
  bases: string,
  rejects: string,
): string {
  const header = g[0]!.header!;
  const raw = (col: string) => `c${header.indexOf(col) + 1}`;
  const time = timeFromText(raw("time"), offHour);
  const known = Object.keys(LONG_VARIABLES);
  const parsed = [
    ...Object.entries(time.parts).map(([k, v]) => `${v} AS ${k}`),
    `trim(${raw("station")}) AS station`,
    `lower(trim(${raw("variable")})) AS variable`,
    `TRY_CAST(${raw("value")} AS DOUBLE) AS v`,
  ];
  const factor = `CASE variable ${
    Object.entries(LONG_VARIABLES).map(([k, v]) => `WHEN '${k}' THEN ${v.factor ?? 1}`).join(" ")
  } END`;
  const converted = [
    `${time.ts} AS time`,
    `CASE variable ${
      Object.entries(LONG_VARIABLES).map(([k, v]) => `WHEN '${k}' THEN '${v.to}'`).join(" ")
    } END AS var`,
  ];
  const checks: Check[] = [
    { rule: "bad_time", fails: "time IS NULL", reason: time.problem },
    {
      rule: "unknown_variable",
      fails: "var IS NULL",
      reason: `'variable: "' || coalesce(${raw("variable")}, '') || '" is not one of ${
        known.join(", ")
      }'`,
    },
    numberCheck("value", raw("value"), "v"),
    ...stationChecks("station", o.knownStations),
  ];
  return checkedRows(
    checks,
    `(SELECT *, ${converted.join(", ")} FROM (SELECT *, ${parsed.join(", ")} FROM ${
      readCopies(g, bases, rejects)
    }))`,
    `station, time, var, ${
      CANONICAL_NUMERIC.map((k) => `CASE WHEN var = '${k}' THEN v * ${factor} END AS ${k}`).join(
        ", ",
      )
    }`,
  );
}

/**
 * Lines the CSV parser refused itself (it should see none: splitLines rejects bad field
 * counts and quotes first), apart from those refused only for a number that does not read
 * (the typed first parse): those are left to the text parse, whose checks name the field.
 * File and line come from the key splitLines wrote.
 */
async function parserRejects(c: DuckDBConnection): Promise<string | null> {
  const exists = await all<{ n: bigint }>(
    c,
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'ingest_reject_errors'`,
  );
  if (Number(exists[0]?.n ?? 0) === 0) return null;
  return `SELECT fid, line, any_value(raw) AS raw, 'csv_parse' AS rule,
      string_agg(error_type || ': ' || error_message, '; ') AS reason
    FROM (SELECT ${prefixed("csv_line")}, error_type, error_message FROM ingest_reject_errors)
    GROUP BY fid, line HAVING bool_or(error_type <> 'CAST')`;
}

/** File number, line number and text of a line of the copies (see splitLines). */
function prefixed(x: string): string {
  return `split_part(${x}, ',', 1)::INT AS fid, split_part(${x}, ',', 2)::BIGINT AS line,
    substr(${x}, strpos(${x}, ',') + strpos(substr(${x}, strpos(${x}, ',') + 1), ',') + 1) AS raw`;
}
