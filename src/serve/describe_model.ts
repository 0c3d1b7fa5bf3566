/**
 * `GET /v1/model`: what the served model is, what it expects and how to call it (a short
 * model card for clients).
 */
import { FEATURE_NAMES } from "../features/schema.ts";
import type { LoadedModel } from "./model.ts";
import { sanitize } from "./drift_snapshot.ts";

export function describeModel(m: LoadedModel): unknown {
  const md = m.metadata;
  return {
    name: md.name,
    version: m.version,
    registry_version: md.version,
    kind: md.kind,
    created: md.created,
    loaded_at: m.loadedAt,
    target: md.schema.target,
    features: md.schema.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      unit: f.unit,
      description: f.description,
      ...(f.hardMin !== undefined ? { hard_min: f.hardMin } : {}),
      ...(f.hardMax !== undefined ? { hard_max: f.hardMax } : {}),
      ...(f.observed ? { observed: f.observed } : {}),
    })),
    stations: md.schema.stations,
    metrics: sanitize(md.metrics),
    interval: md.interval ? { ...md.interval, level: 1 - md.interval.alpha } : null,
    explain: m.explainer !== null,
    card: {
      summary:
        `Next-hour PM2.5 (${md.schema.target.unit}) at ${md.schema.stations.length} stations from ${FEATURE_NAMES.length} features; ${md.kind} model ${m.version}`,
      intended_use: "Short-term PM2.5 forecasting for monitoring stations seen in training",
      training_rows: md.training?.rows ?? null,
      test: md.metrics.test ?? null,
      run_id: md.lineage?.run_id ?? null,
      data_hash: md.lineage?.data_hash ?? null,
    },
    inputs: {
      features: 'POST /v1/predict {"features": {name: number | null, ...}} (all features)',
      observation:
        'POST /v1/predict {"observation": {station, time: "YYYY-MM-DDTHH:MM", "PM2.5", ..., wd}}',
      batch: 'POST /v1/predict {"rows": [...]} (either form per row)',
    },
  };
}
