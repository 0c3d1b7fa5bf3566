/**
 * Reading the hour of a raw line, the same way for every layout: a time is valid when its
 * date exists, its hour is a whole number in 0-23 and its year is in YEARS. Anything else
 * is a reject with the reason (never an error that stops the run, never another time).
 * Times between whole hours follow the off-hour rule, so the hourly grid of `clean` is
 * always on whole hours.
 */
import { lit } from "../duck.ts";

/** Ends the text and each format given to strptime (see `timeFromText`). */
const END_MARK = "~";

/** Years accepted: a wider span is a typing error (20130), not a measurement. */
export const YEARS = { min: 1900, max: 2100 } as const;

/**
 * What happens to a time between whole hours (10:30): "reject" the line, or "floor" it to
 * its hour (10:00), where it may meet another line of the same hour and go through the
 * duplicates rule.
 */
export const OFF_HOUR_RULES = ["reject", "floor"] as const;
export type OffHourRule = typeof OFF_HOUR_RULES[number];

/** SQL for a time and, for lines whose time is not valid, why. */
export interface TimeSql {
  /** Columns computed first, once per line (name -> SQL of the raw text); `ts` and `problem` use them. */
  parts: Record<string, string>;
  /** TIMESTAMP on a whole hour, or NULL when the line's time is not valid. */
  ts: string;
  /** VARCHAR reason; only evaluated on lines whose `ts` is NULL. */
  problem: string;
}

/** Components given as separate text columns (year, month, day, hour). */
export function timeFromParts(
  p: { year: string; month: string; day: string; hour: string },
): TimeSql {
  const n = (x: string) => `TRY_CAST(${x} AS DOUBLE)`;
  const [y, mo, d, h] = ["t_year", "t_month", "t_day", "t_hour"];
  const valid = validParts(y, mo, d, h);
  return {
    parts: { t_year: n(p.year), t_month: n(p.month), t_day: n(p.day), t_hour: n(p.hour) },
    ts:
      `CASE WHEN ${valid} THEN make_timestamp(${y}::BIGINT, ${mo}::BIGINT, ${d}::BIGINT, ${h}::BIGINT, 0, 0) END`,
    problem: partsProblem(p, y, mo, d, h),
  };
}

/**
 * A date and time in one text column: "YYYY-MM-DD HH:MM[:SS]" (or with "T"), or
 * "DD-MM-YYYY HH:MM[:SS]" when `dayFirst` formats are allowed.
 */
export function timeFromText(text: string, rule: OffHourRule, dayFirst = false): TimeSql {
  const formats = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    ...(dayFirst ? ["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"] : []),
  ];
  const parsed = "t_parsed";
  const inYears = `year(${parsed}) BETWEEN ${YEARS.min} AND ${YEARS.max}`;
  const onHour = `(minute(${parsed}) = 0 AND second(${parsed}) = 0 AND microsecond(${parsed}) = 0)`;
  const ts = rule === "floor"
    ? `CASE WHEN ${inYears} THEN date_trunc('hour', ${parsed}) END`
    : `CASE WHEN ${inYears} AND ${onHour} THEN ${parsed} END`;
  // Only for rejected lines: take the text apart to say which component is wrong.
  const re = dayFirst
    ? `'^\\s*(\\d+)-(\\d+)-(\\d+)[ T](-?[0-9.]+)(?::(\\d+))?(?::([0-9.]+))?\\s*$'`
    : `'^\\s*(-?\\d+)-(\\d+)-(\\d+)[ T](-?[0-9.]+)(?::(\\d+))?(?::([0-9.]+))?\\s*$'`;
  const g = (i: number) => `regexp_extract(${text}, ${re}, ${i})`;
  const ymd = `length(${g(1)}) >= 3`;
  const parts = {
    year: `CASE WHEN ${ymd} THEN ${g(1)} ELSE ${g(3)} END`,
    month: g(2),
    day: `CASE WHEN ${ymd} THEN ${g(3)} ELSE ${g(1)} END`,
    hour: g(4),
  };
  const n = (x: string) => `TRY_CAST(${x} AS DOUBLE)`;
  const minute = `TRY_CAST(nullif(${g(5)}, '') AS DOUBLE)`;
  const second = `TRY_CAST(nullif(${g(6)}, '') AS DOUBLE)`;
  const shown = `'time: "' || ${text} || '" '`;
  const problem = `CASE
    WHEN ${text} IS NULL THEN 'time: missing'
    WHEN NOT regexp_matches(${text}, ${re}) THEN ${shown} || 'is not a date and time (expected YYYY-MM-DD HH:MM[:SS]${
    dayFirst ? " or DD-MM-YYYY HH:MM[:SS]" : ""
  })'
    WHEN NOT ${validParts(n(parts.year), n(parts.month), n(parts.day), n(parts.hour))}
      THEN ${shown} || 'has ' || ${
    partsProblem(parts, n(parts.year), n(parts.month), n(parts.day), n(parts.hour))
  }
    WHEN coalesce(${minute}, 0) NOT BETWEEN 0 AND 59 OR coalesce(${second}, 0) < 0 OR coalesce(${second}, 0) >= 60
      THEN ${shown} || 'has minutes or seconds out of range'
    WHEN coalesce(${minute}, 0) <> 0 OR coalesce(${second}, 0) <> 0
      THEN ${shown} || 'is not on the hour (rule ingest.off_hour = "${rule}"; "floor" reads it as its hour)'
    ELSE ${shown} || 'is not a valid date and time'
  END`;
  return {
    // The end mark keeps DuckDB's strptime inside the string: matching a longer format's
    // ':' against "2020-01-02 01:00" reads one byte past the text's end (DuckDB 1.5.5), which
    // crashed the process when that byte was the first of an unmapped page.
    parts: {
      t_parsed: `TRY_STRPTIME(trim(${text}) || '${END_MARK}', [${
        formats.map((f) => lit(f + END_MARK)).join(", ")
      }])`,
    },
    ts,
    problem,
  };
}

