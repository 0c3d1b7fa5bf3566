/**
 * Drift samples for the endpoint (and anything else without Parquet): the model package's
 * `reference.json` as the reference, the prediction log's entries (or rows kept in memory)
 * as the current rows. Pure functions, safe on the edge.
 *
 * The endpoint's `/v1/drift` then calls the one verdict:
 *
 *     const roles = driftRoles(schema.features);
 *     const options = { features: names, ...roles }; // kinds, skip, crossStation, bounds
 *     const index = indexReference(sampleOfReference(pkg.reference, names, target), options); // once per model
 *     const verdict = driftVerdict(index, sampleOfRows(entries, names), options);
 *
 * The groups are the station codes, so the cross-station check runs when the logged rows
 * hold at least three stations in the same hours (otherwise the verdict notes why not); the
 * bound check needs both members of a pair among the logged inputs.
 * @module
 */

import type { DriftReference } from "../registry/package.ts";
import { STATION_FEATURE } from "./feature_roles.ts";
import type { DriftSample } from "./sample.ts";

/** A logged or remembered prediction: its inputs in model order, the prediction, the time. */
export interface ScoredRow {
  x: readonly (number | null)[];
  prediction: number | null;
  /** ISO time or epoch ms (the request's time; months of it make the windows). */
  time: string | number;
}

/**
 * A package's drift reference as a sample: features `names` (in model order), the
 * prediction, the target column `target`, the station code as the group. The reference's
 * times ("YYYY-MM-DDTHH:00", local clock) are read with their fields as UTC, as the
 * pipeline does.
 */
export function sampleOfReference(
  ref: DriftReference,
  names: readonly string[],
  target: string,
): DriftSample {
  const n = ref.rows;
  const col = (name: string) => {
    const c = ref.columns[name];
    if (!c) return null;
    if (c.length !== n) {
      throw new RangeError(
        `Cannot read the drift reference: column "${name}" has ${c.length} values, expected ${n}`,
      );
    }
    return Float64Array.from(c, (v) => v ?? NaN);
  };
  const columns: Record<string, Float64Array> = {};
  for (const name of names) {
    const c = col(name);
    if (c) columns[name] = c;
  }
  const times = Float64Array.from(ref.time, (t, i) => {
    const ms = Date.parse(`${t.length === 16 ? `${t}:00` : t}Z`);
    if (!Number.isFinite(ms)) {
      throw new RangeError(
        `Cannot read the drift reference: time "${t}" at row ${i} is not "YYYY-MM-DDTHH:00"`,
      );
    }
    return ms;
  });
  if (times.length !== n) {
    throw new RangeError(
      `Cannot read the drift reference: ${times.length} times for ${n} rows`,
    );
  }
  const station = columns[STATION_FEATURE];
  return {
    columns,
    times,
    groups: station ? Array.from(station, (v) => (Number.isNaN(v) ? "?" : String(v))) : null,
    prediction: col("prediction"),
    target: col(target),
  };
}

/** Scored rows (prediction log entries, or rows kept in memory) as the current sample. */
export function sampleOfRows(rows: readonly ScoredRow[], names: readonly string[]): DriftSample {
  const columns: Record<string, Float64Array> = {};
  names.forEach((name, j) => {
    columns[name] = Float64Array.from(rows, (r) => r.x[j] ?? NaN);
  });
  const times = Float64Array.from(rows, (r, i) => {
    const ms = typeof r.time === "number" ? r.time : Date.parse(r.time);
    if (!Number.isFinite(ms)) {
      throw new RangeError(`Cannot read the time of scored row ${i}: got "${r.time}"`);
    }
    return ms;
  });
  const station = columns[STATION_FEATURE];
  return {
    columns,
    times,
    groups: station ? Array.from(station, (v) => (Number.isNaN(v) ? "?" : String(v))) : null,
    prediction: Float64Array.from(rows, (r) => r.prediction ?? NaN),
    target: null,
  };
}
