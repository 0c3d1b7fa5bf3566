/**
 * A model package: the folder that holds one model and everything needed to serve and
 * explain it. Candidates live in `models/candidates/<name>/`, registered versions in
 * `models/registry/<model>/v<N>/`; both have this shape, so the endpoint, the site and
 * the cards read either the same way.
 *
 *   model.onnx       the model (ai.onnx.ml TreeEnsembleRegressor or LinearRegressor)
 *   model.json       our own JSON (src/gbdt/serialize.ts) for tree models: TreeSHAP reads it
 *   metadata.json    ModelMetadata below
 *   reference.json   DriftReference: a sample of training features and predictions
 */
import { REGISTRY_DIR, REGISTRY_INDEX } from "../pipeline/catalog.ts";
import type { Lineage } from "../pipeline/stage.ts";
import type { ConformalInterval } from "../metrics/conformal.ts";
import type { RegressionMetrics } from "../metrics/regression.ts";
import type { FeatureSchema } from "../features/schema.ts";

export const PACKAGE_FILES = {
  onnx: "model.onnx",
  json: "model.json",
  metadata: "metadata.json",
  reference: "reference.json",
} as const;

export type ModelKind = "gbdt" | "ridge" | "persistence" | "pretrained_tree" | "pretrained_other";

export interface ModelMetadata {
  /** Registered model name ("pm25"); candidates carry their candidate name. */
  name: string;
  /** Registry version; null for a candidate. */
  version: number | null;
  kind: ModelKind;
  created: string;
  git_commit: string | null;
  parent_version: number | null;
  /** Training parameters as used (after tuning). */
  params: Record<string, unknown>;
  /** Feature signature: names in model order, units, observed ranges, station list. */
  schema: FeatureSchema;
  metrics: {
    valid?: RegressionMetrics;
    test?: RegressionMetrics;
    /** Test metrics per station. */
    by_station?: Record<string, RegressionMetrics>;
  };
  /** Split-conformal interval calibrated on the validation split. */
  interval: ConformalInterval | null;
  /** Hashes of the data, code and parameters of the stages that made the model. */
  lineage: Lineage;
  training?: {
    rows: number;
    valid_rows: number;
    best_iteration?: number;
    seconds: number;
  };
}

/** A training sample for drift checks where Parquet cannot be read (the edge, the browser). */
export interface DriftReference {
  /** Column name -> values (null = missing), features in schema order plus "prediction" and the target. */
  columns: Record<string, (number | null)[]>;
  /** Local timestamps "YYYY-MM-DDTHH:00" of the rows, for the seasonal reference. */
  time: string[];
  rows: number;
  source_rows: number;
}

/** `models/registry.json`: versions, aliases and the promotion history of each model. */
export interface RegistryIndex {
  version: 1;
  models: Record<string, {
    versions: {
      version: number;
      created: string;
      path: string;
      metrics: RegressionMetrics | null;
      kind: ModelKind;
    }[];
    aliases: Partial<Record<"production" | "staging", number>>;
    history: {
      time: string;
      action: "register" | "promote" | "rollback" | "stage";
      version: number;
      alias: "production" | "staging" | null;
      previous: number | null;
      reason: string;
    }[];
  }>;
}

export { REGISTRY_INDEX };
export const registryPath = (model: string, version: number): string =>
  `${REGISTRY_DIR}/${model}/v${version}`;
