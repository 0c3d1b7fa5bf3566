/**
 * The one duplicates rule of ingest, for every layout. Lines are duplicates when they give
 * a value for the same station, hour and variable (a wide line gives every variable of its
 * hour; a long line one). The value kept is the median of the values they give, missing
 * values ignored; wind direction, an angle, takes the direction of the mean unit vector.
 * Both depend on the set of values only, never on which line came first.
 */
import type { CanonicalNumeric } from "./canonical.ts";

export const DUPLICATE_RULE =
  "per station, hour and variable: the median of the values the duplicate lines give (missing values ignored; wind direction: the direction of their mean unit vector); independent of line order";

/** SQL aggregate of one canonical column over a group of lines of the same station and hour. */
export function mergedValueSql(col: CanonicalNumeric): string {
  if (col !== "wd_deg") return `quantile_cont(${col}, 0.5)`;
  // Summed in sorted order so the result does not depend on the order of the lines.
  const sum = (f: string) => `list_sum(list_sort(list(${f}(radians(${col})))))`;
  return `CASE WHEN min(${col}) = max(${col}) THEN min(${col})
    ELSE round((degrees(atan2(${sum("sin")}, ${sum("cos")})) + 360) % 360, 6) END`;
}
