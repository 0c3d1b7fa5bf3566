/**
 * Which features the drift verdict tests, from the feature schema: calendar features
 * (schema kind "cyclic": hour, day of week, month) and the station identity are listed with
 * their reason and never tested; categorical features are tested by their category shares.
 * @module
 */

import type { FeatureKind as SchemaKind } from "../features/schema.ts";
import type { SkipRole } from "./sample.ts";
import type { FeatureKind } from "./select.ts";

/** The feature that names the station a row comes from. */
export const STATION_FEATURE = "station_code";

/** Skip roles and test kinds of a schema's features. */
export function driftRoles(features: readonly { name: string; kind: SchemaKind }[]): {
  skip: Record<string, SkipRole>;
  kinds: Record<string, FeatureKind>;
} {
  const skip: Record<string, SkipRole> = {};
  const kinds: Record<string, FeatureKind> = {};
  for (const f of features) {
    if (f.kind === "cyclic") skip[f.name] = "calendar";
    else if (f.name === STATION_FEATURE) skip[f.name] = "identity";
    kinds[f.name] = f.kind === "numeric" ? "numeric" : "categorical";
  }
  return { skip, kinds };
}