function validParts(y: string, mo: string, d: string, h: string): string {
  const whole = (x: string) => `(${x} IS NOT NULL AND ${x} = trunc(${x}))`;
  return `(${whole(y)} AND ${whole(mo)} AND ${whole(d)} AND ${whole(h)}
    AND ${y} BETWEEN ${YEARS.min} AND ${YEARS.max} AND ${mo} BETWEEN 1 AND 12
    AND ${d} BETWEEN 1 AND ${daysInMonth(y, mo)} AND ${h} BETWEEN 0 AND 23)`;
}

function daysInMonth(y: string, mo: string): string {
  return `(CASE WHEN ${mo} = 2 THEN CASE WHEN (${y} % 4 = 0 AND ${y} % 100 <> 0) OR ${y} % 400 = 0 THEN 29 ELSE 28 END
    WHEN ${mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)`;
}

/** Which component of a date and time is wrong, as text (rejected lines only). */
function partsProblem(
  p: { year: string; month: string; day: string; hour: string },
  y: string,
  mo: string,
  d: string,
  h: string,
): string {
  const notWhole = (name: string, raw: string, v: string) =>
    `WHEN ${raw} IS NULL THEN '${name}: missing'
     WHEN ${v} IS NULL OR ${v} <> trunc(${v}) THEN '${name}: "' || ${raw} || '" is not a whole number'`;
  return `CASE ${notWhole("year", p.year, y)} ${notWhole("month", p.month, mo)} ${
    notWhole("day", p.day, d)
  }
    WHEN ${h} IS NOT NULL AND ${h} <> trunc(${h}) THEN 'hour: "' || ${p.hour} || '" is not a whole hour'
    ${notWhole("hour", p.hour, h)}
    WHEN ${y} NOT BETWEEN ${YEARS.min} AND ${YEARS.max} THEN 'year: ' || ${p.year} || ' is outside ${YEARS.min}-${YEARS.max}'
    WHEN ${mo} NOT BETWEEN 1 AND 12 THEN 'month: ' || ${p.month} || ' is not 1-12'
    WHEN ${d} NOT BETWEEN 1 AND ${
    daysInMonth(y, mo)
  } THEN 'day: ' || ${p.day} || ' does not exist in '
      || (${y})::INT || '-' || lpad((${mo})::INT::VARCHAR, 2, '0')
    WHEN ${h} = 24 THEN 'hour: 24 is not 0-23 (write hour 0 of the next day)'
    WHEN ${h} NOT BETWEEN 0 AND 23 THEN 'hour: ' || ${p.hour} || ' is not 0-23'
    ELSE 'a valid date and hour' END`;
}
