/**
 * Which features the drift verdict tests, and how, from the feature schema: calendar
 * features (schema kind "cyclic": hour, day of week, month) and the station identity are
 * listed with their reason and never tested; categorical features are tested by their
 * category shares; the measured quantities (not the lags and rolling means built from
 * them) are compared with the other stations at the same hours; pairs that physics orders
 * are checked for keeping their order.
 * @module
 */

import type { FeatureKind as SchemaKind } from "../features/schema.ts";
import type { BoundPair } from "./consistency.ts";
import type { SkipRole } from "./sample.ts";
import type { FeatureKind } from "./select.ts";

/** The feature that names the station a row comes from. */
export const STATION_FEATURE = "station_code";

/**
 * Features built from another one's past (`pm25_lag24`, `pm25_roll24`): their sensor is the
 * source feature's, whose cross-station check already speaks for them.
 */
const DERIVED = /_(lag|roll)\d+$/;

/** Pairs of the air-quality schema that physics orders in every row. */
export const PHYSICAL_BOUNDS: readonly BoundPair[] = [
  { low: "DEWP", high: "TEMP", why: "the dew point never exceeds the air temperature" },
];

/** Skip roles, test kinds and consistency checks of a schema's features. */
export function driftRoles(features: readonly { name: string; kind: SchemaKind }[]): {
  skip: Record<string, SkipRole>;
  kinds: Record<string, FeatureKind>;
  crossStation: string[];
  bounds: BoundPair[];
} {
  const skip: Record<string, SkipRole> = {};
  const kinds: Record<string, FeatureKind> = {};
  const crossStation: string[] = [];
  for (const f of features) {
    if (f.kind === "cyclic") skip[f.name] = "calendar";
    else if (f.name === STATION_FEATURE) skip[f.name] = "identity";
    kinds[f.name] = f.kind === "numeric" ? "numeric" : "categorical";
    if (f.kind === "numeric" && !DERIVED.test(f.name)) crossStation.push(f.name);
  }
  const names = new Set(features.map((f) => f.name));
  const bounds = PHYSICAL_BOUNDS.filter((b) => names.has(b.low) && names.has(b.high));
  return { skip, kinds, crossStation, bounds };
}
